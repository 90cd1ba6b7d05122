package io.myriad.mcp;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.myriad.core.fleet.McpServerSpec;
import io.myriad.core.secret.Redactor;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

/**
 * One MCP server and the client session Myriad keeps with it.
 *
 * <p>Notes. A server process that exits (seen by a watcher on its process, or by a call that
 * fails on a dead connection) is restarted on a virtual thread after {@link Backoff#delay}; a
 * restart that fails waits longer before the next. While no connection is up, a call waits for
 * the restart up to the server's timeout, then fails with a retriable {@link McpException}. A
 * call that was in flight when the process died fails the same way: its outcome is unknown, and
 * the run loop's effect rules decide what recovery may do with it. A server reached over HTTP
 * has no process: a call that fails on the transport (not with an MCP error) reconnects.
 *
 * <p>Locking: {@code lock} guards {@code current}, {@code restarting}, {@code closed},
 * {@code restarts} and {@code lastFailure}; {@code changed} is signalled when a connection comes
 * up or the server is closed. No SDK call is made while holding {@code lock}. Process starts of
 * all servers are serialised on {@code SPAWN_LOCK} so that the new child process can be told
 * apart from the others (the SDK keeps its {@code Process} to itself).
 */
final class McpServer implements AutoCloseable {
    private static final Object SPAWN_LOCK = new Object();
    private static final int STDERR_LINES = 8;

    private final McpServerSpec spec;
    private final Backoff backoff;
    private final Redactor redactor;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private Connection current;
    private boolean restarting;
    private boolean closed;
    private int restarts;
    private String lastFailure = "";

    /** A live session; {@code process} is the server's process when Myriad started it. */
    private record Connection(McpSyncClient client, Optional<ProcessHandle> process, Deque<String> stderr) {
        boolean alive() {
            return process.map(ProcessHandle::isAlive).orElse(true);
        }
    }

    private McpServer(McpServerSpec spec, Backoff backoff, Redactor redactor) {
        this.spec = spec;
        this.backoff = backoff;
        this.redactor = redactor;
    }

    /**
     * Starts (or connects to) the server and completes the MCP handshake.
     *
     * @throws McpException when the server cannot be started or does not answer the handshake
     */
    /** How long one request may wait for the server (and as long again for a restart). */
    Duration timeout() {
        return spec.timeout();
    }

    static McpServer start(McpServerSpec spec, Backoff backoff) {
        return start(spec, backoff, Redactor.NONE);
    }

