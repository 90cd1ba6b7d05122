package io.myriad.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.auth.AccessStore;
import io.myriad.core.auth.ApiKeys;
import io.myriad.core.auth.Principal;
import io.myriad.core.auth.Role;
import io.myriad.core.delivery.Delivery;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.model.Message;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.Usage;
import io.myriad.core.run.RunFold;
import io.myriad.store.SqliteStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Two tenants in a real SQLite store, each with an execution whose runs succeeded, wait for an
 * approval or hold a call in doubt, a delivery each, keys of every role, and a real server on
 * a free port. Runs: alpha {@code fa-1:t1} succeeded, {@code fa-1:t2} awaits an approval,
 * {@code fa-1:t3} is in doubt; beta {@code fb-1:t1} awaits an approval, {@code fb-1:t2} succeeded.
 */
final class ApiFixture implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final SqliteStore store;
    final ApiServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final String admin;
    final String alphaOwner;
    final String alphaViewer;
    final String alphaApprover;
    final String alphaOperator;
    final String alphaAuditor;
    final String betaOwner;
    final String betaOwnerId;

    ApiFixture(Path dir) {
        this(dir, b -> b);
    }

    ApiFixture(Path dir, UnaryOperator<ApiServer.Builder> configure) {
        store = SqliteStore.open(dir.resolve("myriad.db"));
        long now = System.currentTimeMillis();
        admin = key("admin", Principal.ALL_TENANTS, Role.OWNER).key();
        store.createTenant("alpha", now, "key:admin");
        store.createTenant("beta", now, "key:admin");
        alphaOwner = key("ann", "alpha", Role.OWNER).key();
        alphaViewer = key("vic", "alpha", Role.VIEWER).key();
        alphaApprover = key("apu", "alpha", Role.APPROVER).key();
        alphaOperator = key("opal", "alpha", Role.OPERATOR).key();
        alphaAuditor = key("aud", "alpha", Role.AUDITOR).key();
        ApiKeys.Issued beta = key("bea", "beta", Role.OWNER);
        betaOwner = beta.key();
        betaOwnerId = beta.id();

        var fa = store.createExecution("alpha", "fa", "d", "alpha.yaml", 3, now);
        succeeded(fa.id(), "fa", "t1");
        awaitingApproval(fa.id(), "fa", "t2");
        inDoubt(fa.id(), "fa", "t3");
        var fb = store.createExecution("beta", "fb", "d", "beta.yaml", 2, now);
        awaitingApproval(fb.id(), "fb", "t1");
        succeeded(fb.id(), "fb", "t2");
        store.record(delivery(fa.id() + "/t1/1", fa.id() + ":t1", fa.id(), "alpha", "t1"));
        store.record(delivery(fb.id() + "/t2/1", fb.id() + ":t2", fb.id(), "beta", "t2"));

        ApiServer.Builder b = ApiServer.builder(store).port(0);
        ApiResources.all().forEach(b::resource);
        server = configure.apply(b).build().start();
    }

    private ApiKeys.Issued key(String name, String tenant, Role role) {
        ApiKeys.Issued issued = ApiKeys.issue();
        store.createKey(new AccessStore.KeyRow(issued.id(), name, issued.hash(), Map.of(tenant, EnumSet.of(role)),
                System.currentTimeMillis(), "test", 0));
        return issued;
    }

    private static Delivery delivery(String id, String run, String execution, String tenant, String task) {
        return new Delivery(id, run, execution, tenant, task, "m", Delivery.Verdict.VERIFIED, "tests pass", "fixed it",
                Optional.of("myriad/" + task), Optional.of("abc123"), Optional.of("/tmp/" + task + ".patch"), "--- a/x\n+++ b/x\n-old\n+new\n",
                List.of("x"), List.of(new Delivery.Check("after", "pytest", 0, 10, false, "ok")), System.currentTimeMillis());
    }

    private void append(String runId, RunFold fold, List<RunEvent> events) {
        long expected = fold.seq();
        events.forEach(fold::apply);
        store.append(new Journal.Append(runId, expected, events, fold.status())).join();
    }

    private static RunEvent.RunStarted started(String execution, String fleet, String task) {
        return new RunEvent.RunStarted(System.currentTimeMillis(), fleet, execution, task, "writer", "do " + task, "m");
    }

    private static RunEvent.ModelResponded asks(String tool) {
        return new RunEvent.ModelResponded(System.currentTimeMillis(),
                new Message.Assistant("", List.of(new ToolCall("c1", tool, "{\"path\":\"note\"}"))), new Usage(3, 2), 0.001, 1, "m");
    }

    void succeeded(String execution, String fleet, String task) {
        append(execution + ":" + task, new RunFold(), List.of(started(execution, fleet, task),
                new RunEvent.ModelResponded(System.currentTimeMillis(), new Message.Assistant("done", List.of()), new Usage(3, 2),
                        0.001, 1, "m"),
                new RunEvent.RunSucceeded(System.currentTimeMillis(), "done")));
    }

    void awaitingApproval(String execution, String fleet, String task) {
        RunFold fold = new RunFold();
        String runId = execution + ":" + task;
        append(runId, fold, List.of(started(execution, fleet, task), asks("fs.write")));
        String key = fold.calls().getFirst().idempotencyKey();
        long now = System.currentTimeMillis();
        append(runId, fold, List.of(new RunEvent.ApprovalRequested(now, "c1", "fs.write", key, "ask", now + 3_600_000)));
    }

    void inDoubt(String execution, String fleet, String task) {
        RunFold fold = new RunFold();
        String runId = execution + ":" + task;
        append(runId, fold, List.of(started(execution, fleet, task), asks("pay")));
        String key = fold.calls().getFirst().idempotencyKey();
        long now = System.currentTimeMillis();
        append(runId, fold, List.of(new RunEvent.ToolCallStarted(now, "c1", "pay", key),
                new RunEvent.ToolCallInDoubt(now, "c1", "pay", key, "unknown")));
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    /** A request with {@code key} as bearer (none when null) and {@code body} as JSON (none when null). */
    HttpResponse<String> send(String key, String method, String path, String body) {
        HttpRequest.Builder r = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            r.header("Authorization", "Bearer " + key);
        }
        if (body != null) {
            r.header("Content-Type", "application/json");
        }
        try {
            return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> get(String key, String path) {
        return send(key, "GET", path, null);
    }

    HttpResponse<String> post(String key, String path, String body) {
        return send(key, "POST", path, body);
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(r.statusCode() + " " + r.body(), e);
        }
    }

    /** The error code of an error answer. */
    static String code(HttpResponse<String> r) {
        return json(r).path("error").path("code").asText();
    }

    static Set<String> texts(JsonNode array, String field) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        array.forEach(n -> out.add(n.path(field).asText()));
        return out;
    }

    @Override
    public void close() {
        server.close();
        store.close();
    }
}
