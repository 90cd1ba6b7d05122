package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A2A against a real {@code myriad serve} with an API key: the official JavaScript client
 * ({@code @a2a-js/sdk}, {@code src/test/a2a/a2a-client.mjs}) discovers an exposed fleet's card,
 * sends a task and reads its result, streams a second task to its end, and cancels a task of a
 * slow fleet; and a fleet's agent calls an exposed fleet through the {@code a2a} tool. Skipped
 * only when node is missing.
 */
class A2aIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    private static final String HELPER = """
            fleet: helper
            model: {sim: {scenario: tools, tool_calls: 1, latency: 150ms, seed: 5}}
            concurrency: 4
            intake: open
            a2a:
              expose: true
              name: Helper
              description: Answers questions about orders after looking at its notes.
              skills: [{id: orders, name: Orders, description: Questions about orders, tags: [orders], examples: ["Where is order 42?"]}]
            agents:
              worker:
                instructions: Do the task with your tools, then answer.
                tools: [fs.write]
            """;

    private static final String SLOWPOKE = """
            fleet: slowpoke
            model: {sim: {scenario: answer, latency: 60s}}
            concurrency: 2
            intake: open
            a2a: {expose: true}
            agents:
              worker:
                instructions: Take your time.
            """;

    @TempDir
    Path dir;

    private String key;

    private HttpResponse<String> post(String url, String contentType, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", contentType)
                .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private Process serve(String data) throws Exception {
        var created = Cli.run("keys", "create", "--name", "owner", "--admin", "--data", data);
        assertThat(created.exit()).as(created.err()).isZero();
        Matcher km = Pattern.compile("myr_k_\\S+").matcher(created.out());
        assertThat(km.find()).as(created.out()).isTrue();
        key = km.group();
        return Cli.spawn(dir.resolve("serve.log"), Map.of(), "serve", "--port", "0", "--data", data);
    }

    /** Deploys the fleets and waits until each answers its agent card. */
    private void deploy(String base, String... fleets) throws Exception {
        for (String f : fleets) {
            var created = post(base + "v1/fleets", "application/yaml", f);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            String name = f.lines().findFirst().orElseThrow().replace("fleet:", "").strip();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (get(base + "a2a/default/" + name + "/.well-known/agent-card.json").statusCode() != 200) {
                assertThat(System.nanoTime()).as("the card of " + name).isLessThan(deadline);
                Thread.sleep(100);
            }
        }
        // An exposed fleet accepts tasks once it has chosen its execution.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (JSON.readTree(get(base + "v1/fleets").body()).findValues("execution").size() < fleets.length) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    void theOfficialJavaScriptClientTalksToAnExposedFleet() throws Exception {
        assumeThat(nodeWorks()).as("node is not on the PATH").isTrue();
        Path module = Path.of("").toAbsolutePath();
        if (!Files.exists(module.resolve("src/test/a2a"))) {
            module = module.resolve("myriad-cli");
        }
        Path repo = module.getParent();
        assertThat(repo.resolve(".ci/npm/node_modules/@a2a-js/sdk")).as("run: cd .ci/npm && npm ci").exists();
        Process serve = serve(dir.resolve("data").toString());
        Path log = dir.resolve("serve.log");
        try {
            String base = Cli.awaitUrl(serve, log);
            deploy(base, HELPER, SLOWPOKE);
            var listed = JSON.readTree(get(base + "v1/a2a").body()).path("agents");
            assertThat(listed.findValuesAsText("fleet")).containsExactlyInAnyOrder("helper", "slowpoke");

            Process node = new ProcessBuilder("node", module.resolve("src/test/a2a/a2a-client.mjs").toString(), base, key)
                    .directory(repo.toFile()).redirectErrorStream(true).start();
            String printed;
            if (!node.waitFor(3, TimeUnit.MINUTES)) {
                node.destroyForcibly();
            }
            printed = new String(node.getInputStream().readAllBytes());
            assertThat(node.exitValue()).as(printed + "\n--- serve log:\n" + Files.readString(log)).isZero();
            JsonNode r = JSON.readTree(printed.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());

            assertThat(r.path("card").path("name").asText()).isEqualTo("Helper");
            assertThat(r.path("card").path("protocolVersion").asText()).isEqualTo("0.3.0");
            assertThat(r.path("card").path("preferredTransport").asText()).isEqualTo("JSONRPC");
            assertThat(r.path("card").path("streaming").asBoolean()).isTrue();
            assertThat(r.path("card").path("scheme").asText()).isEqualTo("bearer");
            assertThat(r.path("card").path("skills").toString()).contains("orders");
            assertThat(r.path("clientCard").asText()).isEqualTo("Helper");
            assertThat(r.path("unauthenticatedStatus").asInt()).isEqualTo(401);

            assertThat(r.path("sentKind").asText()).isEqualTo("task");
            assertThat(r.path("first").path("state").asText()).isEqualTo("TASK_STATE_COMPLETED");
            assertThat(r.path("first").path("artifact").asText()).contains("Simulated answer");

            var events = r.path("streamed").path("events").toString();
            assertThat(events).as(printed).contains("TASK_STATE_WORKING: calling fs.write").contains("artifact")
                    .contains("TASK_STATE_COMPLETED");
            assertThat(r.path("streamed").path("artifact").asText()).contains("Simulated answer").contains("fs.write");
            assertThat(r.path("streamed").path("state").asText()).isEqualTo("TASK_STATE_COMPLETED");
            assertThat(r.path("streamed").path("getTaskArtifact").asText()).isEqualTo(r.path("streamed").path("artifact").asText());

            assertThat(r.path("cancel").path("state").asText()).as(printed).isEqualTo("TASK_STATE_CANCELED");
            assertThat(r.path("cancelAgain").asText()).as(printed).containsIgnoringCase("cancel");
            assertThat(r.path("otherAgentsTask").asText()).as(printed).containsIgnoringCase("not found");
        } finally {
            serve.destroy();
            serve.waitFor(60, TimeUnit.SECONDS);
        }
    }

    /** A fleet whose agent asks helper over A2A, with the node's key as a secret. */
    private static String caller(String base) {
        return """
                fleet: caller
                model: {sim: {scenario: script, latency: 20ms}}
                concurrency: 1
                http: {allow_private: true}
                secrets: {HELPER_KEY: "env:A2A_HELPER_KEY"}
                a2a:
                  agents:
                    helper: {url: "%sa2a/default/helper", token_secret: HELPER_KEY}
                agents:
                  asker:
                    instructions: Ask the helper, then answer.
                    tools: [a2a]
                tasks:
                  - id: ask
                    input: {script: [{tool: a2a, args: {agent: helper, message: "Where is order 42?"}}, {answer: "asked"}]}
                """.formatted(base);
    }

    @Test
    void anAgentAsksAnotherFleetThroughTheA2aTool() throws Exception {
        String data = dir.resolve("data").toString();
        var created = Cli.run("keys", "create", "--name", "owner", "--admin", "--data", data);
        assertThat(created.exit()).as(created.err()).isZero();
        Matcher km = Pattern.compile("myr_k_\\S+").matcher(created.out());
        assertThat(km.find()).as(created.out()).isTrue();
        key = km.group();
        Path log = dir.resolve("serve.log");
        Process serve = Cli.spawn(log, Map.of("A2A_HELPER_KEY", key), "serve", "--port", "0", "--data", data);
        try {
            String base = Cli.awaitUrl(serve, log);
            deploy(base, HELPER);
            var deployed = post(base + "v1/fleets", "application/yaml", caller(base));
            assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            JsonNode run;
            do {
                Thread.sleep(200);
                var runs = JSON.readTree(get(base + "v1/runs?fleet=caller").body()).path("runs");
                run = runs.isEmpty() ? JSON.createObjectNode() : runs.get(0);
                assertThat(System.nanoTime()).as(run + "\n" + Files.readString(log)).isLessThan(deadline);
            } while (!run.path("state").asText().equals("succeeded") && !run.path("state").asText().equals("failed"));
            String events = get(base + "v1/runs/" + run.path("id").asText() + "/events").body();
            assertThat(run.path("state").asText()).as(events).isEqualTo("succeeded");
            assertThat(events).contains("tool_call_completed").contains("ended completed").contains("<<<a2a-answer")
                    .contains("Simulated answer");
            // The helper ran the task the caller's message made, once.
            var helperRuns = JSON.readTree(get(base + "v1/runs?fleet=helper").body()).path("runs");
            assertThat(helperRuns).hasSize(1);
            assertThat(helperRuns.get(0).path("state").asText()).isEqualTo("succeeded");
        } finally {
            serve.destroy();
            serve.waitFor(60, TimeUnit.SECONDS);
        }
    }

    static boolean nodeWorks() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