    /** As {@link #start(McpServerSpec, Backoff)}; {@code redactor} cleans every line the server writes to stderr. */
    static McpServer start(McpServerSpec spec, Backoff backoff, Redactor redactor) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(backoff, "backoff");
        Objects.requireNonNull(redactor, "redactor");
        McpServer server = new McpServer(spec, backoff, redactor);
        Connection c = server.connect();
        server.lock.lock();
        try {
            server.current = c;
        } finally {
            server.lock.unlock();
        }
        server.watch(c);
        return server;
    }

    McpServerSpec spec() {
        return spec;
    }

    /** How many times the server was restarted after it stopped. */
    int restarts() {
        lock.lock();
        try {
            return restarts;
        } finally {
            lock.unlock();
        }
    }

    /** The server's process while it runs (stdio servers only). */
    Optional<ProcessHandle> process() {
        lock.lock();
        try {
            return current == null ? Optional.empty() : current.process();
        } finally {
            lock.unlock();
        }
    }

    /** Every tool the server offers (tools/list, all pages). */
    List<McpSchema.Tool> listTools() {
        Connection c = await();
        List<McpSchema.Tool> tools = new ArrayList<>();
        String cursor = null;
        try {
            do {
                McpSchema.ListToolsResult page = cursor == null ? c.client().listTools() : c.client().listTools(cursor);
                tools.addAll(page.tools());
                cursor = page.nextCursor();
            } while (cursor != null && !cursor.isEmpty());
        } catch (McpError e) {
            throw new McpException("MCP server '" + spec.name() + "' refused tools/list: " + e.getMessage(), false, e);
        } catch (RuntimeException e) {
            throw failed(c, "tools/list", e);
        }
        return tools;
    }

    /**
     * Calls {@code tool} with {@code arguments}.
     *
     * @throws McpError     when the server answers with a JSON-RPC error (unknown tool, bad arguments)
     * @throws McpException when the server is restarting, stopped during the call, or did not
     *                      answer in time (all retriable), or is closed
     */
    McpSchema.CallToolResult call(String tool, Map<String, Object> arguments) {
        Connection c = await();
        try {
            return c.client().callTool(new McpSchema.CallToolRequest(tool, arguments));
        } catch (McpError e) {
            if (!c.alive()) {
                throw failed(c, "the call to " + tool, e);
            }
            throw e;
        } catch (RuntimeException e) {
            throw failed(c, "the call to " + tool, e);
        }
    }

    /** Classifies a failure of a request on {@code c}: a timeout, or a lost connection to restart. */
    private McpException failed(Connection c, String what, RuntimeException e) {
        if (c.alive() && isTimeout(e)) {
            return new McpException("MCP server '" + spec.name() + "' did not answer " + what + " within "
                    + spec.timeout().toMillis() + " ms; the outcome is unknown; try again later", true, e);
        }
        String why = c.alive() ? "its connection failed (" + rootMessage(e) + ")" : "its process exited" + stderrTail(c);
        lost(c, why);
        return new McpException("MCP server '" + spec.name() + "' stopped during " + what + ": " + why
                + "; it is being restarted; the outcome of this call is unknown; try again shortly", true, e);
    }

    private static boolean isTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException || String.valueOf(t.getMessage()).contains("Timeout on blocking read")) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    /** Waits for a live connection, up to the server's timeout. */
    private Connection await() {
        long remaining = spec.timeout().toNanos();
        lock.lock();
        try {
            while (current == null && !closed) {
                if (remaining <= 0) {
                    throw new McpException("MCP server '" + spec.name() + "' is restarting after it stopped ("
                            + lastFailure + ") and was not back within " + spec.timeout().toMillis()
                            + " ms; try the call again later", true);
                }
                remaining = changed.awaitNanos(remaining);
            }
            if (closed) {
                throw new McpException("MCP server '" + spec.name() + "' is stopped: the fleet is shutting down", false);
            }
            return current;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new McpException("interrupted while waiting for MCP server '" + spec.name() + "'", true, e);
        } finally {
            lock.unlock();
        }
    }

    /** Drops {@code c} if it is still the current connection and starts a restart. */
    private void lost(Connection c, String why) {
        boolean restart = false;
        lock.lock();
        try {
            if (current == c) {
                current = null;
                lastFailure = why;
                if (!restarting && !closed) {
                    restarting = true;
                    restart = true;
                }
            }
        } finally {
            lock.unlock();
        }
        closeQuietly(c);
        if (restart) {
            Thread.ofVirtual().name("mcp-restart-" + spec.name()).start(this::restartLoop);
        }
    }

    private void restartLoop() {
        for (int attempt = 1; ; attempt++) {
            try {
                Thread.sleep(backoff.delay(attempt));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (isClosed()) {
                return;
            }
            Connection c;
            try {
                c = connect();
            } catch (RuntimeException e) {
                lock.lock();
                try {
                    lastFailure = "restart attempt " + attempt + " failed: " + e.getMessage();
                } finally {
                    lock.unlock();
                }
                continue;
            }
            lock.lock();
            try {
                restarting = false;
                if (!closed) {
                    current = c;
                    restarts++;
                    changed.signalAll();
                }
            } finally {
                lock.unlock();
            }
            if (isClosed()) {
                closeQuietly(c);
            } else {
                watch(c);
            }
            return;
        }
    }

    private boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Restarts the server as soon as its process exits, not only when a call finds it dead. */
    private void watch(Connection c) {
        c.process().ifPresent(p -> p.onExit().thenRun(() -> lost(c, "its process exited" + stderrTail(c))));
    }

    private static String stderrTail(Connection c) {
        synchronized (c.stderr()) {
            return c.stderr().isEmpty() ? "" : "; its last output: " + String.join(" | ", c.stderr());
        }
    }

    /** Starts the process (or opens the HTTP session) and completes the handshake. */
    private Connection connect() {
        Deque<String> stderr = new ArrayDeque<>();
        McpClientTransport transport = switch (spec.transport()) {
            case McpServerSpec.Transport.Stdio s -> {
                ServerParameters params = ServerParameters.builder(s.command().getFirst())
                        .args(s.command().subList(1, s.command().size())).env(s.env()).build();
                StdioClientTransport t = new FolderStdioTransport(params, s.cwdIfAny());
                t.setStdErrorHandler(line -> {
                    synchronized (stderr) {
                        stderr.addLast(redactor.redact(line));
                        while (stderr.size() > STDERR_LINES) {
                            stderr.removeFirst();
                        }
                    }
                });
                yield t;
            }
            case McpServerSpec.Transport.Http h -> http(h.url());
        };
        McpSyncClient client = McpClient.sync(transport)
                .requestTimeout(spec.timeout())
                .initializationTimeout(spec.timeout())
                .clientInfo(new McpSchema.Implementation("myriad", "0.1.0"))
                .build();
        Optional<ProcessHandle> process = Optional.empty();
        try {
            if (spec.transport() instanceof McpServerSpec.Transport.Stdio s) {
                synchronized (SPAWN_LOCK) {
                    Set<Long> before = ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toSet());
                    client.initialize();
                    process = newChild(before, s.command());
                }
            } else {
                client.initialize();
            }
        } catch (RuntimeException e) {
            Connection failed = new Connection(client, process, stderr);
            closeQuietly(failed);
            throw new McpException("MCP server '" + spec.name() + "' did not start: " + rootMessage(e)
                    + stderrTail(failed) + "; check its command (or url) in the fleet file's mcp section", false, e);
        }
        return new Connection(client, process, stderr);
    }

    private static McpClientTransport http(URI url) {
        String base = url.getScheme() + "://" + url.getRawAuthority();
        String endpoint = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        if (url.getRawQuery() != null) {
            endpoint += "?" + url.getRawQuery();
        }
        return HttpClientStreamableHttpTransport.builder(base).endpoint(endpoint).build();
    }

    /** The child started since {@code before} whose arguments are the command's. */
    private static Optional<ProcessHandle> newChild(Set<Long> before, List<String> command) {
        List<ProcessHandle> fresh = ProcessHandle.current().children().filter(p -> !before.contains(p.pid())).toList();
        List<String> args = command.subList(1, command.size());
        List<ProcessHandle> matching = fresh.stream()
                .filter(p -> p.info().arguments().map(a -> List.of(a).equals(args)).orElse(false)).toList();
        if (matching.size() == 1) {
            return Optional.of(matching.getFirst());
        }
        return fresh.size() == 1 ? Optional.of(fresh.getFirst()) : Optional.empty();
    }

    private static void closeQuietly(Connection c) {
        // Stop the process first (SIGTERM, then SIGKILL after 2 s), then close the client without
        // the SDK's graceful close, which waited about 10 s on every stop.
        c.process().ifPresent(p -> {
            p.destroy();
            try {
                p.onExit().get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        });
        try {
            c.client().close();
        } catch (RuntimeException ignored) {
            // stopping anyway
        }
    }

    /** Stops the server (its process, when Myriad started it); calls after this fail. */
    @Override
    public void close() {
        Connection c;
        lock.lock();
        try {
            closed = true;
            c = current;
            current = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (c != null) {
            closeQuietly(c);
        }
    }

    /** The SDK's stdio transport, started in a given folder. */
    private static final class FolderStdioTransport extends StdioClientTransport {
        private final Optional<Path> cwd;

        FolderStdioTransport(ServerParameters params, Optional<Path> cwd) {
            super(params, McpJsonDefaults.getMapper());
            this.cwd = cwd;
        }

        @Override
        protected ProcessBuilder getProcessBuilder() {
            ProcessBuilder builder = new ProcessBuilder();
            cwd.ifPresent(d -> builder.directory(d.toFile()));
            return builder;
        }
    }
}
