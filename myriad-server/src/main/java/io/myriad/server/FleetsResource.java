package io.myriad.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.sse.SseClient;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.run.RunState;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Hosted fleets: {@code GET /v1/fleets} (deployments with their runs by state),
 * {@code POST /v1/fleets} (a fleet file's YAML as the body: deploy and start it), and
 * {@code GET /v1/fleets/{tenant}/{fleet}/progress} (server-sent events: runs by state each second
 * until the execution has no run left to move), {@code POST /v1/fleets/{tenant}/{fleet}/tasks}
 * (tasks for a running fleet with {@code intake: open}).
 */
public final class FleetsResource implements ApiResource {
    static final Duration TICK = Duration.ofSeconds(1);

    private final FleetHost host;
    /** Runs by state per execution, computed at most once per tick however many clients watch. */
    private final Map<String, Counts> counts = new java.util.concurrent.ConcurrentHashMap<>();

    private record Counts(long at, io.myriad.store.Store.ExecutionTally tally) {}
    /** The model of each execution's runs, once known. */
    private final Map<String, String> models = new java.util.concurrent.ConcurrentHashMap<>();

    public FleetsResource(FleetHost host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    @Override
    public void register(RoutesConfig routes, Api api) {
        api.describe("GET", "/v1/fleets", "Hosted fleets the caller may view, with their runs by state");
        routes.get("/v1/fleets", ctx -> {
            Principal who = api.principal(ctx);
            ArrayNode out = api.mapper().createArrayNode();
            for (FleetHost.Deployment d : host.deployments()) {
                if (who.can(Permission.VIEW, d.tenant())) {
                    out.add(json(api, d));
                }
            }
            api.json(ctx, api.mapper().createObjectNode().set("fleets", out));
        });
        api.describe("POST", "/v1/fleets", "Deploys a fleet file (YAML body) and starts it");
        routes.post("/v1/fleets", ctx -> {
            String type = String.valueOf(ctx.contentType()).toLowerCase(java.util.Locale.ROOT);
            if (!(type.startsWith("application/yaml") || type.startsWith("application/x-yaml") || type.startsWith("text/yaml")
                    || type.startsWith("text/x-yaml"))) {
                // text/plain is what a foreign page can post without asking: refused.
                throw new ApiError(415, "unsupported_media_type", "send the fleet file as Content-Type: application/yaml");
            }
            String yaml = ctx.body();
            if (yaml.isBlank()) {
                throw ApiError.badRequest("the body must be a fleet file (YAML)");
            }
            ctx.status(201);
            api.json(ctx, json(api, host.deploy(api.principal(ctx), yaml)));
        });
        api.describe("POST", "/v1/fleets/{tenant}/{fleet}/drain",
                "Stops a hosted fleet gracefully: steps in flight finish, unfinished runs resume when it is deployed again");
        routes.post("/v1/fleets/{tenant}/{fleet}/drain", ctx -> api.json(ctx, json(api, host.drain(api.principal(ctx),
                ctx.pathParam("tenant"), ctx.pathParam("fleet")))));
        api.describe("POST", "/v1/fleets/{tenant}/{fleet}/tasks",
                "Submits tasks to a running fleet with intake: open; answers 202 with their ids and the execution");
        routes.post("/v1/fleets/{tenant}/{fleet}/tasks", ctx -> {
            var tasks = tasks(api, ctx.body());
            FleetHost.Submission s = host.submit(api.principal(ctx), ctx.pathParam("tenant"), ctx.pathParam("fleet"), tasks);
            ObjectNode o = api.mapper().createObjectNode().put("execution", s.execution());
            s.ids().forEach(o.putArray("accepted")::add);
            ctx.status(202);
            api.json(ctx, o);
        });
        api.describe("POST", "/v1/fleets/{tenant}/{fleet}/scale",
                "Changes how many runs of a running fleet may be in progress at once: body {concurrency}");
        routes.post("/v1/fleets/{tenant}/{fleet}/scale", ctx -> {
            var body = api.body(ctx, java.util.Set.of("concurrency"));
            var n = body.get("concurrency");
            if (n == null || !n.canConvertToInt() || !n.isIntegralNumber()) {
                throw ApiError.badRequest("'concurrency' must be a whole number from 1 to " + FleetHost.MAX_CONCURRENCY);
            }
            api.json(ctx, json(api, host.scale(api.principal(ctx), ctx.pathParam("tenant"), ctx.pathParam("fleet"),
                    n.intValue())));
        });
        api.describe("GET", "/v1/fleets/{tenant}/{fleet}/progress",
                "Server-sent events: the fleet's runs by state, each second, until nothing moves");
        // Checked before the stream starts: once it has, the answer is a 200 whatever follows.
        routes.before("/v1/fleets/{tenant}/{fleet}/progress", ctx -> {
            Principal who = api.principal(ctx);
            find(ctx.pathParam("tenant"), ctx.pathParam("fleet")).filter(x -> who.can(Permission.VIEW, x.tenant()))
                    .orElseThrow(() -> ApiError.notFound("no hosted fleet " + ctx.pathParam("tenant") + "/"
                            + ctx.pathParam("fleet") + " among those you may see"));
        });
        routes.sse("/v1/fleets/{tenant}/{fleet}/progress", client -> {
            String tenant = client.ctx().pathParam("tenant");
            String fleet = client.ctx().pathParam("fleet");
            Principal who = api.principal(client.ctx());
            FleetHost.Deployment d = find(tenant, fleet).filter(x -> who.can(Permission.VIEW, x.tenant()))
                    .orElseThrow(() -> ApiError.notFound("no hosted fleet " + tenant + "/" + fleet + " among those you may see"));
            client.keepAlive();
            Thread.ofVirtual().name("myriad-sse-fleet").start(() -> progress(api, d, client));
        });
    }

    /** The body {@code {"tasks": [{id?, input, agent?, priority?}, ...]}}; 400 with every problem of its shape. */
    private static java.util.List<FleetHost.NewTask> tasks(Api api, String body) {
        com.fasterxml.jackson.databind.JsonNode root;
        try {
            root = api.mapper().readTree(body);
        } catch (java.io.IOException e) {
            throw ApiError.badRequest("the body must be JSON: {\"tasks\": [{\"input\": ...}, ...]}");
        }
        if (root == null || !root.path("tasks").isArray() || root.path("tasks").isEmpty()) {
            throw ApiError.badRequest("the body must be {\"tasks\": [{\"input\": ...}, ...]} with at least one task");
        }
        java.util.List<String> problems = new java.util.ArrayList<>();
        java.util.List<FleetHost.NewTask> tasks = new java.util.ArrayList<>();
        int i = 0;
        for (var t : root.path("tasks")) {
            String at = "task " + i++ + ": ";
            if (!t.isObject()) {
                problems.add(at + "expected an object {\"input\": ...}, got " + t.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
                continue;
            }
            for (var names = t.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!java.util.Set.of("id", "input", "agent", "priority").contains(name)) {
                    problems.add(at + "unknown key '" + name + "'; expected id, input, agent or priority");
                }
            }
            var input = t.path("input");
            if (input.isMissingNode() || input.isNull()) {
                problems.add(at + "the input is missing (a string or an object)");
            }
            var id = t.path("id");
            if (!id.isMissingNode() && !id.isTextual() && !id.isIntegralNumber()) {
                problems.add(at + "expected the id as a string");
            }
            var agent = t.path("agent");
            if (!agent.isMissingNode() && !agent.isTextual()) {
                problems.add(at + "expected the agent's name as a string");
            }
            var priority = t.path("priority");
            if (!priority.isMissingNode() && !(priority.isInt())) {
                problems.add(at + "expected the priority as an integer");
            }
            if (problems.isEmpty()) {
                tasks.add(new FleetHost.NewTask(id.isMissingNode() ? java.util.Optional.empty() : java.util.Optional.of(id.asText()),
                        input.isTextual() ? input.textValue() : input.toString(),
                        agent.isMissingNode() ? java.util.Optional.empty() : java.util.Optional.of(agent.textValue()),
                        priority.isMissingNode() ? 0 : priority.intValue()));
            }
        }
        if (!problems.isEmpty()) {
            throw ApiError.badRequest(String.join("\n", problems));
        }
        return tasks;
    }

    private java.util.Optional<FleetHost.Deployment> find(String tenant, String fleet) {
        return host.deployments().stream().filter(d -> d.tenant().equals(tenant) && d.fleet().equals(fleet)).findFirst();
    }

    private void progress(Api api, FleetHost.Deployment first, SseClient client) {
        try {
            while (!client.terminated()) {
                FleetHost.Deployment d = find(first.tenant(), first.fleet()).orElse(first);
                ObjectNode o = json(api, d);
                client.sendEvent("progress", o.toString());
                if (!d.state().equals("running")) {
                    client.sendEvent("end", o.toString());
                    break;
                }
                Thread.sleep(TICK);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // the client went away mid-write
        } finally {
            client.close();
        }
    }

    /** The model a run started with (its first journal event): the dashboard flags simulated ones. */
    private java.util.Optional<String> model(Api api, String execution) {
        String known = models.get(execution);
        if (known != null) {
            return java.util.Optional.of(known);
        }
        var first = api.store().runsPage(io.myriad.store.RunQuery.first(1).execution(execution),
                io.myriad.core.auth.TenantScope.ALL).runs().stream().findFirst();
        java.util.Optional<String> model = first.flatMap(r -> api.store().read(r.runId()).stream().findFirst())
                .map(r -> r.event() instanceof io.myriad.core.journal.RunEvent.RunStarted st ? st.model() : null);
        model.ifPresent(m -> models.put(execution, m));
        return model;
    }

    private ObjectNode json(Api api, FleetHost.Deployment d) {
        ObjectNode o = api.mapper().createObjectNode().put("tenant", d.tenant()).put("fleet", d.fleet())
                .put("source", d.source()).put("state", d.state()).put("deployed_by", d.deployedBy())
                .put("deployed_at", d.deployedAt());
        d.execution().ifPresent(e -> o.put("execution", e));
        d.exitCode().ifPresent(c -> o.put("exit_code", c));
        host.concurrency(d.tenant(), d.fleet()).ifPresent(c -> o.put("concurrency", c));
        d.execution().flatMap(e -> api.store().execution(e)).ifPresent(ex -> {
            o.put("tasks", ex.tasks());
            long now = System.currentTimeMillis();
            // A fleet that has stopped is read afresh: its last counts must be its final ones.
            boolean running = d.state().equals("running");
            Counts c = counts.compute(ex.id(), (k, old) -> running && old != null && now - old.at() < TICK.toMillis() ? old
                    : new Counts(now, api.store().executionTally(ex.id())));
            ObjectNode states = o.putObject("runs");
            new java.util.TreeMap<>(c.tally().byState()).forEach((state, n) -> states.put(state.label(), n));
            o.put("tokens", c.tally().tokens()).put("cost_usd", c.tally().costUsd());
            model(api, ex.id()).ifPresent(m -> o.put("model", m).put("simulated", m.equals("myriad-sim") || m.startsWith("sim")));
        });
        return o;
    }
}
