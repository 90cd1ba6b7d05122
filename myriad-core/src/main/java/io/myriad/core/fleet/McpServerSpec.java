package io.myriad.core.fleet;

import io.myriad.core.tool.Effect;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An MCP server declared in a fleet file, whose tools agents name {@code mcp.<name>.<tool>}.
 *
 * @param name        the server's name in the fleet file, the middle part of its tools' names
 * @param transport   how to reach it: a process spoken to over stdio, or a streamable HTTP endpoint
 * @param effect      the effect of the server's tools unless {@code toolEffects} says otherwise;
 *                    {@link Effect#IRREVERSIBLE} when the file declares none
 * @param toolEffects the effect of single tools, by the server's own tool name
 * @param timeout     the most one call (and the start-up handshake) may take
 */
public record McpServerSpec(String name, Transport transport, Effect effect, Map<String, Effect> toolEffects,
                            Duration timeout) {

    /** The prefix of every MCP tool name. */
    public static final String TOOL_PREFIX = "mcp.";

    /** 30 seconds. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    public McpServerSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(effect, "effect");
        toolEffects = Collections.unmodifiableMap(new LinkedHashMap<>(toolEffects));
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the timeout of MCP server " + name + " must be positive");
        }
    }

    /** The effect of the server's tool {@code tool}: its own declaration, else the server's. */
    public Effect effectOf(String tool) {
        return toolEffects.getOrDefault(tool, effect);
    }

    /** The name agents use for the server's tool {@code tool}: {@code mcp.<server>.<tool>}. */
    public String toolName(String tool) {
        return TOOL_PREFIX + name + "." + tool;
    }

    /** How to reach a server. */
    public sealed interface Transport {
        /**
         * A process started by Myriad, spoken to over its standard input and output.
         *
         * @param command the program and its arguments
         * @param env     variables added to the inherited environment
         * @param cwd     the working folder, or null for the current one
         */
        record Stdio(List<String> command, Map<String, String> env, Path cwd) implements Transport {
            public Stdio {
                command = List.copyOf(command);
                if (command.isEmpty()) {
                    throw new IllegalArgumentException("an MCP server command needs at least the program");
                }
                env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
            }

            public Optional<Path> cwdIfAny() {
                return Optional.ofNullable(cwd);
            }
        }

        /** A server already running, reached over streamable HTTP at {@code url}. */
        record Http(URI url) implements Transport {
            public Http {
                Objects.requireNonNull(url, "url");
            }
        }
    }
}
