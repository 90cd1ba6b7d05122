package io.myriad.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.control.Scope;
import io.myriad.core.fleet.A2aSpec;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.run.FleetRunner;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hosted fleets as A2A agents (Agent2Agent protocol 0.3, JSON-RPC binding), for fleets whose file
 * says {@code a2a: {expose: true}} and {@code intake: open}:
 * {@code GET /a2a/{tenant}/{fleet}/.well-known/agent-card.json} (the agent card, public: it tells
 * a client how to authenticate), {@code POST /a2a/{tenant}/{fleet}} (JSON-RPC: {@code message/send},
 * {@code message/stream}, {@code tasks/get}, {@code tasks/cancel}, {@code tasks/resubscribe}),
 * authenticated as the rest of the API, and {@code GET /v1/a2a} (the exposed agents the caller may view).
 *
 * <p>Notes:
 * <ul>
 *   <li>A message becomes one task of the fleet through {@link FleetHost#submit}; its text parts
 *       (and data parts, as JSON) are the task's input. The task's id is derived from the
 *       message id, so a message sent twice is one task; the A2A task id is the run id.
 *   <li>Tenant isolation: an agent of a tenant the caller may not view is a 404, and a task id of
 *       another fleet or tenant is {@code TaskNotFoundError} (-32001), like an unknown one.
 *   <li>Sending needs the run permission, reading the view permission, cancelling the control
 *       permission (as {@code POST /v1/kill}, whose path it takes: fenced, audited).
 *   <li>{@code message/send} waits for the end of the task unless {@code configuration.blocking}
 *       is false (as the protocol's reference servers do), at most {@link #BLOCKING_WAIT}.
 *   <li>Context ids given by clients are remembered in memory only; after a restart a task's
 *       context id is its task id.
 * </ul>
 */
public final class A2aResource implements ApiResource {
    /** Where an agent's card is, below its endpoint. */
    public static final String CARD_PATH = "/.well-known/agent-card.json";
    static final String PROTOCOL_VERSION = "0.3.0";
    static final int PARSE_ERROR = -32700;
    static final int INVALID_REQUEST = -32600;
    static final int METHOD_NOT_FOUND = -32601;
    static final int INVALID_PARAMS = -32602;
    static final int INTERNAL_ERROR = -32603;
    static final int TASK_NOT_FOUND = -32001;
    static final int TASK_NOT_CANCELABLE = -32002;
    static final int PUSH_NOT_SUPPORTED = -32003;
    static final int UNSUPPORTED_OPERATION = -32004;
    static final int CONTENT_TYPE_NOT_SUPPORTED = -32005;
    static final Duration POLL = Duration.ofMillis(100);
    static final Duration BLOCKING_WAIT = Duration.ofSeconds(60);
    static final Duration KEEP_ALIVE = Duration.ofSeconds(1);

    private final FleetHost host;
    /** Tasks submitted by this node: their context and input until the run starts. */
    private final Map<String, Submitted> submitted = new ConcurrentHashMap<>();

    private record Submitted(String tenant, String fleet, String contextId, String input) {}

    /** A JSON-RPC error answered to the caller; never leaves this class. */
    private static final class RpcError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int code;

        RpcError(int code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    public A2aResource(FleetHost host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    @Override
    public void register(RoutesConfig routes, Api api) {
        A2aTasks tasks = new A2aTasks(api.mapper());
        api.describe("GET", "/v1/a2a", "Hosted fleets exposed as A2A agents that the caller may view, with their card and endpoint URLs");
        routes.get("/v1/a2a", ctx -> {
            Principal who = api.principal(ctx);
            ArrayNode out = api.mapper().createArrayNode();
            for (FleetHost.Deployment d : host.deployments()) {
                if (who.can(Permission.VIEW, d.tenant())) {
                    host.a2a(d.tenant(), d.fleet()).ifPresent(a -> out.addObject().put("tenant", d.tenant())
                            .put("fleet", d.fleet()).put("name", a.name().orElse(d.fleet()))
                            .put("endpoint", endpoint(ctx, d.tenant(), d.fleet()))
                            .put("card", endpoint(ctx, d.tenant(), d.fleet()) + CARD_PATH));
                }
            }
            api.json(ctx, api.mapper().createObjectNode().set("agents", out));
        });
        api.describe("GET", "/a2a/{tenant}/{fleet}" + CARD_PATH,
                "The A2A agent card of an exposed hosted fleet (public: it says how to authenticate)");
        routes.get("/a2a/{tenant}/{fleet}" + CARD_PATH, ctx -> {
            String tenant = ctx.pathParam("tenant");
            String fleet = ctx.pathParam("fleet");
            A2aSpec spec = host.a2a(tenant, fleet).orElseThrow(() -> notExposed(tenant, fleet));
            api.json(ctx, card(api, spec, fleet, endpoint(ctx, tenant, fleet)));
        });
        api.describe("POST", "/a2a/{tenant}/{fleet}",
                "A2A JSON-RPC 2.0 endpoint of an exposed hosted fleet: message/send, message/stream, tasks/get, tasks/cancel, tasks/resubscribe");
        routes.post("/a2a/{tenant}/{fleet}", ctx -> rpc(api, tasks, ctx));
    }

    private static ApiError notExposed(String tenant, String fleet) {
        return ApiError.notFound("no A2A agent " + tenant + "/" + fleet + ": no running hosted fleet of that name exposes "
                + "itself (a2a: {expose: true} and intake: open in its file)");
    }

    private static String endpoint(Context ctx, String tenant, String fleet) {
        String host = Optional.ofNullable(ctx.header("Host")).orElse("localhost");
        return ctx.scheme() + "://" + host + "/a2a/" + tenant + "/" + fleet;
    }

    private ObjectNode card(Api api, A2aSpec spec, String fleet, String url) {
        ObjectNode card = api.mapper().createObjectNode().put("protocolVersion", PROTOCOL_VERSION)
                .put("name", spec.name().orElse(fleet))
                .put("description", spec.description().isBlank() ? "Myriad fleet " + fleet : spec.description())
                .put("url", url).put("preferredTransport", "JSONRPC").put("version", "1");
        card.putArray("additionalInterfaces").addObject().put("url", url).put("transport", "JSONRPC");
        card.putObject("provider").put("organization", "Myriad").put("url", url);
        card.putObject("capabilities").put("streaming", true).put("pushNotifications", false)
                .put("stateTransitionHistory", false);
        card.putObject("securitySchemes").putObject("bearer").put("type", "http").put("scheme", "bearer")
                .put("description", "A Myriad API key: Authorization: Bearer KEY");
        card.putArray("security").addObject().putArray("bearer");
        card.putArray("defaultInputModes").add("text/plain").add("application/json");
        card.putArray("defaultOutputModes").add("text/plain");
        ArrayNode skills = card.putArray("skills");
        List<A2aSpec.Skill> listed = spec.skills().isEmpty()
                ? List.of(new A2aSpec.Skill(fleet, spec.name().orElse(fleet), card.path("description").asText(), List.of(),
                        List.of()))
                : spec.skills();
        for (A2aSpec.Skill s : listed) {
            ObjectNode o = skills.addObject().put("id", s.id()).put("name", s.name()).put("description", s.description());
            s.tags().forEach(o.putArray("tags")::add);
            s.examples().forEach(o.putArray("examples")::add);
        }
        return card;
    }

    // ---------------------------------------------------------------- JSON-RPC

    private void rpc(Api api, A2aTasks tasks, Context ctx) throws IOException {
        Principal who = api.principal(ctx);
        String tenant = ctx.pathParam("tenant");
        String fleet = ctx.pathParam("fleet");
        if (!who.can(Permission.VIEW, tenant) || host.a2a(tenant, fleet).isEmpty()) {
            throw notExposed(tenant, fleet);
        }
        JsonNode id = NullNode.getInstance();
        try {
            JsonNode request;
            try {
                request = api.mapper().readTree(ctx.body());
            } catch (JsonProcessingException e) {
                throw new RpcError(PARSE_ERROR, "Parse error: the body is not JSON: " + e.getOriginalMessage());
            }
            if (request instanceof ObjectNode o && o.has("id") && (o.get("id").isTextual() || o.get("id").isIntegralNumber())) {
                id = o.get("id");
            }
            if (!(request instanceof ObjectNode o) || !"2.0".equals(o.path("jsonrpc").textValue())
                    || !o.path("method").isTextual() || !(id.isTextual() || id.isIntegralNumber())) {
                throw new RpcError(INVALID_REQUEST, "Invalid Request: expected a JSON-RPC 2.0 request object "
                        + "{jsonrpc: \"2.0\", id, method, params}");
            }
            JsonNode params = o.path("params");
            if (!params.isObject()) {
                throw new RpcError(INVALID_PARAMS, "Invalid params: expected params to be an object");
            }
            Call call = new Call(api, tasks, who, tenant, fleet, id, (ObjectNode) params);
            switch (o.get("method").textValue()) {
                case "message/send" -> answer(api, ctx, id, send(call));
                case "message/stream" -> stream(call, ctx, start(call));
                case "tasks/get" -> answer(api, ctx, id, get(call, taskId(call)));
                case "tasks/cancel" -> answer(api, ctx, id, cancel(call));
                case "tasks/resubscribe" -> stream(call, ctx, resubscribe(call));
                case "tasks/pushNotificationConfig/set", "tasks/pushNotificationConfig/get",
                     "tasks/pushNotificationConfig/list", "tasks/pushNotificationConfig/delete" ->
                        throw new RpcError(PUSH_NOT_SUPPORTED, "Push Notification is not supported by this agent");
                default -> throw new RpcError(METHOD_NOT_FOUND, "Method not found: " + o.get("method").textValue());
            }
        } catch (RpcError e) {
            error(api, ctx, id, e.code, e.getMessage());
        } catch (ApiError e) {
            if (e.status() == 401 || e.status() == 403) {
                throw e;
            }
            error(api, ctx, id, e.status() == 400 ? INVALID_PARAMS : INTERNAL_ERROR, e.getMessage());
        }
    }

    /** One request: who asks which agent, with what. */
    private record Call(Api api, A2aTasks tasks, Principal who, String tenant, String fleet, JsonNode id, ObjectNode params) {}

    private static void answer(Api api, Context ctx, JsonNode id, JsonNode result) {
        ObjectNode o = api.mapper().createObjectNode().put("jsonrpc", "2.0");
        o.set("id", id);
        o.set("result", result);
        api.json(ctx, o);
    }

    private static ObjectNode errorBody(Api api, JsonNode id, int code, String message) {
        ObjectNode o = api.mapper().createObjectNode().put("jsonrpc", "2.0");
        o.set("id", id);
        o.putObject("error").put("code", code).put("message", message);
        return o;
    }

    private static void error(Api api, Context ctx, JsonNode id, int code, String message) {
        api.json(ctx, errorBody(api, id, code, message));
    }

    private static String taskId(Call call) {
        JsonNode id = call.params().path("id");
        if (!id.isTextual() || id.textValue().isBlank()) {
            throw new RpcError(INVALID_PARAMS, "Invalid params: expected the task's id as params.id");
        }
        return id.textValue();
    }

    /** Submits the message's task; answers its run id. */
    private String start(Call call) {
        JsonNode message = call.params().path("message");
        if (!message.isObject()) {
            throw new RpcError(INVALID_PARAMS, "Invalid params: expected params.message, the user's message");
        }
        if (!message.path("messageId").isTextual() || message.path("messageId").textValue().isBlank()) {
            throw new RpcError(INVALID_PARAMS, "Invalid params: the message needs a messageId");
        }
        if (!"user".equals(message.path("role").textValue())) {
            throw new RpcError(INVALID_PARAMS, "Invalid params: the message's role must be \"user\"");
        }
        if (message.hasNonNull("taskId")) {
            throw new RpcError(UNSUPPORTED_OPERATION, "This operation is not supported: a Myriad task takes one message; "
                    + "send a new message without taskId");
        }
        StringBuilder input = new StringBuilder();
        for (JsonNode part : message.path("parts")) {
            String kind = part.path("kind").asText(part.has("text") ? "text" : part.has("data") ? "data" : "file");
            String text = switch (kind) {
                case "text" -> part.path("text").asText("");
                case "data" -> part.path("data").toString();
                default -> throw new RpcError(CONTENT_TYPE_NOT_SUPPORTED, "Incompatible content types: this agent takes "
                        + "text and data parts, not " + kind + " parts");
            };
            if (!text.isBlank()) {
                input.append(input.isEmpty() ? "" : "\n\n").append(text);
            }
        }
        if (input.isEmpty()) {
            throw new RpcError(INVALID_PARAMS, "Invalid params: the message has no text or data part with content");
        }
        String taskId = "a2a-" + HexFormat.of().formatHex(sha256(call.tenant() + "/" + call.fleet() + "/"
                + message.path("messageId").textValue())).substring(0, 24);
        String execution;
        try {
            execution = host.submit(call.who(), call.tenant(), call.fleet(), List.of(new FleetHost.NewTask(
                    Optional.of(taskId), input.toString(), Optional.empty(), 0))).execution();
        } catch (ApiError e) {
            if (e.status() != 400 || !e.getMessage().contains("duplicate task id")) {
                throw e;
            }
            // The same message again: the task it made before.
            execution = host.deployments().stream().filter(d -> d.tenant().equals(call.tenant()) && d.fleet().equals(call.fleet()))
                    .findFirst().flatMap(FleetHost.Deployment::execution).orElseThrow(() -> e);
        }
        String runId = FleetRunner.runId(execution, taskId);
        String context = message.path("contextId").isTextual() ? message.path("contextId").textValue() : runId;
        submitted.putIfAbsent(runId, new Submitted(call.tenant(), call.fleet(), context, input.toString()));
        return runId;
    }

    private JsonNode send(Call call) throws IOException {
        String runId = start(call);
        boolean blocking = call.params().path("configuration").path("blocking").asBoolean(true);
        long deadline = System.nanoTime() + BLOCKING_WAIT.toNanos();
        ObjectNode task = get(call, runId);
        while (blocking && !A2aTasks.isFinal(task.path("status").path("state").asText()) && System.nanoTime() < deadline) {
            sleep(POLL);
            task = get(call, runId);
        }
        return task;
    }

    /** The task, when it is one of this agent's; {@code TaskNotFoundError} otherwise. */
    private ObjectNode get(Call call, String runId) {
        int historyLength = call.params().path("historyLength").asInt(-1);
        Optional<RunRepository.RunRow> row = call.api().store().run(runId)
                .filter(r -> r.tenant().equals(call.tenant()) && r.fleet().equals(call.fleet()));
        Submitted s = submitted.get(runId);
        if (row.isEmpty() && (s == null || !s.tenant().equals(call.tenant()) || !s.fleet().equals(call.fleet()))) {
            throw new RpcError(TASK_NOT_FOUND, "Task not found: " + runId);
        }
        List<JournalRecord> records = row.isPresent() ? call.api().store().read(runId) : List.of();
        return call.tasks().task(runId, s == null ? runId : s.contextId(), records,
                Optional.ofNullable(s).map(Submitted::input), historyLength);
    }

    private JsonNode cancel(Call call) {
        String runId = taskId(call);
        ObjectNode task = get(call, runId);
        if (A2aTasks.isFinal(task.path("status").path("state").asText())) {
            throw new RpcError(TASK_NOT_CANCELABLE, "Task cannot be canceled: task " + runId + " is "
                    + task.path("status").path("state").asText());
        }
        call.who().require(Permission.CONTROL, call.tenant());
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (call.api().store().run(runId).isEmpty() && System.nanoTime() < deadline) {
            sleep(POLL); // submitted: the fleet admits it within its intake poll
        }
        ControlResource.kill(call.api(), call.who(), new Scope.Run(runId), "A2A tasks/cancel");
        deadline = System.nanoTime() + ControlResource.KILL_GRACE.plusSeconds(3).toNanos();
        while (!A2aTasks.isFinal(task.path("status").path("state").asText()) && System.nanoTime() < deadline) {
            sleep(POLL);
            task = get(call, runId);
        }
        return task;
    }

    private String resubscribe(Call call) {
        String runId = taskId(call);
        get(call, runId);
        return runId;
    }

    // ---------------------------------------------------------------- streaming

    /**
     * Answers server-sent events, each a JSON-RPC response: the task, a status update for each
     * journal event worth telling, then the output artifact and a final status update.
     */
    private void stream(Call call, Context ctx, String runId) {
        try {
            follow(call, ctx, runId);
        } catch (IOException e) {
            // the client went away: its run goes on
        }
    }

    private void follow(Call call, Context ctx, String runId) throws IOException {
        ObjectNode task = get(call, runId);
        String context = task.path("contextId").asText();
        ctx.status(200);
        ctx.res().setContentType("text/event-stream");
        ctx.res().setCharacterEncoding("UTF-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        OutputStream out = ctx.res().getOutputStream();
        event(call, out, task);
        if (A2aTasks.isFinal(task.path("status").path("state").asText())) {
            return;
        }
        long after = -1;
        long quietSince = System.nanoTime();
        while (true) {
            List<JournalRecord> records = call.api().store().run(runId).isPresent() ? call.api().store().read(runId, after)
                    : List.of();
            for (JournalRecord r : records) {
                after = r.seq();
                Optional<A2aTasks.End> end = A2aTasks.end(r.event());
                if (end.isPresent()) {
                    if (end.get().output()) {
                        event(call, out, call.tasks().artifactUpdate(runId, context, end.get().text()));
                    }
                    event(call, out, call.tasks().statusUpdate(runId, context, end.get().state(),
                            Optional.of(end.get().text()), r.event().at(), true));
                    return;
                }
                Optional<String> activity = A2aTasks.activity(r.event());
                if (activity.isPresent()) {
                    event(call, out, call.tasks().statusUpdate(runId, context, "working", activity, r.event().at(), false));
                }
            }
            if (!records.isEmpty()) {
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince > KEEP_ALIVE.toNanos()) {
                out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8)); // a client that left fails this write
                out.flush();
                quietSince = System.nanoTime();
                if (host.a2a(call.tenant(), call.fleet()).isEmpty()) {
                    return; // the fleet stopped: the task goes on when it is deployed again; tasks/resubscribe follows it
                }
            }
            sleep(POLL);
        }
    }

    private static void event(Call call, OutputStream out, JsonNode result) throws IOException {
        ObjectNode o = call.api().mapper().createObjectNode().put("jsonrpc", "2.0");
        o.set("id", call.id());
        o.set("result", result);
        out.write(("data: " + o + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "unavailable", "the server is stopping");
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
