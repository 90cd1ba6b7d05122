package io.myriad.mcp;

import io.myriad.core.fleet.McpServerSpec;
import io.myriad.core.secret.Redactor;
import io.myriad.core.tool.Tool;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The MCP servers of one fleet: started together, their tools discovered (tools/list) and
 * offered as {@link Tool}s named {@code mcp.<server>.<tool>}, restarted with back-off when one
 * stops, and stopped by {@link #close()}.
 */
public final class McpServers implements AutoCloseable {
    private final Map<String, McpServer> servers;
    private final Map<String, List<String>> offered;
    private final List<Tool> tools;

    private McpServers(Map<String, McpServer> servers, Map<String, List<String>> offered, List<Tool> tools) {
        this.servers = servers;
        this.offered = offered;
        this.tools = tools;
    }

    /** No servers, no tools. */
    public static McpServers none() {
        return new McpServers(Map.of(), Map.of(), List.of());
    }

    /** Starts {@code specs} with the default {@link Backoff}. */
    public static McpServers start(Collection<McpServerSpec> specs) {
        return start(specs, Backoff.DEFAULT);
    }

    /**
     * Starts every server at once and lists their tools.
     *
     * @throws McpException naming each server that did not start or list its tools; the others
     *                      are stopped again
     */
    public static McpServers start(Collection<McpServerSpec> specs, Backoff backoff) {
        return start(specs, backoff, Redactor.NONE);
    }

    /**
     * As {@link #start(Collection, Backoff)}; {@code redactor} cleans the servers' stderr lines,
     * which end up in error messages, so a secret given to a server in its environment never
     * shows there.
     */
    public static McpServers start(Collection<McpServerSpec> specs, Backoff backoff, Redactor redactor) {
        Objects.requireNonNull(specs, "specs");
        Objects.requireNonNull(backoff, "backoff");
        Objects.requireNonNull(redactor, "redactor");
        Map<String, Future<Discovered>> pending = new LinkedHashMap<>();
        try (ExecutorService starter = Executors.newVirtualThreadPerTaskExecutor()) {
            for (McpServerSpec spec : specs) {
                pending.put(spec.name(), starter.submit(() -> discover(spec, backoff, redactor)));
            }
        }
        Map<String, McpServer> servers = new LinkedHashMap<>();
        Map<String, List<String>> offered = new LinkedHashMap<>();
        List<Tool> tools = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        pending.forEach((name, future) -> {
            try {
                Discovered d = future.resultNow();
                servers.put(name, d.server());
                offered.put(name, d.tools().stream().map(t -> t.definition().name()
                        .substring(d.server().spec().toolName("").length())).toList());
                tools.addAll(d.tools());
            } catch (IllegalStateException e) {
                Throwable cause = future.exceptionNow();
                failures.add(cause.getMessage());
            }
        });
        McpServers result = new McpServers(Collections.unmodifiableMap(servers), Collections.unmodifiableMap(offered),
                List.copyOf(tools));
        if (!failures.isEmpty()) {
            result.close();
            throw new McpException(redactor.redact(String.join("\n", failures)), false);
        }
        return result;
    }

    private record Discovered(McpServer server, List<Tool> tools) {}

    private static Discovered discover(McpServerSpec spec, Backoff backoff, Redactor redactor) {
        McpServer server = McpServer.start(spec, backoff, redactor);
        try {
            List<Tool> tools = server.listTools().stream().<Tool>map(t -> new McpTool(server, t)).toList();
            return new Discovered(server, tools);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** Every tool of every server, named {@code mcp.<server>.<tool>}, server by server. */
    public List<Tool> tools() {
        return tools;
    }

    /** The tools each server offers, by the server's own names, server by server. */
    public Map<String, List<String>> offered() {
        return offered;
    }

    /**
     * The names among {@code wanted} that start with {@code mcp.} but that no server offers,
     * each with what its server does offer, for a message that helps fix the fleet file.
     */
    public List<String> missing(Collection<String> wanted) {
        List<String> problems = new ArrayList<>();
        for (String name : wanted) {
            if (!name.startsWith(McpServerSpec.TOOL_PREFIX) || tools.stream().anyMatch(t -> t.name().equals(name))) {
                continue;
            }
            String rest = name.substring(McpServerSpec.TOOL_PREFIX.length());
            int dot = rest.indexOf('.');
            String server = dot < 0 ? rest : rest.substring(0, dot);
            List<String> has = offered.get(server);
            problems.add(has == null
                    ? "tool " + name + ": no MCP server named '" + server + "' is declared"
                    : "tool " + name + ": MCP server '" + server + "' offers no such tool; it offers: "
                            + (has.isEmpty() ? "nothing" : String.join(", ", has)));
        }
        return problems;
    }

    /** How many times {@code server} was restarted after it stopped. */
    int restarts(String server) {
        return Optional.ofNullable(servers.get(server)).map(McpServer::restarts).orElse(0);
    }

    /** The process of a stdio {@code server} while it runs. */
    Optional<ProcessHandle> process(String server) {
        return Optional.ofNullable(servers.get(server)).flatMap(McpServer::process);
    }

    /** Stops every server (in parallel). */
    @Override
    public void close() {
        try (ExecutorService stopper = Executors.newVirtualThreadPerTaskExecutor()) {
            servers.values().forEach(s -> stopper.submit(s::close));
        }
    }
}
