package io.myriad.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.auth.Principal;
import io.myriad.core.fleet.A2aSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The A2A endpoint over HTTP against a real store, with a host that exposes fleet {@code fa} of
 * tenant alpha and {@code fb} of tenant beta: the card, JSON-RPC errors with the protocol's codes,
 * tenant isolation, tasks of runs, and the OpenAPI document with the A2A routes.
 */
class A2aResourceIT {
    @TempDir
    Path dir;

    private ApiFixture f;
    private final List<FleetHost.NewTask> submitted = new CopyOnWriteArrayList<>();
    private String alphaExecution;

    /** Hosts fa (alpha) and fb (beta), both exposed; submissions are recorded, not run. */
    private final class Host implements FleetHost {
        @Override
        public List<Deployment> deployments() {
            return List.of(deployment("alpha", "fa"), deployment("beta", "fb"));
        }

        private Deployment deployment(String tenant, String fleet) {
            return new Deployment(tenant, fleet, fleet + ".yaml", "running",
                    Optional.ofNullable(alphaExecution).filter(e -> tenant.equals("alpha")), "key:admin", 0, Optional.empty());
        }

        @Override
        public Deployment deploy(Principal who, String yaml) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Deployment drain(Principal who, String tenant, String fleet) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Deployment scale(Principal who, String tenant, String fleet, int concurrency) {
            throw new UnsupportedOperationException();
        }

        @Override
        public OptionalInt concurrency(String tenant, String fleet) {
            return OptionalInt.empty();
        }

        @Override
        public Optional<A2aSpec> a2a(String tenant, String fleet) {
            boolean exposed = tenant.equals("alpha") && fleet.equals("fa") || tenant.equals("beta") && fleet.equals("fb");
            return exposed ? Optional.of(new A2aSpec(true, Optional.of("Agent " + fleet), "test agent", List.of(), Map.of()))
                    : Optional.empty();
        }

        @Override
        public Submission submit(Principal who, String tenant, String fleet, List<NewTask> tasks) {
            submitted.addAll(tasks);
            return new Submission(alphaExecution, tasks.stream().map(t -> t.id().orElseThrow()).toList());
        }
    }

    @BeforeEach
    void start() {
        f = new ApiFixture(dir, b -> b.resource(new A2aResource(new Host())));
        alphaExecution = runs(f.admin, "fa").get(0).path("execution").asText();
    }

    @AfterEach
    void stop() {
        f.close();
    }

    private List<JsonNode> runs(String key, String fleet) {
        JsonNode all = ApiFixture.json(f.get(key, "/v1/runs?fleet=" + fleet)).path("runs");
        List<JsonNode> out = new java.util.ArrayList<>();
        all.forEach(out::add);
        return out;
    }

    private String run(String fleet, String state) {
        return runs(f.admin, fleet).stream().filter(r -> r.path("state").asText().equals(state)).findFirst().orElseThrow()
                .path("id").asText();
    }

