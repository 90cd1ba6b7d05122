package io.myriad.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.fleet.Faults;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.RateLimits;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.ToolDefinition;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The faults of the simulated model: which one a request gets, and what it looks like.
 *
 * <p>The draw is stateless: a hash of the seed, the run id, the step and the attempt (or, for a
 * request without a run id, the task input and the turn, which is all such a request carries),
 * so the same attempt always gets the same fault, in-process and over HTTP, and a retry gets a
 * fresh draw. One uniform value picks at most one of the exclusive faults (each owns a band of
 * [0, 1) as wide as its rate); a second value decides a latency spike; a third picks the details
 * (the 5xx status, the hostile variant, the tool called). Faults apply only while the clock is
 * inside the window of {@link Faults#from()} and {@link Faults#until()}, counted from the moment
 * the simulated model was created.
 */
final class SimFaults {
    /** A fault injected into one answer; {@link #key()} is its name in the fleet file and the server's counts. */
    enum Kind {
        NONE(""),
        RATE_LIMITED("rate_limited"),
        RATE_LIMITED_NO_RETRY_AFTER("rate_limited_no_retry_after"),
        SERVER_ERROR("server_error"),
        TIMEOUT("timeout"),
        RESET("reset"),
        MALFORMED("malformed"),
        TRUNCATED("truncated"),
        EMPTY_CHOICES("empty_choices"),
        BAD_TOOL_ARGUMENTS("bad_tool_arguments"),
        HOSTILE("hostile"),
        LATENCY_SPIKE("latency_spike");

        /** The exclusive faults, in the order their bands are laid out in [0, 1). */
        static final List<Kind> EXCLUSIVE = List.of(RATE_LIMITED, RATE_LIMITED_NO_RETRY_AFTER, SERVER_ERROR, TIMEOUT,
                RESET, MALFORMED, TRUNCATED, EMPTY_CHOICES, BAD_TOOL_ARGUMENTS, HOSTILE);

        private final String key;

        Kind(String key) {
            this.key = key;
        }

        String key() {
            return key;
        }

        /** True for the faults that fail before the model is asked: no answer is computed. */
        boolean answerless() {
            return this == RATE_LIMITED || this == RATE_LIMITED_NO_RETRY_AFTER || this == SERVER_ERROR;
        }

        /** True for the faults that reach a caller as a {@link ModelException}. */
        boolean fails() {
            return this != NONE && this != BAD_TOOL_ARGUMENTS && this != HOSTILE && this != LATENCY_SPIKE;
        }
    }

    /**
     * What one request gets.
     *
     * @param kind   the exclusive fault, or {@link Kind#NONE}
     * @param spike  whether a latency spike comes on top
     * @param detail a hash from which the fault's details are drawn
     */
    record Draw(Kind kind, boolean spike, long detail) {
        static final Draw NONE = new Draw(Kind.NONE, false, 0);

        Draw withoutFault() {
            return new Draw(Kind.NONE, spike, detail);
        }

        Draw withoutSpike() {
            return new Draw(kind, false, detail);
        }

        /** The injected faults as the request log names them, such as {@code malformed,latency_spike}; empty for none. */
        String label() {
            if (kind == Kind.NONE) {
                return spike ? Kind.LATENCY_SPIKE.key() : "";
            }
            return spike ? kind.key() + "," + Kind.LATENCY_SPIKE.key() : kind.key();
        }
    }

    /** The statuses a server error is drawn from. */
    private static final int[] SERVER_ERRORS = {500, 502, 503};
    /** The paths a hostile model asks for. */
    private static final List<String> HOSTILE_PATHS = List.of("../../etc/passwd", "/etc/shadow");
    private static final String UNKNOWN_TOOL = "shell_exec";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Faults faults;
    private final long seed;
    private final InstantSource clock;
    private final Instant start;

    SimFaults(Faults faults, long seed, InstantSource clock) {
        this.faults = faults;
        this.seed = seed;
        this.clock = clock;
        this.start = clock.instant();
    }

    Faults settings() {
        return faults;
    }

    /** The faults {@code request} gets now; {@code taskInput} and {@code turn} key requests without a run id. */
    Draw draw(ModelRequest request, String taskInput, int turn) {
        if (!faults.any() || !faults.activeAt(Duration.between(start, clock.instant()))) {
            return Draw.NONE;
        }
        long key = request.runId().isEmpty()
                ? SimHash.of(seed, "fault", "", taskInput, turn, request.attempt())
                : SimHash.of(seed, "fault", request.runId(), request.step(), request.attempt());
        double u = SimHash.unit(SimHash.of(key, "exclusive"));
        Kind kind = Kind.NONE;
        double band = 0;
        for (Kind candidate : Kind.EXCLUSIVE) {
            band += rate(candidate);
            if (u < band) {
                kind = candidate;
                break;
            }
        }
        boolean spike = SimHash.unit(SimHash.of(key, "spike")) < faults.latencySpike();
        return new Draw(kind, spike, SimHash.of(key, "detail"));
    }

    private double rate(Kind kind) {
        return switch (kind) {
            case RATE_LIMITED -> faults.rateLimited();
            case RATE_LIMITED_NO_RETRY_AFTER -> faults.rateLimitedNoRetryAfter();
            case SERVER_ERROR -> faults.serverError();
            case TIMEOUT -> faults.timeout();
            case RESET -> faults.reset();
            case MALFORMED -> faults.malformed();
            case TRUNCATED -> faults.truncated();
            case EMPTY_CHOICES -> faults.emptyChoices();
            case BAD_TOOL_ARGUMENTS -> faults.badToolArguments();
            case HOSTILE -> faults.hostile();
            case LATENCY_SPIKE -> faults.latencySpike();
            case NONE -> 0;
        };
    }

    /** The HTTP status of a server error. */
    static int serverStatus(Draw draw) {
        return SERVER_ERRORS[(int) Math.floorMod(draw.detail(), (long) SERVER_ERRORS.length)];
    }

    // ---------------------------------------------------------------- in-process failures

    /**
     * The exception a real provider raises for a fault that {@link Kind#fails() fails}, worded
     * for the simulated model.
     */
    ModelException exception(Draw draw) {
        String injected = " (a fault injected by the simulated model; lower its fault rates to see fewer)";
        return switch (draw.kind()) {
            case RATE_LIMITED -> {
                long millis = faults.retryAfter().toMillis();
                yield new ModelException(ModelException.Kind.RATE_LIMITED,
                        "The simulated model answered HTTP 429: rate limit reached, retry after " + millis + " ms"
                                + injected + ".", millis, null, new RateLimits(-1, -1, -1, -1, -1, -1, millis));
            }
            case RATE_LIMITED_NO_RETRY_AFTER -> new ModelException(ModelException.Kind.RATE_LIMITED,
                    "The simulated model answered HTTP 429: rate limit reached, without Retry-After" + injected + ".");
            case SERVER_ERROR -> new ModelException(ModelException.Kind.SERVER_ERROR,
                    "The simulated model answered HTTP " + serverStatus(draw) + injected
                            + ". The server failed; trying again later may help.");
            case TIMEOUT -> new ModelException(ModelException.Kind.TIMEOUT,
                    "The simulated model did not answer within " + faults.hang().toMillis() + " ms" + injected + ".");
            case RESET -> new ModelException(ModelException.Kind.UNREACHABLE,
                    "The connection to the simulated model was reset in the middle of the response (connection reset)"
                            + injected + ".");
            case MALFORMED -> malformed("it is not valid JSON", injected);
            case TRUNCATED -> malformed("its JSON ends in the middle", injected);
            case EMPTY_CHOICES -> malformed("its 'choices' list is empty", injected);
            case NONE, BAD_TOOL_ARGUMENTS, HOSTILE, LATENCY_SPIKE ->
                    throw new IllegalArgumentException("Not a failing fault: " + draw.kind());
        };
    }

    private static ModelException malformed(String why, String injected) {
        return new ModelException(ModelException.Kind.MALFORMED_RESPONSE,
                "The simulated model sent a response that is not a usable chat completion: " + why + injected + ".");
    }

    // ---------------------------------------------------------------- tool calls

    /**
     * {@code answer} with the arguments of its tool call cut in the middle, or, when it calls no
     * tool, a call of an offered tool with such arguments. A proper prefix of a JSON object is
     * never valid JSON, whatever the parser.
     */
    static Message.Assistant badArguments(Message.Assistant answer, ModelRequest request, Draw draw, int turn,
            String callId, ObjectMapper json) {
        if (answer.hasToolCalls()) {
            List<ToolCall> calls = new ArrayList<>(answer.toolCalls());
            ToolCall first = calls.getFirst();
            ToolDefinition tool = request.tools().stream().filter(t -> t.name().equals(first.name())).findFirst()
                    .orElse(request.tools().getFirst());
            calls.set(0, new ToolCall(first.id(), first.name(), cut(first.arguments(), tool, turn, json)));
            return new Message.Assistant(answer.content(), calls);
        }
        ToolDefinition tool = pick(request.tools(), draw.detail());
        return new Message.Assistant("", List.of(new ToolCall(callId, tool.name(), cut("", tool, turn, json))));
    }

    private static String cut(String arguments, ToolDefinition tool, int turn, ObjectMapper json) {
        String text = arguments.strip();
        if (!isObject(text, json)) {
            text = SchemaFaker.value(tool.parameters(), "", turn).toString();
            if (!text.startsWith("{")) {
                text = "{\"value\":" + text + "}";
            }
        }
        return text.substring(0, text.length() / 2);
    }

    private static boolean isObject(String text, ObjectMapper json) {
        try {
            JsonNode node = json.readTree(text);
            return node != null && node.isObject() && text.endsWith("}");
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    /** The variants of a hostile tool call. */
    enum Hostile { UNKNOWN_TOOL, BREAKS_SCHEMA, ESCAPING_PATH }

    /** Which hostile variant a draw gets: each a third of the time. */
    static Hostile hostileVariant(Draw draw) {
        return Hostile.values()[(int) Math.floorMod(SimHash.of(draw.detail(), "variant"), 3L)];
    }

    /**
     * A call the engine must refuse: a tool that was not offered, arguments that break the
     * tool's schema (a required field missing, or a value of the wrong type), or path-like
     * strings that lead out of any workspace.
     */
    static Message.Assistant hostile(ModelRequest request, Draw draw, int turn, String callId) {
        List<ToolDefinition> tools = request.tools();
        ToolDefinition tool = pick(tools, draw.detail());
        JsonNode faked = SchemaFaker.value(tool.parameters(), "", turn);
        ObjectNode args = faked.isObject() ? (ObjectNode) faked : NODES.objectNode();
        long detail = SimHash.of(draw.detail(), "hostile-detail");
        ToolCall call = switch (hostileVariant(draw)) {
            case UNKNOWN_TOOL -> new ToolCall(callId, unknownName(tools), args.toString());
            case BREAKS_SCHEMA -> new ToolCall(callId, tool.name(), breakSchema(tool.parameters(), args, detail));
            case ESCAPING_PATH -> new ToolCall(callId, tool.name(), escapingPaths(tool.parameters(), args, detail));
        };
        return new Message.Assistant("", List.of(call));
    }

    private static String unknownName(List<ToolDefinition> tools) {
        String name = UNKNOWN_TOOL;
        for (int i = 2; offered(tools, name); i++) {
            name = UNKNOWN_TOOL + "_" + i;
        }
        return name;
    }

    private static boolean offered(List<ToolDefinition> tools, String name) {
        return tools.stream().anyMatch(t -> t.name().equals(name));
    }

    /** Drops a required property when the schema has one (and the draw says so), else gives a property the wrong type. */
    private static String breakSchema(JsonNode schema, ObjectNode args, long detail) {
        List<String> required = new ArrayList<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        List<Map.Entry<String, JsonNode>> properties = new ArrayList<>(schema.path("properties").properties());
        boolean dropRequired = !required.isEmpty() && (properties.isEmpty() || (detail & 1) == 0);
        if (dropRequired) {
            args.remove(required.get((int) Math.floorMod(detail >> 1, (long) required.size())));
            return args.toString();
        }
        if (properties.isEmpty()) {
            return "[]"; // an array where an object is expected
        }
        Map.Entry<String, JsonNode> property = properties.get((int) Math.floorMod(detail >> 1, (long) properties.size()));
        args.set(property.getKey(), wrongType(property.getValue()));
        return args.toString();
    }

    private static JsonNode wrongType(JsonNode schema) {
        String type = schema.path("type").isTextual() ? schema.path("type").asText() : "string";
        return switch (type) {
            case "integer", "number" -> NODES.textNode("not a number");
            case "boolean" -> NODES.textNode("yes");
            case "array" -> NODES.textNode("not a list");
            case "object" -> NODES.textNode("not an object");
            default -> NODES.numberNode(12_345);
        };
    }

    /** Every string property set to a path that leads out of the workspace; a {@code path} when there is none. */
    private static String escapingPaths(JsonNode schema, ObjectNode args, long detail) {
        String path = HOSTILE_PATHS.get((int) Math.floorMod(detail, (long) HOSTILE_PATHS.size()));
        boolean any = false;
        for (Map.Entry<String, JsonNode> property : schema.path("properties").properties()) {
            if ("string".equals(property.getValue().path("type").asText())) {
                args.put(property.getKey(), path);
                any = true;
            }
        }
        if (!any) {
            args.put("path", path);
        }
        return args.toString();
    }

    private static ToolDefinition pick(List<ToolDefinition> tools, long detail) {
        return tools.get((int) Math.floorMod(SimHash.of(detail, "tool"), (long) tools.size()));
    }
}
