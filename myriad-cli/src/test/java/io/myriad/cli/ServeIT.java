package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code myriad serve} as a node: a fleet deployed over the API runs in it, a SIGTERM drains it,
 * and the next start resumes the same execution to the end.
 */
class ServeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private static final String FLEET = """
            fleet: steady
            model: {sim: {scenario: tools, tool_calls: 2, latency: 150ms, seed: 3}}
            concurrency: 2
            agents:
              worker:
                instructions: Do the task with your tools.
                tools: [fs.write, fs.read]
            tasks: [%s]
            """.formatted(String.join(", ", java.util.stream.IntStream.range(0, 24).mapToObj(i -> "\"task " + i + "\"").toList()));

    private JsonNode get(String url) throws Exception {
        var r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private HttpResponse<String> deploy(String base, String yaml) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "v1/fleets"))
                .header("Content-Type", "application/yaml").POST(HttpRequest.BodyPublishers.ofString(yaml)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> scale(String base, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "v1/fleets/default/steady/scale"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode fleet(String base) throws Exception {
        return get(base + "v1/fleets").path("fleets").get(0);
    }

    private static void await(BooleanSupplierX condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!condition.get()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @FunctionalInterface
    interface BooleanSupplierX {
        boolean get() throws Exception;
    }

    @Test
    void aFleetDeployedOverTheApiIsDrainedBySigtermAndResumedByTheNextStart() throws Exception {
        String data = dir.resolve("data").toString();
        Path log1 = dir.resolve("serve1.log");
        Process first = Cli.spawn(log1, Map.of(), "serve", "--port", "0", "--data", data);
        String execution;
        try {
            String base = Cli.awaitUrl(first, log1);
            var bad = deploy(base, "fleet: Not A Name\nagents: {}\n");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(bad.body()).path("error").path("code").asText()).isEqualTo("invalid_fleet");

            var created = deploy(base, FLEET);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            await(() -> fleet(base).path("runs").path("succeeded").asInt() >= 3, "a few runs to finish");
            var again = deploy(base, FLEET);
            assertThat(again.statusCode()).as("the same fleet while it runs").isEqualTo(409);
            var scaled = scale(base, "{\"concurrency\": 3}");
            assertThat(scaled.statusCode()).as(scaled.body()).isEqualTo(200);
            assertThat(fleet(base).path("concurrency").asInt()).as("scaled from 2 to 3").isEqualTo(3);
            assertThat(scale(base, "{\"concurrency\": 0}").statusCode()).isEqualTo(400);
            execution = fleet(base).path("execution").asText();
            assertThat(execution).isEqualTo("steady-1");
            // The node's metrics: from the journal, and the hosted fleet's engine figures.
            String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("myriad_model_calls_total{model=\"myriad-sim\",tenant=\"default\"}")
                    .containsPattern("myriad_fleet_active_runs\\{fleet=\"steady\",tenant=\"default\"} [0-9.]+")
                    .contains("myriad_gateway_queued{fleet=\"steady\",tenant=\"default\"}")
                    .contains("myriad_gateway_queue_wait_p99_seconds{fleet=\"steady\",tenant=\"default\"}");
        } finally {
            first.destroy(); // SIGTERM: the node drains its fleets
        }
        assertThat(first.waitFor(60, TimeUnit.SECONDS)).as(Files.readString(log1)).isTrue();
        JsonNode saved = JSON.readTree(dir.resolve("data/deployments.json").toFile()).get(0);
        assertThat(saved.path("state").asText()).as("drained, not finished").isEqualTo("stopped");

        Path log2 = dir.resolve("serve2.log");
        Process second = Cli.spawn(log2, Map.of(), "serve", "--port", "0", "--data", data);
        try {
            String base = Cli.awaitUrl(second, log2);
            await(() -> Files.readString(log2).contains("resumed fleet default/steady"), "the fleet to be resumed");
            await(() -> fleet(base).path("state").asText().equals("finished"), "the resumed fleet to finish");
            JsonNode f = fleet(base);
            assertThat(f.path("execution").asText()).as("the same execution, resumed").isEqualTo(execution);
            assertThat(f.path("exit_code").asInt()).isZero();
            assertThat(f.path("runs").path("succeeded").asInt()).isEqualTo(24);
            String runLog = Files.readString(dir.resolve("data/logs/default/steady.log"));
            assertThat(runLog).contains("resuming");
        } finally {
            second.destroy();
            second.waitFor(60, TimeUnit.SECONDS);
        }
    }
    @Test
    void aDrainedFleetStaysDrainedAcrossARestartAndDeployingItAgainResumesItsExecution() throws Exception {
        String data = dir.resolve("data").toString();
        Path log1 = dir.resolve("serve1.log");
        Process first = Cli.spawn(log1, Map.of(), "serve", "--port", "0", "--data", data);
        try {
            String base = Cli.awaitUrl(first, log1);
            assertThat(deploy(base, FLEET).statusCode()).isEqualTo(201);
            await(() -> fleet(base).path("runs").path("succeeded").asInt() >= 2, "a few runs to finish");
            var drained = http.send(HttpRequest.newBuilder(URI.create(base + "v1/fleets/default/steady/drain"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(drained.statusCode()).as(drained.body()).isEqualTo(200);
            await(() -> fleet(base).path("state").asText().equals("drained"), "the fleet to drain");
            assertThat(fleet(base).path("runs").path("succeeded").asInt()).isLessThan(24);
            var again = http.send(HttpRequest.newBuilder(URI.create(base + "v1/fleets/default/steady/drain"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(again.statusCode()).as("draining a fleet that is not running").isEqualTo(409);
        } finally {
            first.destroy();
            first.waitFor(60, TimeUnit.SECONDS);
        }
        Path log2 = dir.resolve("serve2.log");
        Process second = Cli.spawn(log2, Map.of(), "serve", "--port", "0", "--data", data);
        try {
            String base = Cli.awaitUrl(second, log2);
            Thread.sleep(1000);
            assertThat(Files.readString(log2)).doesNotContain("resumed fleet");
            assertThat(fleet(base).path("state").asText()).isEqualTo("drained");
            assertThat(deploy(base, FLEET).statusCode()).isEqualTo(201);
            await(() -> fleet(base).path("state").asText().equals("finished"), "the fleet deployed again to finish");
            assertThat(fleet(base).path("execution").asText()).as("the drained execution, resumed").isEqualTo("steady-1");
            assertThat(fleet(base).path("runs").path("succeeded").asInt()).isEqualTo(24);
        } finally {
            second.destroy();
            second.waitFor(60, TimeUnit.SECONDS);
        }
    }
}
