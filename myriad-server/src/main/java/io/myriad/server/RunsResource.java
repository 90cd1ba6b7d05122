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
import io.myriad.core.run.Decisions;
import io.myriad.core.run.RunFold;
import io.myriad.core.run.RunState;
import io.myriad.store.RunQuery;
import io.myriad.store.Store;
import java.time.InstantSource;
import java.util.Optional;
import java.util.Set;
import java.time.Duration;
import java.util.List;

/**
 * Runs and their journals: {@code GET /v1/runs} (filtered, keyset-paginated), {@code GET /v1/runs/{id}},
 * {@code GET /v1/runs/{id}/events}, and {@code GET /v1/runs/{id}/stream} (server-sent events:
 * the journal so far, then each new event, until the run is final or the client leaves), and
 * {@code POST /v1/runs/{id}/resolve} (a decision on a call in doubt, as {@code myriad runs resolve}).
 * A run of a tenant the caller may not view is answered exactly like one that does not exist.
 */
public final class RunsResource implements ApiResource {
    /** How often a stream looks for new events. */
    static final Duration POLL = Duration.ofMillis(250);
    /**
     * How long a stream stays silent before it sends a comment: writing is how a stream learns
     * that its client has gone (a run that stays quiet would otherwise hold its thread forever).
     */
    static final Duration HEARTBEAT = Duration.ofSeconds(1);
    /** Streams whose thread is running, for tests that check a departed client's thread ends. */
    static final java.util.concurrent.atomic.AtomicInteger OPEN_STREAMS = new java.util.concurrent.atomic.AtomicInteger();

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
        api.describe("GET", "/v1/runs", "Runs the caller may view, newest first: filters execution, fleet, state, agent, "
                + "q (text in the id, task or detail); limit; cursor (the 'next' of the previous page)");
        routes.get("/v1/runs", ctx -> {
            RunQuery q = RunQuery.first(limit(ctx));
            Optional<String> v;
            if ((v = Params.query(ctx, "execution")).isPresent()) {
                q = q.execution(v.get());
            }
            if ((v = Params.query(ctx, "fleet")).isPresent()) {
                q = q.fleet(v.get());
            }
            if ((v = Params.query(ctx, "state")).isPresent()) {
                q = q.state(state(v.get()));
            }
            if ((v = Params.query(ctx, "agent")).isPresent()) {
                q = q.agent(v.get());
            }
            if ((v = Params.query(ctx, "q")).isPresent()) {
                q = q.text(v.get());
            }
            if ((v = Params.query(ctx, "cursor")).isPresent()) {
                q = q.after(Cursor.decode(v.get()));
            }
            Store.RunPage page = api.store().runsPage(q, api.principal(ctx).scopeOf(Permission.VIEW));
            ArrayNode out = api.mapper().createArrayNode();
            for (RunRepository.RunRow row : page.runs()) {
                out.add(row(api.mapper(), row));
            }
            ObjectNode body = api.mapper().createObjectNode();
            body.set("runs", out);
            page.next().ifPresentOrElse(k -> body.put("next", Cursor.encode(k)), () -> body.putNull("next"));
            api.json(ctx, body);
        });
        api.describe("POST", "/v1/runs/{id}/resolve", "Decides on the call a run left in doubt: body {decision: retry|done|fail, "
                + "result?, comment?, call?} (resolve permission), as `myriad runs resolve`");
        routes.post("/v1/runs/{id}/resolve", ctx -> {
            ObjectNode body = api.body(ctx, Set.of("decision", "result", "comment", "call"));
            Principal who = api.principal(ctx);
            String id = ctx.pathParam("id");
            String decision = Params.required(body, "decision");
            if (!Set.of("retry", "done", "fail").contains(decision)) {
                throw ApiError.badRequest("decision must be retry, done or fail, got '" + decision + "'");
            }
            String result = Params.text(body, "result").orElse(null);
            if (decision.equals("done") && result == null) {
                throw ApiError.badRequest("decision done needs the call's 'result', as the agent will read it");
            }
            Params.run(api.store(), who, id, Permission.RESOLVE);
            RunFold fold;
            try {
                fold = Decisions.resolve(api.store(), InstantSource.system(), id, Params.text(body, "call").orElse(null),
                        decision, result, who.actor(), Params.text(body, "comment").orElse(null));
            } catch (Decisions.RefusedException e) {
                throw ApiError.conflict(e.getMessage());
            }
            api.json(ctx, api.mapper().createObjectNode().put("run", id).put("decision", decision).put("by", who.actor())
                    .put("state", fold.state().label()));
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
        // Checked before the stream starts: once it has, the answer is a 200 whatever follows.
        routes.before("/v1/runs/{id}/stream", ctx -> run(api, ctx));
        routes.sse("/v1/runs/{id}/stream", client -> {
            RunRepository.RunRow row = run(api, client.ctx());
            client.keepAlive();
            OPEN_STREAMS.incrementAndGet();
            Thread.ofVirtual().name("myriad-sse-run").start(() -> {
                try {
                    stream(api, row.runId(), client);
                } finally {
                    OPEN_STREAMS.decrementAndGet();
                }
            });
        });
    }

    /** Sends the run's events from the start, then new ones, until it is final or the client has gone. */
    private static void stream(Api api, String runId, SseClient client) {
        long sent = -1;
        long lastWrite = System.nanoTime();
        try {
            while (!client.terminated()) {
                // Final before the read: the final event, committed with that state, is in the read.
                boolean fin = api.store().run(runId).map(x -> x.status().state().isFinal()).orElse(false);
                // Only what is new since the last event sent: a long run is not re-read four times a second.
                List<JournalRecord> records = api.store().read(runId, sent);
                for (JournalRecord r : records) {
                    if (r.seq() > sent) {
                        client.sendEvent("event", event(api.mapper(), r).toString(), String.valueOf(r.seq()));
                        sent = r.seq();
                        lastWrite = System.nanoTime();
                    }
                }
                if (System.nanoTime() - lastWrite >= HEARTBEAT.toNanos()) {
                    client.sendComment("keep-alive");
                    lastWrite = System.nanoTime();
                }
                if (fin && records.isEmpty()) {
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
        return Params.run(api.store(), api.principal(ctx), ctx.pathParam("id"), Permission.VIEW);
    }

    /** A run state by its label ({@code in_doubt}) or name. */
    static RunState state(String v) {
        for (RunState st : RunState.values()) {
            if (st.label().equalsIgnoreCase(v) || st.name().equalsIgnoreCase(v)) {
                return st;
            }
        }
        throw ApiError.badRequest("unknown state '" + v + "'; states: "
                + java.util.Arrays.stream(RunState.values()).map(RunState::label).toList());
    }

    /** The opaque token of a page's last ordering key: base64url of {@code updated_at:run_id}. */
    static final class Cursor {
        private Cursor() {}

        static String encode(RunQuery.Key k) {
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                    (k.updatedAt() + ":" + k.runId()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        static RunQuery.Key decode(String token) {
            try {
                String s = new String(java.util.Base64.getUrlDecoder().decode(token), java.nio.charset.StandardCharsets.UTF_8);
                int colon = s.indexOf(':');
                return new RunQuery.Key(Long.parseLong(s.substring(0, colon)), s.substring(colon + 1));
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                throw ApiError.badRequest("cursor is not one this server gave: pass the 'next' of the previous page");
            }
        }
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
