package io.myriad.tools.secret;

import io.myriad.core.fleet.SecretSpec;
import io.myriad.core.secret.SecretException;
import io.myriad.core.secret.SecretStore;
import io.myriad.core.secret.Secrets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Resolves the secrets a fleet file declares into their values, from the environment
 * ({@code env:VAR}) and owner-only files ({@code file:PATH}, {@code file:} for the default file).
 */
public final class SecretResolver {
    private final Map<String, String> env;
    private final Path defaultFile;

    private SecretResolver(Map<String, String> env, Path defaultFile) {
        this.env = env;
        this.defaultFile = defaultFile;
    }

    /**
     * A resolver reading {@code env} (normally {@code System.getenv()}) and files, with
     * {@code file:} meaning {@code defaultFile}.
     */
    public static SecretResolver create(Map<String, String> env, Path defaultFile) {
        return new SecretResolver(Map.copyOf(Objects.requireNonNull(env, "env")),
                Objects.requireNonNull(defaultFile, "defaultFile"));
    }

    /**
     * The default secrets file: {@code $XDG_CONFIG_HOME/myriad/secrets}, else
     * {@code ~/.config/myriad/secrets}.
     */
    public static Path defaultFile(Map<String, String> env, Path home) {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path config = xdg != null && !xdg.isBlank() ? Path.of(xdg) : home.resolve(".config");
        return config.resolve("myriad").resolve("secrets");
    }

    /**
     * Reads every secret of {@code specs}; relative file paths resolve against {@code folder}
     * (the fleet file's folder).
     *
     * @throws SecretException listing every secret that could not be resolved, one per line,
     *                         each with where it was looked for; never a value
     */
    public Secrets resolve(Map<String, SecretSpec> specs, Path folder) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        Map<Path, SecretStore> files = new HashMap<>();
        SecretStore environment = new EnvSecretStore(env);
        for (SecretSpec spec : specs.values()) {
            try {
                switch (spec.source()) {
                    case ENV -> values.put(spec.name(), environment.resolve(spec.name(), spec.location()));
                    case FILE -> {
                        Path file = spec.file().map(p -> folder == null ? Path.of(p) : folder.resolve(p)).orElse(defaultFile)
                                .toAbsolutePath().normalize();
                        SecretStore store = files.computeIfAbsent(file, FileSecretStore::open);
                        values.put(spec.name(), store.resolve(spec.name(), spec.name()));
                    }
                }
            } catch (SecretException e) {
                if (!problems.contains(e.getMessage())) {
                    problems.add(e.getMessage());
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new SecretException(String.join("\n", problems));
        }
        return Secrets.of(values);
    }
}
