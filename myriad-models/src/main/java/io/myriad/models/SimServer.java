package io.myriad.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.myriad.core.MyriadException;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.run.Sleeper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Myriad's simulated model behind an OpenAI-compatible HTTP endpoint, so that any client of the
 * Chat Completions protocol (Myriad's own {@link OpenAiChatProvider} included) can run against it.
 *
 * <p>Endpoints, on the loopback interface:
 * <ul>
 *   <li>{@code POST /v1/chat/completions}: the answer of a {@link SimulatedModel} with the server's
 *       settings, as a {@code chat.completion} object; errors in the OpenAI error format (400
 *       {@code context_length_exceeded}, 400 {@code invalid_request_error}).
 *   <li>{@code GET /v1/models}: one model, {@code myriad-sim}, owned by {@code myriad-simulated}
 *       (which is how {@link OpenAiChatProvider#detectSimulated} recognises the server).
 *   <li>{@code GET /health}: {@code {"status": "ok"}}.
 * </ul>
 * Every response carries {@code X-Myriad-Simulated: true}. Answers are deterministic: the same
 * request body gets the same response, ids and {@code created} included.
 *
 * <p>The simulated model sees the tools under the names they have on the wire: a client such as
 * {@link OpenAiChatProvider} that sends {@code fs.write} as {@code fs_write} gets calls to
 * {@code fs_write}, and maps them back itself.
 *
 * <p>Each exchange runs on its own virtual thread. The server holds no per-run state, so it may be
 * restarted between two calls of a run without changing any answer.
 */
public final class SimServer implements AutoCloseable {
    /** The {@code created} timestamp of every answer (2026-01-01T00:00:00Z), fixed for reproducibility. */
    static final long CREATED = 1_767_225_600L;
    static final String FINGERPRINT = "myriad-sim";

    private final HttpServer server;
    private final ExecutorService executor;
    private final SimulatedModel model;
    private final long seed;
    private final RequestLog log;
    private final Clock clock;
    private final ChatCompletionsCodec codec = new ChatCompletionsCodec();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();

    private SimServer(HttpServer server, ExecutorService executor, SimulatedModel model, long seed,
            RequestLog log, Clock clock) {
        this.server = server;
        this.executor = executor;
        this.model = model;
        this.seed = seed;
        this.log = log;
        this.clock = clock;
    }

    /**
     * Starts a server on {@code port} of the loopback interface (0 picks a free port).
     *
     * @param port       the TCP port, or 0 for any free one
     * @param defaults   the simulated model's settings, used for every request
     * @param requestLog a file to which one JSON line per chat request is appended, if wanted
     * @throws MyriadException when the port cannot be bound or the log cannot be opened
     */
    public static SimServer start(int port, ModelSpec.Simulated defaults, Optional<Path> requestLog) {
        return start(port, defaults, requestLog, Sleeper.SYSTEM, Clock.systemUTC());
    }

    static SimServer start(int port, ModelSpec.Simulated defaults, Optional<Path> requestLog, Sleeper sleeper,
            Clock clock) {
        Objects.requireNonNull(defaults, "defaults");
        Objects.requireNonNull(requestLog, "requestLog");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("The port must be between 0 and 65535, not " + port + ".");
        }
        SimulatedModel model = SimulatedModel.create(defaults, sleeper);
        RequestLog log = null;
        if (requestLog.isPresent()) {
            try {
                log = new RequestLog(requestLog.get(), new ChatCompletionsCodec().json());
            } catch (IOException e) {
                throw new MyriadException("Cannot open the request log " + requestLog.get() + ": " + e.getMessage()
                        + ". Choose a writable path.", false, e);
            }
        }
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        } catch (IOException e) {
            closeQuietly(log);
            throw new MyriadException("Cannot start the simulated model server on port " + port + ": " + e.getMessage()
                    + ". Choose another port, or stop the process that uses it.", false, e);
        }
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        SimServer sim = new SimServer(server, executor, model, defaults.seed(), log, clock);
        server.createContext("/", sim::handle);
        server.setExecutor(executor);
        server.start();
        return sim;
    }

    /** The port the server listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The base URL to give an OpenAI-compatible client, such as {@code http://127.0.0.1:8080/v1}. */
    public String baseUrl() {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + port() + "/v1";
    }

    /** How many chat completion requests the server has received, answered or not. */
    public long requestCount() {
        return requests.get();
    }

    /** Stops listening, abandons exchanges in flight and closes the request log. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.stop(0);
            executor.shutdownNow();
            closeQuietly(log);
        }
    }

    // ---------------------------------------------------------------- exchanges

    private void handle(HttpExchange exchange) {
        try (exchange) {
            try {
                route(exchange);
            } catch (IOException | RuntimeException e) {
                send(exchange, 500, codec.encodeError(
                        "The simulated model server failed: " + e.getMessage(), "server_error", null, null));
            }
        } catch (IOException | RuntimeException ignored) {
            // the client went away; nothing more can be said to it
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        String expected = switch (path) {
            case "/v1/chat/completions" -> "POST";
            case "/v1/models", "/health" -> "GET";
            default -> null;
        };
        if (expected == null) {
            send(exchange, 404, codec.encodeError("Unknown path " + path
                    + ". This server offers POST /v1/chat/completions, GET /v1/models and GET /health.",
                    "invalid_request_error", null, "unknown_url"));
        } else if (!expected.equals(method)) {
            exchange.getResponseHeaders().set("Allow", expected);
            send(exchange, 405, codec.encodeError(method + " is not allowed on " + path + "; use " + expected + ".",
                    "invalid_request_error", null, "method_not_allowed"));
        } else if (path.equals("/health")) {
            send(exchange, 200, codec.json().createObjectNode().put("status", "ok"));
        } else if (path.equals("/v1/models")) {
            send(exchange, 200, models());
        } else {
            chat(exchange);
        }
    }

    private void chat(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        String run = Objects.requireNonNullElse(exchange.getRequestHeaders().getFirst("X-Myriad-Run"), "");
        int step = parseStep(exchange.getRequestHeaders().getFirst("X-Myriad-Step"));
        if (log != null) {
            log.append(run, step, clock.millis());
        }
        byte[] body = exchange.getRequestBody().readAllBytes();
        JsonNode tree;
        try {
            tree = codec.json().readTree(body);
        } catch (JsonProcessingException e) {
            send(exchange, 400, invalidRequest("We could not parse the JSON body of your request ("
                    + e.getOriginalMessage() + "). Send a JSON object."));
            return;
        }
        if (tree.path("stream").asBoolean(false)) {
            send(exchange, 400, invalidRequest("The simulated model server does not stream; send \"stream\": false."));
            return;
        }
        ModelRequest request;
        try {
            request = codec.decodeRequest(tree, run, step);
        } catch (IllegalArgumentException e) {
            send(exchange, 400, invalidRequest(e.getMessage()));
            return;
        }
        ModelResponse response;
        try {
            response = model.complete(request);
        } catch (ModelException e) {
            switch (e.kind()) {
                case CONTEXT_TOO_LONG -> send(exchange, 400, codec.encodeError(
                        e.getMessage(), "invalid_request_error", "messages", "context_length_exceeded"));
                case REJECTED -> send(exchange, 400, invalidRequest(e.getMessage()));
                default -> send(exchange, 500, codec.encodeError(e.getMessage(), "server_error", null, null));
            }
            return;
        }
        String id = "chatcmpl-" + SimHash.hex(SimHash.of(seed, "completion", new String(body, StandardCharsets.UTF_8)));
        send(exchange, 200, codec.encodeResponse(response, id, CREATED, FINGERPRINT));
    }

    private ObjectNode invalidRequest(String message) {
        return codec.encodeError(message, "invalid_request_error", null, null);
    }

    private ObjectNode models() {
        ObjectNode list = codec.json().createObjectNode().put("object", "list");
        list.putArray("data").addObject()
                .put("id", SimulatedModel.MODEL_NAME)
                .put("object", "model")
                .put("created", CREATED)
                .put("owned_by", OpenAiChatProvider.SIMULATED_OWNER);
        return list;
    }

    private static int parseStep(String header) {
        if (header == null) {
            return -1;
        }
        try {
            return Integer.parseInt(header.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void send(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("X-Myriad-Simulated", "true");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static void closeQuietly(RequestLog log) {
        if (log != null) {
            try {
                log.close();
            } catch (IOException ignored) {
                // nothing was lost: every line was written when it was appended
            }
        }
    }
}
