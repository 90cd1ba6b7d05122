package io.myriad.tools.secret;

import io.myriad.core.secret.SecretStore;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** Secrets in environment variables: {@code env:VAR} in a fleet file. */
final class EnvSecretStore implements SecretStore {
    private final Map<String, String> env;

    EnvSecretStore(Map<String, String> env) {
        this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
    }

    @Override
    public Optional<String> lookup(String key) {
        return Optional.ofNullable(env.get(key)).filter(v -> !v.isEmpty());
    }

    @Override
    public String where(String key) {
        return "environment variable " + key + " (not set, or empty)";
    }
}
