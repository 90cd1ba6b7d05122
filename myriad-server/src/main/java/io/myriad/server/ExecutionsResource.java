package io.myriad.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.myriad.core.auth.Permission;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.run.RunState;
import io.myriad.store.Store;
import java.time.Instant;
import java.util.Map;

/**
 * Fleet executions, the read side: {@code GET /v1/executions} (newest first) and
 * {@code GET /v1/executions/{id}}, each with its runs counted by state.
 */
public final class ExecutionsResource implements ApiResource {
    @Override
    public void register(RoutesConfig routes, Api api) {
        api.describe("GET", "/v1/executions", "Fleet executions the caller may view, newest first, with run counts by state (limit)");
        routes.get("/v1/executions", ctx -> {
            int limit = RunsResource.limit(ctx);
            ArrayNode out = api.mapper().createArrayNode();
            for (RunRepository.Execution e : api.store().executions(limit, api.principal(ctx).scopeOf(Permission.VIEW))) {
                out.add(json(api.mapper(), api.store(), e));
            }
            api.json(ctx, api.mapper().createObjectNode().set("executions", out));
        });
        api.describe("GET", "/v1/executions/{id}", "One fleet execution, with its runs counted by state");
        routes.get("/v1/executions/{id}", ctx -> api.json(ctx, json(api.mapper(), api.store(),
                Params.execution(api.store(), api.principal(ctx), ctx.pathParam("id")))));
    }

    static ObjectNode json(ObjectMapper mapper, Store store, RunRepository.Execution e) {
        ObjectNode o = mapper.createObjectNode().put("id", e.id()).put("fleet", e.fleet()).put("tenant", e.tenant())
                .put("digest", e.digest()).put("source", e.source()).put("tasks", e.tasks())
                .put("started_at", Instant.ofEpochMilli(e.startedAt()).toString());
        if (e.finishedAt() > 0) {
            o.put("finished_at", Instant.ofEpochMilli(e.finishedAt()).toString());
        } else {
            o.putNull("finished_at");
        }
        Map<RunState, Long> counts = store.runStateCounts(e.id());
        long runs = 0;
        long finals = 0;
        ObjectNode byState = o.putObject("states");
        for (var c : counts.entrySet()) {
            byState.put(c.getKey().label(), c.getValue());
            runs += c.getValue();
            finals += c.getKey().isFinal() ? c.getValue() : 0;
        }
        o.put("runs", runs).put("finished_runs", finals);
        return o;
    }
}