    private JsonNode rpc(String key, String path, String body) {
        var r = f.post(key, path, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return ApiFixture.json(r);
    }

    private static String call(String method, String params) {
        return "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"" + method + "\",\"params\":" + params + "}";
    }

    @Test
    void theCardIsPublicAndSaysHowToAuthenticate() {
        var r = f.get(null, "/a2a/alpha/fa/.well-known/agent-card.json");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode card = ApiFixture.json(r);
        assertThat(card.path("name").asText()).isEqualTo("Agent fa");
        assertThat(card.path("protocolVersion").asText()).isEqualTo("0.3.0");
        assertThat(card.path("url").asText()).endsWith("/a2a/alpha/fa");
        assertThat(card.path("preferredTransport").asText()).isEqualTo("JSONRPC");
        assertThat(card.path("capabilities").path("streaming").asBoolean()).isTrue();
        assertThat(card.path("securitySchemes").path("bearer").path("scheme").asText()).isEqualTo("bearer");
        assertThat(card.path("skills")).hasSize(1);
        assertThat(f.get(null, "/a2a/alpha/nope/.well-known/agent-card.json").statusCode()).isEqualTo(404);
        assertThat(f.post(null, "/a2a/alpha/fa", call("tasks/get", "{\"id\":\"x\"}")).statusCode()).isEqualTo(401);
    }

    @Test
    void jsonRpcErrorsCarryTheProtocolsCodes() {
        assertThat(rpc(f.alphaOwner, "/a2a/alpha/fa", "{not json").path("error").path("code").asInt()).isEqualTo(-32700);
        JsonNode invalid = rpc(f.alphaOwner, "/a2a/alpha/fa", "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"tasks/get\"}");
        assertThat(invalid.path("error").path("code").asInt()).isEqualTo(-32600);
        assertThat(invalid.path("id").asInt()).isEqualTo(1);
        assertThat(rpc(f.alphaOwner, "/a2a/alpha/fa", "[1,2]").path("error").path("code").asInt()).isEqualTo(-32600);
        JsonNode unknown = rpc(f.alphaOwner, "/a2a/alpha/fa", call("tasks/teleport", "{}"));
        assertThat(unknown.path("error").path("code").asInt()).isEqualTo(-32601);
        assertThat(unknown.path("id").asInt()).isEqualTo(7);
        assertThat(rpc(f.alphaOwner, "/a2a/alpha/fa", call("tasks/get", "{}")).path("error").path("code").asInt())
                .isEqualTo(-32602);
        assertThat(rpc(f.alphaOwner, "/a2a/alpha/fa", call("message/send", "{\"message\":{\"role\":\"user\"}}"))
                .path("error").path("code").asInt()).isEqualTo(-32602);
        assertThat(rpc(f.alphaOwner, "/a2a/alpha/fa", call("message/send", "{\"message\":{\"messageId\":\"m\",\"role\":\"user\","
                + "\"parts\":[{\"kind\":\"file\",\"file\":{\"uri\":\"x\"}}]}}")).path("error").path("code").asInt()).isEqualTo(-32005);
        assertThat(rpc(f.alphaOwner, "/a2a/alpha/fa", call("tasks/pushNotificationConfig/set", "{}"))
                .path("error").path("code").asInt()).isEqualTo(-32003);
        assertThat(rpc(f.alphaOwner, "/a2a/alpha/fa", call("tasks/get", "{\"id\":\"no-such-task\"}"))
                .path("error").path("code").asInt()).isEqualTo(-32001);
    }

    @Test
    void tasksAreRunsOfTheAgentsFleetAndTenant() {
        JsonNode done = rpc(f.alphaViewer, "/a2a/alpha/fa", call("tasks/get", "{\"id\":\"" + run("fa", "succeeded") + "\"}"));
        assertThat(done.path("result").path("kind").asText()).isEqualTo("task");
        assertThat(done.path("result").path("status").path("state").asText()).isEqualTo("completed");
        assertThat(done.path("result").path("artifacts").get(0).path("parts").get(0).path("text").asText()).isEqualTo("done");
        JsonNode waiting = rpc(f.alphaViewer, "/a2a/alpha/fa", call("tasks/get", "{\"id\":\"" + run("fa", "awaiting_approval") + "\"}"));
        assertThat(waiting.path("result").path("status").path("state").asText()).isEqualTo("working");
        assertThat(waiting.path("result").path("status").path("message").toString()).contains("approve");

        // Beta's task through alpha's agent is not found, like an unknown one; beta's agent is not there for alpha.
        String betaRun = run("fb", "succeeded");
        JsonNode foreign = rpc(f.alphaOwner, "/a2a/alpha/fa", call("tasks/get", "{\"id\":\"" + betaRun + "\"}"));
        assertThat(foreign.path("error").path("code").asInt()).isEqualTo(-32001);
        assertThat(f.post(f.alphaOwner, "/a2a/beta/fb", call("tasks/get", "{\"id\":\"" + betaRun + "\"}")).statusCode())
                .isEqualTo(404);
        assertThat(rpc(f.betaOwner, "/a2a/beta/fb", call("tasks/get", "{\"id\":\"" + betaRun + "\"}"))
                .path("result").path("status").path("state").asText()).isEqualTo("completed");
    }

    @Test
    void aFinalTaskIsNotCancelableAndCancellingNeedsControl() {
        JsonNode again = rpc(f.alphaOwner, "/a2a/alpha/fa", call("tasks/cancel", "{\"id\":\"" + run("fa", "succeeded") + "\"}"));
        assertThat(again.path("error").path("code").asInt()).isEqualTo(-32002);
        var viewer = f.post(f.alphaViewer, "/a2a/alpha/fa", call("tasks/cancel", "{\"id\":\"" + run("fa", "awaiting_approval") + "\"}"));
        assertThat(viewer.statusCode()).as(viewer.body()).isEqualTo(403);
        JsonNode cancelled = rpc(f.alphaOperator, "/a2a/alpha/fa", call("tasks/cancel", "{\"id\":\"" + run("fa", "awaiting_approval") + "\"}"));
        assertThat(cancelled.path("result").path("status").path("state").asText()).as(cancelled.toString()).isEqualTo("canceled");
    }

    @Test
    void aMessageBecomesATaskOfTheFleetOnceWhateverTimesItIsSent() {
        String send = call("message/send", "{\"message\":{\"kind\":\"message\",\"messageId\":\"m-1\",\"role\":\"user\",\"parts\":["
                + "{\"kind\":\"text\",\"text\":\"Where is order 42?\"},{\"kind\":\"data\",\"data\":{\"order\":42}}]},"
                + "\"configuration\":{\"blocking\":false}}");
        JsonNode task = rpc(f.alphaOwner, "/a2a/alpha/fa", send).path("result");
        assertThat(task.path("status").path("state").asText()).isEqualTo("submitted");
        assertThat(task.path("id").asText()).startsWith(alphaExecution + ":a2a-");
        assertThat(submitted).hasSize(1);
        assertThat(submitted.getFirst().input()).isEqualTo("Where is order 42?\n\n{\"order\":42}");
        assertThat(task.path("history").get(0).path("parts").get(0).path("text").asText()).contains("order 42");
        JsonNode read = rpc(f.alphaViewer, "/a2a/alpha/fa", call("tasks/get", "{\"id\":\"" + task.path("id").asText() + "\"}"));
        assertThat(read.path("result").path("status").path("state").asText()).isEqualTo("submitted");
        assertThat(rpc(f.betaOwner, "/a2a/beta/fb", call("tasks/get", "{\"id\":\"" + task.path("id").asText() + "\"}"))
                .path("error").path("code").asInt()).isEqualTo(-32001);
        assertThat(rpc(f.alphaOwner, "/a2a/alpha/fa", send).path("result").path("id").asText()).isEqualTo(task.path("id").asText());
    }

    @Test
    void theExposedAgentsAreListedAndDocumented() {
        JsonNode agents = ApiFixture.json(f.get(f.alphaViewer, "/v1/a2a")).path("agents");
        assertThat(agents).hasSize(1);
        assertThat(agents.get(0).path("card").asText()).endsWith("/a2a/alpha/fa/.well-known/agent-card.json");
        Set<String> answered = new TreeSet<>(f.server.answeredRoutes());
        assertThat(answered).contains("POST /a2a/{tenant}/{fleet}", "GET /v1/a2a");
        assertThat(new TreeSet<>(f.server.declaredRoutes())).isEqualTo(answered);
    }
}
