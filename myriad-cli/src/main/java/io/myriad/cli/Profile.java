package io.myriad.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The user's profile, {@code $XDG_CONFIG_HOME/myriad/profile} (default
 * {@code ~/.config/myriad/profile}): {@code key=value} lines naming the node the CLI talks to
 * ({@code server=URL}) and the key it signs in with ({@code api_key=KEY}); {@code #} starts a
 * comment. A profile holding a key must be private to its owner, as the secrets file must.
 */
record Profile(Optional<String> server, Optional<String> apiKey) {
    static final Profile NONE = new Profile(Optional.empty(), Optional.empty());
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);

    /** Where the profile is looked for. */
    static Path file(Map<String, String> env, Path home) {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path config = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute() ? Path.of(xdg) : home.resolve(".config");
        return config.resolve("myriad").resolve("profile");
    }

    /**
     * Reads the profile; none when the file does not exist.
     *
     * @throws IllegalArgumentException for an unreadable or malformed profile, or one holding a key
     *                                  that group or others may read
     */
    static Profile load(Map<String, String> env, Path home) {
        Path file = file(env, home);
        if (!Files.isRegularFile(file)) {
            return NONE;
        }
        String server = null;
        String key = null;
        try {
            int n = 0;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                n++;
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                int eq = l.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException(file + ":" + n + ": expected key=value (server=URL or api_key=KEY)");
                }
                String k = l.substring(0, eq).strip();
                String v = l.substring(eq + 1).strip();
                switch (k) {
                    case "server" -> server = v.isEmpty() ? null : v;
                    case "api_key" -> key = v.isEmpty() ? null : v;
                    default -> throw new IllegalArgumentException(file + ":" + n + ": unknown key '" + k
                            + "'; a profile knows server and api_key");
                }
            }
            if (key != null && file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
                if (!OWNER_ONLY.containsAll(perms)) {
                    throw new IllegalArgumentException("profile " + file + " holds an API key and is accessible by group or "
                            + "others (permissions " + PosixFilePermissions.toString(perms) + "); refusing to use it. Run: chmod 600 "
                            + file);
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the profile " + file + ": " + e.getMessage(), e);
        }
        return new Profile(Optional.ofNullable(server), Optional.ofNullable(key));
    }
}
