package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end through the CLI, in-process: fleet file in, journal and summary out. */
class FleetRunIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path fleet(String name, int tasks, String model, String extraAgentKeys) throws IOException {
        String taskLines = IntStream.rangeClosed(1, tasks)
                .mapToObj(i -> "{\"id\":\"task-" + i + "\",\"input\":\"Write note number " + i + "\"}")
                .collect(Collectors.joining("\n"));
        Files.writeString(dir.resolve(name + ".jsonl"), taskLines + "\n");
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, """
                fleet: %s
                model: %s
                concurrency: 16
                tasks: %s.jsonl
                agents:
                  writer:
                    instructions: Write the note, read it back, answer.
                    tools: [fs.read, fs.write]
                %s
                """.formatted(name, model, name, extraAgentKeys));
        return file;
    }

    @Test
    void aHundredTasksOnTheSimulatedModelAllSucceedAndTheSummaryAddsUp() throws IOException {
        Path file = fleet("hundred", 100, "{sim: {scenario: tools, tool_calls: 2, seed: 3}}", "");
        Cli.Result r = Cli.run("run", file.toString(), "--data", dir.resolve("data").toString(), "--json");

        assertThat(r.exit()).as(r.err() + r.out()).isZero();
        JsonNode summary = JSON.readTree(r.lastLine());
        assertThat(summary.path("tasks").asInt()).isEqualTo(100);
        assertThat(summary.path("succeeded").asInt()).isEqualTo(100);
        assertThat(summary.path("failed").asInt()).isZero();
        assertThat(summary.path("cancelled").asInt()).isZero();
        // 3 model calls and 2 tool calls per task.
        assertThat(summary.path("steps").asLong()).isEqualTo(500);
        assertThat(summary.path("tokens").asLong()).isPositive();
        assertThat(summary.path("cost_usd").asDouble()).isZero();
        assertThat(summary.path("wall_s").asDouble()).isPositive();
        assertThat(summary.path("simulated").asBoolean()).isTrue();
        assertThat(summary.path("model").asText()).contains("sim");
        assertThat(r.out()).contains("SIMULATED");
        assertThat(r.err()).contains("SIMULATED");

        // The tools really wrote into each run's own workspace.
        Path workspaces = dir.resolve("data/workspaces");
        try (var ws = Files.list(workspaces)) {
            assertThat(ws.count()).isEqualTo(100);
        }

        // runs ls and runs show read the same journal.
        Cli.Result ls = Cli.run("runs", "ls", "--data", dir.resolve("data").toString(), "--execution", "hundred-1", "--limit", "500", "--json");
        assertThat(JSON.readTree(ls.lastLine())).hasSize(100).allSatisfy(row -> assertThat(row.path("state").asText()).isEqualTo("succeeded"));
        Cli.Result show = Cli.run("runs", "show", "hundred-1:task-7", "--data", dir.resolve("data").toString());
        assertThat(show.exit()).isZero();
        assertThat(show.out()).contains("Write note number 7").contains("calls fs.write").contains("tool fs.read")
                .contains("SUCCEEDED").contains("simulated");

        // Running the same file again starts a new execution (the first one finished).
        Cli.Result again = Cli.run("run", file.toString(), "--data", dir.resolve("data").toString(), "--json");
        assertThat(JSON.readTree(again.lastLine()).path("execution").asText()).isEqualTo("hundred-2");
    }

    @Test
    void aFleetFileWithErrorsRunsNothingAndExitsWithTwo() throws IOException {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, """
                fleet: bad
                model: sim
                agnets:
                  a: {instructions: x}
                tasks: ["x"]
                """);
        Cli.Result r = Cli.run("run", file.toString(), "--data", dir.resolve("data").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains(file + ":3:1").contains("agnets");
        assertThat(dir.resolve("data/myriad.db")).doesNotExist();
    }

    @Test
    void anUnreachableModelFailsEveryTaskWithAClearReason() throws IOException {
        Path file = fleet("down", 3, "{base_url: \"http://127.0.0.1:9/v1\", name: m, timeout: 2s}", "");
        Cli.Result r = Cli.run("run", file.toString(), "--data", dir.resolve("data").toString(), "--json");
        assertThat(r.exit()).isEqualTo(1);
        JsonNode summary = JSON.readTree(r.lastLine());
        assertThat(summary.path("failed").asInt()).isEqualTo(3);
        assertThat(r.out()).contains("model_unreachable").contains("127.0.0.1:9");
    }

    @Test
    void aTaskLargerThanTheContextWindowFailsWithoutRetrying() throws IOException {
        Path file = dir.resolve("huge.yaml");
        Files.writeString(file, """
                fleet: huge
                model: {sim: {context_window: 1000}}
                agents:
                  a: {instructions: summarise}
                tasks:
                  - {id: small, input: "short"}
                  - {id: big, input: "%s"}
                """.formatted("word ".repeat(2_000)));
        Cli.Result r = Cli.run("run", file.toString(), "--data", dir.resolve("data").toString(), "--json");
        JsonNode summary = JSON.readTree(r.lastLine());
        assertThat(summary.path("succeeded").asInt()).isEqualTo(1);
        assertThat(summary.path("failed").asInt()).isEqualTo(1);
        Cli.Result show = Cli.run("runs", "show", "huge-1:big", "--data", dir.resolve("data").toString());
        assertThat(show.out()).contains("model_context_too_long").doesNotContain("retrying");
    }

    @Test
    void aScriptedModelThatMisbehavesGetsErrorsBackAndTheRunStillEnds() throws IOException {
        Path file = dir.resolve("script.yaml");
        String script = "{\\\"script\\\": [{\\\"tool\\\": \\\"fs.delete\\\", \\\"args\\\": {}},"
                + " {\\\"tool\\\": \\\"fs.write\\\", \\\"args_raw\\\": \\\"{oops\\\"},"
                + " {\\\"tool\\\": \\\"fs.write\\\", \\\"args\\\": {\\\"path\\\": 42}},"
                + " {\\\"tool\\\": \\\"fs.read\\\", \\\"args\\\": {\\\"path\\\": \\\"../../etc/passwd\\\"}},"
                + " {\\\"answer\\\": \\\"done\\\"}]}";
        Files.writeString(file, """
                fleet: script
                model: sim:script
                agents:
                  a: {instructions: follow the script, tools: [fs.read, fs.write]}
                tasks:
                  - {id: s1, input: "%s"}
                """.formatted(script));
        Cli.Result r = Cli.run("run", file.toString(), "--data", dir.resolve("data").toString(), "--json");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        Cli.Result show = Cli.run("runs", "show", "script-1:s1", "--data", dir.resolve("data").toString());
        assertThat(show.out())
                .contains("unknown tool 'fs.delete'")
                .contains("not valid JSON")
                .contains("$.path")
                .contains("outside the run's workspace")
                .contains("SUCCEEDED");
    }
}
