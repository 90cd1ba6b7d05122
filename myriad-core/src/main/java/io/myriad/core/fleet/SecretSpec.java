package io.myriad.core.fleet;

import java.util.Objects;
import java.util.Optional;

/**
 * A secret a fleet file declares: its name, and where its value is read from when a run starts.
 * The fleet file holds only this reference, never a value.
 *
 * @param name     the name tools refer to ({@code {{secret:NAME}}} in an HTTP header,
 *                 {@code secret:NAME} in an MCP server's {@code env})
 * @param source   the kind of store
 * @param location the environment variable ({@link Source#ENV}), or the path of the secrets file
 *                 ({@link Source#FILE}; empty for the default file)
 */
public record SecretSpec(String name, Source source, String location) {

    public SecretSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(location, "location");
        if (source == Source.ENV && location.isBlank()) {
            throw new IllegalArgumentException("secret " + name + ": env: needs the name of an environment variable");
        }
    }

    /** The file of a {@link Source#FILE} secret, when the fleet file names one. */
    public Optional<String> file() {
        return source == Source.FILE && !location.isEmpty() ? Optional.of(location) : Optional.empty();
    }

    /** The reference as written in the fleet file: {@code env:VAR}, {@code file:PATH} or {@code file:}. */
    public String reference() {
        return source.prefix() + location;
    }

    /** Kinds of secret store. */
    public enum Source {
        /** An environment variable of the {@code myriad} process. */
        ENV("env:"),
        /** A {@code NAME=value} file readable only by its owner. */
        FILE("file:");

        private final String prefix;

        Source(String prefix) {
            this.prefix = prefix;
        }

        public String prefix() {
            return prefix;
        }
    }
}
