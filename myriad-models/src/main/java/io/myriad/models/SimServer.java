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
import io.myriad.core.run.Sleeper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

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
 *   <li>{@code GET /stats}: the chat requests received and in flight (from their arrival until their
 *       answer is ready, not while it is sent), and the peak in flight since
 *       the start, overall and by the request's {@code model} field: {@code {"requests",
 *       "in_flight", "peak_in_flight", "models": {NAME: {"requests", "in_flight",
 *       "peak_in_flight"}}}}. Clients that share the server (several nodes, several tenants
 *       naming different models) can so be checked against a concurrency limit.
 * </ul>
 * Every response carries {@code X-Myriad-Simulated: true}. Answers are deterministic: the same
 * request body gets the same response, ids and {@code created} included.
 *
 * <p>The simulated model sees the tools under the names they have on the wire: a client such as
 * {@link OpenAiChatProvider} that sends {@code fs.write} as {@code fs_write} gets calls to
 * {@code fs_write}, and maps them back itself.
 *
 * <p>Faults ({@link io.myriad.core.fleet.Faults}) are injected on the wire, as a real provider or
 * the network between would produce them, drawn from the run, step and attempt in the headers
 * {@code X-Myriad-Run}, {@code X-Myriad-Step} and {@code X-Myriad-Attempt} (1 when absent):
 * <ul>
 *   <li>rate limited: HTTP 429 with {@code Retry-After} (whole seconds, rounded up) and
 *       {@code retry-after-ms}, or with neither;
 *   <li>server error: HTTP 500 or 503 with an OpenAI error object, or 502 with an HTML page;
 *   <li>timeout: the answer comes after the hang, long after a client's timeout;
 *   <li>reset: the head of a 200 answer and half its body, then the connection is closed;
 *   <li>malformed: HTTP 200 with an HTML page; truncated: HTTP 200 with the JSON answer cut in
 *       the middle (and a {@code Content-Length} that matches the cut body); empty choices:
 *       HTTP 200 with {@code "choices": []};
 *   <li>bad tool arguments, hostile tool calls and latency spikes: answers of the simulated model.
 * </ul>
 * The server counts the requests and the faults of each kind ({@link #faultCounts()}) and names
 * the faults of each request in the request log.
 *
 * <p>Each exchange runs on its own virtual thread. The server holds no per-run state, so it may be
 * restarted between two calls of a run without changing any answer.
 */
public final class SimServer implements AutoCloseable {
    /** The {@code created} timestamp of every answer (2026-01-01T00:00:00Z), fixed for reproducibility. */
    static final long CREATED = 1_767_225_600L;
    static final String FINGERPRINT = "myriad-sim";
    private static final String JSON = "application/json";
    private static final String HTML = "text/html; charset=utf-8";
    /** The body of a malformed answer: what a captive portal or a CDN's challenge sends instead of JSON. */
    static final String MALFORMED_PAGE = "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
            + "<body><p>Checking your connection before you reach the API (simulated malformed answer).</p></body></html>";
    private static final String BAD_GATEWAY_PAGE = "<html><head><title>502 Bad Gateway</title></head>"
            + "<body><h1>502 Bad Gateway</h1><p>simulated upstream failure</p></body></html>";

    private final HttpServer server;
    private final ExecutorService executor;
    private final SimulatedModel model;
    private final long seed;
    private final RequestLog log;
    private final Clock clock;
    private final ChatCompletionsCodec codec = new ChatCompletionsCodec();
    private final AtomicLong requests = new AtomicLong();
    /** Faults injected, indexed by {@link SimFaults.Kind#ordinal()}. */
    private final AtomicLongArray faults = new AtomicLongArray(SimFaults.Kind.values().length);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final InFlight inFlight = new InFlight();
    private final java.util.concurrent.ConcurrentMap<String, InFlight> inFlightByModel = new java.util.concurrent.ConcurrentHashMap<>();

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
     * @param defaults   the simulated model's settings, faults included, used for every request
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
        SimulatedModel model = SimulatedModel.create(defaults, sleeper, clock);
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
    public long requests() {
        return requests.get();
    }

    /** The same as {@link #requests()}. */
    public long requestCount() {
        return requests.get();
    }

    /**
     * How many faults of each kind the server has injected so far, by their fleet-file names
     * ({@code rate_limited}, {@code rate_limited_no_retry_after}, {@code server_error},
     * {@code timeout}, {@code reset}, {@code malformed}, {@code truncated}, {@code empty_choices},
     * {@code bad_tool_arguments}, {@code hostile}, {@code latency_spike}), every kind present.
     */
    public Map<String, Long> faultCounts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (SimFaults.Kind kind : SimFaults.Kind.values()) {
            if (kind != SimFaults.Kind.NONE) {
                counts.put(kind.key(), faults.get(kind.ordinal()));
            }
        }
        return Collections.unmodifiableMap(counts);
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

    /** Answers one exchange; throws only to have the connection closed without a complete response. */
    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            try {
                route(exchange);
            } catch (ConnectionReset e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                send(exchange, 500, codec.encodeError(
                        "The simulated model server failed: " + e.getMessage(), "server_error", null, null));
            }
        } catch (ConnectionReset e) {
            throw e; // the HTTP server closes the connection of a handler that throws
        } catch (IOException | RuntimeException ignored) {
            // the client went away; nothing more can be said to it
        }
    }

    /** Thrown to abandon an exchange in the middle of its response: the connection is closed. */
    private static final class ConnectionReset extends IOException {
        private static final long serialVersionUID = 1L;

        ConnectionReset() {
            super("connection reset by the simulated model (an injected fault)");
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        String expected = switch (path) {
            case "/v1/chat/completions" -> "POST";
            case "/v1/models", "/health", "/stats" -> "GET";
            default -> null;
        };
        if (expected == null) {
            send(exchange, 404, codec.encodeError("Unknown path " + path
                    + ". This server offers POST /v1/chat/completions, GET /v1/models, GET /health and GET /stats.",
                    "invalid_request_error", null, "unknown_url"));
        } else if (!expected.equals(method)) {
            exchange.getResponseHeaders().set("Allow", expected);
            send(exchange, 405, codec.encodeError(method + " is not allowed on " + path + "; use " + expected + ".",
                    "invalid_request_error", null, "method_not_allowed"));
        } else if (path.equals("/health")) {
            send(exchange, 200, codec.json().createObjectNode().put("status", "ok"));
        } else if (path.equals("/v1/models")) {
            send(exchange, 200, models());
        } else if (path.equals("/stats")) {
            send(exchange, 200, stats());
        } else {
            chat(exchange);
        }
    }

    private void chat(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        byte[] body = exchange.getRequestBody().readAllBytes();
        String modelName = modelName(body);
        InFlight byModel = inFlightByModel.computeIfAbsent(modelName, m -> new InFlight());
        inFlight.enter();
        byModel.enter();
        // A request stops counting once its answer is ready, before it is sent: the client cannot
        // send the next one before it has this answer, so two requests of one slot never overlap here.
        AtomicBoolean answered = new AtomicBoolean();
        Runnable leave = () -> {
            if (answered.compareAndSet(false, true)) {
                byModel.leave();
                inFlight.leave();
            }
        };
        try {
            chat(exchange, body, modelName, leave);
        } finally {
            leave.run();
        }
    }

    private void chat(HttpExchange exchange, byte[] body, String modelName, Runnable answered) throws IOException {
        String run = Objects.requireNonNullElse(exchange.getRequestHeaders().getFirst("X-Myriad-Run"), "");
        int step = parseNumber(exchange.getRequestHeaders().getFirst("X-Myriad-Step"), -1);
        int attempt = Math.max(1, parseNumber(exchange.getRequestHeaders().getFirst("X-Myriad-Attempt"), 1));
        ModelRequest request;
        try {
            request = decode(body, run, step).withAttempt(attempt);
        } catch (IllegalArgumentException e) {
            logRequest(run, step, "", modelName);
            send(exchange, 400, invalidRequest(e.getMessage()));
            return;
        }
        SimulatedModel.Reply reply;
        try {
            reply = model.reply(request);
        } catch (ModelException e) {
            logRequest(run, step, "", modelName);
            switch (e.kind()) {
                case CONTEXT_TOO_LONG -> send(exchange, 400, codec.encodeError(
                        e.getMessage(), "invalid_request_error", "messages", "context_length_exceeded"));
                case REJECTED -> send(exchange, 400, invalidRequest(e.getMessage()));
                default -> send(exchange, 500, codec.encodeError(e.getMessage(), "server_error", null, null));
            }
            return;
        }
        SimFaults.Draw draw = reply.draw();
        logRequest(run, step, draw.label(), modelName);
        count(draw);
        model.pause(reply.latency());
        answered.run();
        switch (draw.kind()) {
            case RATE_LIMITED -> rateLimited(exchange, true);
            case RATE_LIMITED_NO_RETRY_AFTER -> rateLimited(exchange, false);
            case SERVER_ERROR -> serverError(exchange, SimFaults.serverStatus(draw));
            case RESET -> {
                byte[] bytes = answer(reply, body).toString().getBytes(StandardCharsets.UTF_8);
                setHeaders(exchange, JSON);
                exchange.sendResponseHeaders(200, bytes.length);
                exchange.getResponseBody().write(bytes, 0, bytes.length / 2);
                exchange.getResponseBody().flush();
                throw new ConnectionReset();
            }
            case MALFORMED -> send(exchange, 200, MALFORMED_PAGE.getBytes(StandardCharsets.UTF_8), HTML);
            case TRUNCATED -> {
                byte[] bytes = answer(reply, body).toString().getBytes(StandardCharsets.UTF_8);
                send(exchange, 200, Arrays.copyOf(bytes, bytes.length / 2), JSON);
            }
            case EMPTY_CHOICES -> {
                ObjectNode answer = answer(reply, body);
                answer.putArray("choices");
                send(exchange, 200, answer);
            }
            default -> send(exchange, 200, answer(reply, body)); // a timeout answers after the hang
        }
    }

    /** The request in {@code body}. */
    private ModelRequest decode(byte[] body, String run, int step) {
        JsonNode tree;
        try {
            tree = codec.json().readTree(body);
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
            throw new IllegalArgumentException("We could not parse the JSON body of your request (" + why
                    + "). Send a JSON object.", e);
        }
        if (tree == null) {
            throw new IllegalArgumentException("The request has no body. Send a JSON object.");
        }
        if (tree.path("stream").asBoolean(false)) {
            throw new IllegalArgumentException("The simulated model server does not stream; send \"stream\": false.");
        }
        return codec.decodeRequest(tree, run, step);
    }

    private ObjectNode answer(SimulatedModel.Reply reply, byte[] body) {
        String id = "chatcmpl-" + SimHash.hex(SimHash.of(seed, "completion", new String(body, StandardCharsets.UTF_8)));
        return codec.encodeResponse(reply.response().orElseThrow(), id, CREATED, FINGERPRINT);
    }

    private void rateLimited(HttpExchange exchange, boolean withRetryAfter) throws IOException {
        String message = "Rate limit reached for requests on the simulated model (an injected fault).";
        if (withRetryAfter) {
            long millis = model.faults().retryAfter().toMillis();
            exchange.getResponseHeaders().set("Retry-After", Long.toString((millis + 999) / 1000));
            exchange.getResponseHeaders().set("retry-after-ms", Long.toString(millis));
            message += " Please try again in " + millis + "ms.";
        }
        send(exchange, 429, codec.encodeError(message, "requests", null, "rate_limit_exceeded"));
    }

    private void serverError(HttpExchange exchange, int status) throws IOException {
        if (status == 502) {
            send(exchange, 502, BAD_GATEWAY_PAGE.getBytes(StandardCharsets.UTF_8), HTML);
            return;
        }
        String message = status == 503
                ? "The simulated model is overloaded (an injected fault). Please try again later."
                : "The simulated model had an internal error (an injected fault).";
        send(exchange, status, codec.encodeError(message, "server_error", null, null));
    }

    private void count(SimFaults.Draw draw) {
        if (draw.kind() != SimFaults.Kind.NONE) {
            faults.incrementAndGet(draw.kind().ordinal());
        }
        if (draw.spike()) {
            faults.incrementAndGet(SimFaults.Kind.LATENCY_SPIKE.ordinal());
        }
    }

    private void logRequest(String run, int step, String fault, String modelName) {
        if (log != null) {
            log.append(run, step, clock.millis(), fault, modelName);
        }
    }

    /** The {@code model} field of a chat request body, or "" when it has none (or is not JSON). */
    private String modelName(byte[] body) {
        try {
            JsonNode tree = codec.json().readTree(body);
            return tree == null ? "" : tree.path("model").asText("");
        } catch (IOException e) {
            return "";
        }
    }

    private ObjectNode stats() {
        ObjectNode stats = codec.json().createObjectNode().put("requests", requests.get());
        inFlight.into(stats);
        ObjectNode models = stats.putObject("models");
        new java.util.TreeMap<>(inFlightByModel).forEach((name, counts) -> counts.into(models.putObject(name)));
        return stats;
    }

    /** Chat requests received, in flight and the peak in flight, of the server or of one model name. */
    private static final class InFlight {
        private final AtomicLong received = new AtomicLong();
        private final AtomicLong now = new AtomicLong();
        private final AtomicLong peak = new AtomicLong();

        void enter() {
            received.incrementAndGet();
            peak.accumulateAndGet(now.incrementAndGet(), Math::max);
        }

        void leave() {
            now.decrementAndGet();
        }

        void into(ObjectNode node) {
            node.put("requests", received.get()).put("in_flight", now.get()).put("peak_in_flight", peak.get());
        }
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

    private static int parseNumber(String header, int absent) {
        if (header == null) {
            return absent;
        }
        try {
            return Integer.parseInt(header.strip());
        } catch (NumberFormatException e) {
            return absent;
        }
    }

    private static void send(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        send(exchange, status, body.toString().getBytes(StandardCharsets.UTF_8), JSON);
    }

    private static void send(HttpExchange exchange, int status, byte[] bytes, String contentType) throws IOException {
        setHeaders(exchange, contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static void setHeaders(HttpExchange exchange, String contentType) {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("X-Myriad-Simulated", "true");
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
