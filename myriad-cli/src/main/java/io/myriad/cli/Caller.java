package io.myriad.cli;

import io.myriad.core.auth.Authenticator;
import io.myriad.core.auth.Principal;
import io.myriad.store.Store;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Who runs a command: the {@code --api-key} option shared by every command that reads or
 * changes the store. Without a key, on an install that has no keys yet, the caller is the
 * implicit owner of every tenant (a local single-user install needs no set-up). With
 * {@code --server} (or {@code $MYRIAD_SERVER}, or the profile's {@code server=}) the command runs
 * against that node over HTTP instead ({@link RemoteClient}).
 */
final class Caller {
    @Option(names = "--api-key", paramLabel = "KEY",
            description = "Act as the principal of this API key. Default: $MYRIAD_API_KEY. "
                    + "On an install without keys you act as its owner.")
    String apiKey;

    @Option(names = "--server", paramLabel = "URL",
            description = "Run against the `myriad serve` node at URL over its HTTP API instead of the local store. "
                    + "Default: $MYRIAD_SERVER, else server= in $XDG_CONFIG_HOME/myriad/profile (~/.config/myriad/profile).")
    String server;

    /** The profile, read once when first needed. */
    private Profile profile;

    private Profile profile() {
        if (profile == null) {
            profile = Profile.load(System.getenv(), Path.of(System.getProperty("user.home")));
        }
        return profile;
    }

    /** The node's URL named by option, environment or profile, if any. */
    Optional<String> serverUrl() {
        if (preset != null) {
            return Optional.empty(); // a fleet hosted by a node runs on that node's store
        }
        if (server != null && !server.isBlank()) {
            return Optional.of(server.strip());
        }
        String env = System.getenv("MYRIAD_SERVER");
        if (env != null && !env.isBlank()) {
            return Optional.of(env.strip());
        }
        return profile().server();
    }

    /** A client of the configured node, signing in with the caller's key (or the profile's), if a node is configured. */
    Optional<RemoteClient> remote() {
        return serverUrl().map(url -> RemoteClient.create(url, Optional.ofNullable(key()).or(() -> profile().apiKey())));
    }

    /** The key given by option or environment, if any. */
    String key() {
        if (apiKey != null && !apiKey.isBlank()) {
            return apiKey.strip();
        }
        String env = System.getenv("MYRIAD_API_KEY");
        return env == null || env.isBlank() ? null : env.strip();
    }

    /**
     * Authenticates the caller against the store's principals.
     *
     * @throws io.myriad.core.auth.AccessDenied for an unknown or revoked key, or for no key on
     *                                          an install that has keys
     */
    /** Set when the caller is already known (a fleet hosted by {@code myriad serve} for its deployer). */
    Principal preset;

    Principal principal(Store store) {
        if (preset != null) {
            return preset;
        }
        return new Authenticator(store).authenticate(key(), localUser());
    }

    /**
     * Authenticates the caller against the store at {@code database} without creating it: a
     * missing store has no keys, so the caller is its implicit owner (and a key is unknown).
     */
    Principal principal(DataDir data) {
        if (preset != null) {
            return preset;
        }
        if (!data.storeExists()) {
            if (key() != null) {
                throw new io.myriad.core.auth.AccessDenied("unknown or revoked API key");
            }
            return Principal.implicitOwner(localUser());
        }
        try (Store store = data.openStore()) {
            return principal(store);
        }
    }

    static String localUser() {
        String user = System.getenv("USER");
        return user == null || user.isBlank() ? System.getProperty("user.name", "local") : user;
    }
}
