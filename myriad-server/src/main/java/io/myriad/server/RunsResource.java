package io.myriad.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.journal.EventCodec;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunRepository;
import io.myriad.store.SqliteStore;
import java.time.Duration;
import java.util.List;

/**
 * Runs and their journals: {@code GET /v1/runs}, {@code GET /v1/runs/{id}},
 * {@code GET /v1/runs/{id}/events}, and {@code GET /v1/runs/{id}/stream} (server-sent events:
 * the journal so far, then each new event, until the run is final or the client leaves).
 * A run of a tenant the caller may not view is answered exactly like one that does not exist.
 */
public final class RunsResource implements ApiResource {
    /** How often a stream looks for new events. */
    static final Duration POLL = Duration.ofMillis(250);

    @Override
    public void register(RoutesConfig routes, Api api) {
        api.describe("GET", "/v1/whoami", "The caller: its principal and grants");
        routes.get("/v1/whoami", ctx -> {
            Principal who = api.principal(ctx);
            ObjectNode o = api.mapper().createObjectNode().put("id", who.id()).put("name", who.name())
                    .put("kind", who.kind().name().toLowerCase(java.util.Locale.ROOT));
            ObjectNode grants = o.putObject("grants");
            who.grants().forEach((tenant, roles) -> {
                ArrayNode a = grants.putArray(tenant);
                roles.forEach(r -> a.add(r.name().toLowerCase(java.util.Locale.ROOT)));
            });
            api.json(ctx, o);
        });
        api.describe("GET", "/v1/runs", "Runs the caller may view, newest first (limit)");
        routes.get("/v1/runs", ctx -> {
            int limit = limit(ctx);
            var scope = api.principal(ctx).scopeOf(Permission.VIEW);
            ArrayNode out = api.mapper().createArrayNode();
            for (RunRepository.RunRow row : api.store().recentRuns(limit, scope)) {
                out.add(row(api.mapper(), row));
            }
            api.json(ctx, api.mapper().createObjectNode().set("runs", out));
        });
        api.describe("GET", "/v1/runs/{id}", "One run's summary");
        routes.get("/v1/runs/{id}", ctx -> api.json(ctx, row(api.mapper(), run(api, ctx))));
        api.describe("GET", "/v1/runs/{id}/events", "One run's journal, in order");
        routes.get("/v1/runs/{id}/events", ctx -> {
            RunRepository.RunRow row = run(api, ctx);
            ArrayNode out = api.mapper().createArrayNode();
            for (JournalRecord r : api.store().read(row.runId())) {
                out.add(event(api.mapper(), r));
            }
            api.json(ctx, api.mapper().createObjectNode().put("run", row.runId()).set("events", out));
        });
        api.describe("GET", "/v1/runs/{id}/stream", "Server-sent events: the run's journal, then each new event");
        routes.sse("/v1/runs/{id}/stream", client -> {
            RunRepository.RunRow row = run(api, client.ctx());
            client.keepAlive();
            Thread.ofVirtual().name("myriad-sse-run").start(() -> stream(api, row.runId(), client));
        });
    }

    /** Sends the run's events from the start, then new ones, until it is final or the client has gone. */
    private static void stream(Api api, String runId, SseClient client) {
        long sent = -1;
        try {
            while (!client.terminated()) {
                List<JournalRecord> records = api.store().read(runId);
                for (JournalRecord r : records) {
                    if (r.seq() > sent) {
                        client.sendEvent("event", event(api.mapper(), r).toString(), String.valueOf(r.seq()));
                        sent = r.seq();
                    }
                }
                boolean fin = api.store().run(runId).map(x -> x.status().state().isFinal()).orElse(false);
                if (fin && records.size() == sent + 1) {
                    client.sendEvent("end", "{\"run\":\"" + runId + "\"}");
                    break;
                }
                Thread.sleep(POLL);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // the client went away mid-write: nothing to answer to
        } finally {
            client.close();
        }
    }

    static RunRepository.RunRow run(Api api, Context ctx) {
        String id = ctx.pathParam("id");
        Principal who = api.principal(ctx);
        return api.store().run(id).filter(r -> who.can(Permission.VIEW, r.tenant()))
                .orElseThrow(() -> ApiError.notFound("no run " + id + " among the runs you may see"));
    }

    static int limit(Context ctx) {
        String v = ctx.queryParam("limit");
        if (v == null) {
            return 100;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < 1 || n > 1000) {
                throw ApiError.badRequest("limit must be between 1 and 1000, got " + v);
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("limit must be a number, got '" + v + "'");
        }
    }

    static ObjectNode row(ObjectMapper mapper, RunRepository.RunRow r) {
        return mapper.createObjectNode().put("id", r.runId()).put("execution", r.execution()).put("fleet", r.fleet())
                .put("tenant", r.tenant()).put("task", r.task()).put("agent", r.agent())
                .put("state", r.status().state().label()).put("steps", r.status().steps())
                .put("tokens", r.status().tokens()).put("cost_usd", r.status().costUsd())
                .put("updated_at", r.status().updatedAt()).put("detail", r.status().detail());
    }

    static ObjectNode event(ObjectMapper mapper, JournalRecord r) {
        try {
            JsonNode body = mapper.readTree(EventCodec.encode(r.event()));
            ObjectNode o = mapper.createObjectNode().put("seq", r.seq());
            o.set("event", body);
            return o;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot re-read an encoded event", e);
        }
    }
}
