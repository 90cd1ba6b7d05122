package io.myriad.tools.secret;

import io.myriad.core.secret.SecretException;
import io.myriad.core.secret.SecretStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Secrets in a file readable only by its owner: {@code file:PATH} (or {@code file:} for the
 * default file) in a fleet file. One {@code NAME=value} per line; blank lines and lines starting
 * with {@code #} are skipped. The file is refused unless the current user owns it and neither
 * group nor others have any permission on it, as ssh does with private keys: a secret others can
 * read, or replace, is not a secret.
 */
final class FileSecretStore implements SecretStore {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(
            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

    private final Path file;
    private final Map<String, String> values;

    private FileSecretStore(Path file, Map<String, String> values) {
        this.file = file;
        this.values = values;
    }

    /**
     * Reads {@code file}; a file that does not exist holds no secrets (lookups say where they looked).
     *
     * @throws SecretException when the file is not private to its owner, cannot be read, or has
     *                         a line that is not {@code NAME=value} (by line number, never content)
     */
    static FileSecretStore open(Path file) {
        Map<String, String> values = new LinkedHashMap<>();
        try {
            checkPrivate(file);
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int eq = line.indexOf('=');
                String name = eq < 0 ? "" : line.substring(0, eq).strip();
                if (!NAME.matcher(name).matches()) {
                    throw new SecretException("secrets file " + file + ", line " + (i + 1)
                            + ": expected NAME=value (NAME: letters, digits, '_'); fix or remove that line");
                }
                values.put(name, line.substring(eq + 1).strip());
            }
        } catch (NoSuchFileException e) {
            return new FileSecretStore(file, Map.of());
        } catch (IOException e) {
            throw new SecretException("cannot read secrets file " + file + ": " + e.getMessage());
        }
        return new FileSecretStore(file, Map.copyOf(values));
    }

    private static void checkPrivate(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        }
        if (!file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            throw new SecretException("secrets file " + file + " is on a file system without POSIX permissions, "
                    + "so Myriad cannot check that only you can read it; keep it on one that has them, or use env: secrets");
        }
        UserPrincipal owner = Files.getOwner(file);
        UserPrincipal me = file.getFileSystem().getUserPrincipalLookupService()
                .lookupPrincipalByName(System.getProperty("user.name"));
        if (!owner.equals(me)) {
            throw new SecretException("secrets file " + file + " is owned by " + owner.getName() + ", not by you ("
                    + me.getName() + "); refusing to read secrets another user controls. Run: chown "
                    + me.getName() + " " + file + " && chmod 600 " + file);
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (!OWNER_ONLY.containsAll(perms)) {
            throw new SecretException("secrets file " + file + " is accessible by group or others (permissions "
                    + java.nio.file.attribute.PosixFilePermissions.toString(perms)
                    + "); refusing to use it. Run: chmod 600 " + file);
        }
    }

    @Override
    public Optional<String> lookup(String key) {
        return Optional.ofNullable(values.get(key)).filter(v -> !v.isEmpty());
    }

    @Override
    public String where(String key) {
        return "a line " + key + "=... in secrets file " + file + (Files.exists(file) ? "" : " (which does not exist)");
    }
}
