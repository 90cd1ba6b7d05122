package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.journal.RunEvent;
import io.myriad.store.SqliteStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hosted fleet with {@code intake: open} accepts tasks over the API while it runs, runs each
 * once, and after a SIGTERM and a restart goes on with the same execution and its intake.
 */
class IntakeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private static final String OPEN = """
            fleet: inbox
            model: {sim: {scenario: tools, tool_calls: 1, latency: 20ms, seed: 3}}
            concurrency: 4
            intake: open
            agents:
              worker:
                instructions: Do the task with your tools.
                tools: [fs.write, fs.read]
            """;

    private static final String CLOSED = """
            fleet: fixed
            model: {sim: {scenario: tools, tool_calls: 1, latency: 400ms, seed: 3}}
            concurrency: 1
            agents:
              worker:
                instructions: Do the task with your tools.
                tools: [fs.write, fs.read]
            tasks: [one, two, three, four, five, six, seven, eight]
            """;

    private HttpResponse<String> post(String url, String contentType, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> submit(String base, String fleet, List<String> ids) throws Exception {
        var tasks = JSON.createArrayNode();
        ids.forEach(id -> tasks.addObject().put("id", id).put("input", "task " + id));
        return post(base + "v1/fleets/default/" + fleet + "/tasks", "application/json",
                JSON.createObjectNode().set("tasks", tasks).toString());
    }

    private JsonNode fleet(String base, String name) throws Exception {
        var r = http.send(HttpRequest.newBuilder(URI.create(base + "v1/fleets")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        for (JsonNode f : JSON.readTree(r.body()).path("fleets")) {
            if (f.path("fleet").asText().equals(name)) {
                return f;
            }
        }
        throw new AssertionError("no fleet " + name + " in " + r.body());
    }

    private void awaitSucceeded(String base, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (fleet(base, "inbox").path("runs").path("succeeded").asInt() < n) {
            assertThat(System.nanoTime()).as("waiting for " + n + " succeeded runs: " + fleet(base, "inbox")).isLessThan(deadline);
            Thread.sleep(100);
        }
        Thread.sleep(500); // nothing more runs
        assertThat(fleet(base, "inbox").path("runs").path("succeeded").asInt()).isEqualTo(n);
    }

    private static List<String> ids(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> prefix + i).toList();
    }

    @Test
    void anOpenFleetRunsSubmittedTasksOnceAndKeepsItsIntakeAcrossARestart() throws Exception {
        String data = dir.resolve("data").toString();
        Path log1 = dir.resolve("serve1.log");
        Process first = Cli.spawn(log1, Map.of(), "serve", "--port", "0", "--data", data);
        String execution;
        try {
            String base = Cli.awaitUrl(first, log1);
            var created = post(base + "v1/fleets", "application/yaml", OPEN);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            HttpResponse<String> accepted;
            do { // the fleet chooses its execution as it starts
                Thread.sleep(100);
                accepted = submit(base, "inbox", ids("a", 10));
            } while (accepted.statusCode() == 409 && System.nanoTime() < deadline);
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            JsonNode body = JSON.readTree(accepted.body());
            execution = body.path("execution").asText();
            assertThat(execution).isEqualTo("inbox-1");
            assertThat(body.path("accepted")).hasSize(10);
            awaitSucceeded(base, 10);
            assertThat(fleet(base, "inbox").path("state").asText()).as("an open fleet waits for more").isEqualTo("running");

            assertThat(submit(base, "inbox", ids("b", 5)).statusCode()).isEqualTo(202);
            var duplicate = submit(base, "inbox", List.of("c0", "a3"));
            assertThat(duplicate.statusCode()).as(duplicate.body()).isEqualTo(400);
            assertThat(duplicate.body()).contains("a3");
            var badAgent = post(base + "v1/fleets/default/inbox/tasks", "application/json",
                    "{\"tasks\":[{\"input\":{\"q\":1},\"agent\":\"nobody\"},{\"id\":\"\",\"input\":\"x\"}]}");
            assertThat(badAgent.statusCode()).as(badAgent.body()).isEqualTo(400);
            assertThat(badAgent.body()).contains("unknown agent 'nobody'").contains("expected a task id");
            awaitSucceeded(base, 15);
            assertThat(fleet(base, "inbox").path("tasks").asInt()).isEqualTo(15);

            assertThat(post(base + "v1/fleets", "application/yaml", CLOSED).statusCode()).isEqualTo(201);
            var closed = submit(base, "fixed", List.of("x1"));
            assertThat(closed.statusCode()).as(closed.body()).isEqualTo(409);
            assertThat(closed.body()).contains("intake: open");
            assertThat(submit(base, "nosuch", List.of("x1")).statusCode()).isEqualTo(404);
        } finally {
            first.destroy(); // SIGTERM: the node drains its fleets
        }
        assertThat(first.waitFor(60, TimeUnit.SECONDS)).as(Files.readString(log1)).isTrue();

        Path log2 = dir.resolve("serve2.log");
        Process second = Cli.spawn(log2, Map.of(), "serve", "--port", "0", "--data", data);
        try {
            String base = Cli.awaitUrl(second, log2);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(log2).contains("resumed fleet default/inbox")) {
                assertThat(System.nanoTime()).as(Files.readString(log2)).isLessThan(deadline);
                Thread.sleep(100);
            }
            HttpResponse<String> accepted;
            do {
                Thread.sleep(100);
                accepted = submit(base, "inbox", ids("d", 3));
            } while (accepted.statusCode() == 409 && System.nanoTime() < deadline);
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            assertThat(JSON.readTree(accepted.body()).path("execution").asText()).as("the same execution").isEqualTo(execution);
            awaitSucceeded(base, 18);
        } finally {
            second.destroy();
            assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        try (SqliteStore store = SqliteStore.open(dir.resolve("data/myriad.db"))) {
            List<String> all = new ArrayList<>(ids("a", 10));
            all.addAll(ids("b", 5));
            all.addAll(ids("d", 3));
            for (String id : all) {
                long starts = store.read(execution + ":" + id).stream().filter(r -> r.event() instanceof RunEvent.RunStarted).count();
                assertThat(starts).as(id + " started once").isEqualTo(1);
            }
            assertThat(store.runs(execution)).hasSize(18);
            assertThat(store.submittedTasks(execution, 0)).hasSize(18);
        }
    }
}
