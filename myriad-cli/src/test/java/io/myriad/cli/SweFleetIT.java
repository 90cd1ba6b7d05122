package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.store.SqliteStore;
import io.myriad.tools.swe.SampleProjects;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fleets of virtual software engineers through the CLI, on the simulated model scripted per task:
 * right fixes are delivered and verified; wrong fixes and edited tests are not; hostile commands
 * are refused and the run goes on.
 */
class SweFleetIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path GIT = Path.of("/usr/bin/git");

    @TempDir
    Path dir;

    private Path fleet(String coding, String extraTools) throws Exception {
        Path file = dir.resolve("swe.yaml");
        Files.writeString(file, """
                fleet: swe
                model: sim:script
                concurrency: 16
                coding: %s
                agents:
                  engineer:
                    instructions: Fix the bug, run the tests, submit.
                    tools: [fs.list, fs.read, fs.edit, fs.write, shell, run_tests, submit%s]
                    limits: {max_steps: 60, max_idle_steps: 20}   # the hostile script fails 10 calls in a row on purpose
                """.formatted(coding, extraTools));
        return file;
    }

    private static String git(Path repo, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(GIT.toString(), "-C", repo.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    private static List<JsonNode> deliveries(String data) throws Exception {
        var ls = Cli.run("deliveries", "ls", "--json", "--data", data);
        assertThat(ls.exit()).as(ls.err()).isZero();
        JsonNode node = JSON.readTree(ls.out().strip().lines().reduce((a, b) -> b).orElse("[]"));
        List<JsonNode> out = new ArrayList<>();
        (node.isArray() ? node : node.path("deliveries")).forEach(out::add);
        return out;
    }

    @Test
    void fiftySampleTasksAreAllDeliveredAndVerifiedWithBranchAndPatch() throws Exception {
        String data = dir.resolve("data").toString();
        long begin = System.nanoTime();
        var run = Cli.run("run", fleet("{samples: 50, test_slots: 2}", "").toString(), "--data", data, "--json");
        double wall = (System.nanoTime() - begin) / 1e9;
        assertThat(run.exit()).as(run.err() + run.out()).isZero();
        JsonNode summary = JSON.readTree(run.lastLine());
        assertThat(summary.path("deliveries").path("verified").asInt()).isEqualTo(50);
        assertThat(summary.path("deliveries").path("without_submission").asInt()).isZero();

        List<JsonNode> all = deliveries(data);
        assertThat(all).hasSize(50).allSatisfy(d -> assertThat(d.path("verdict").asText()).isEqualTo("verified"));
        Path samples = dir.resolve("data/samples");
        for (SampleProjects.Sample s : SampleProjects.samples(50, SampleProjects.sandboxJdk())) {
            Path repo = samples.resolve(s.id());
            String changed = git(repo, "diff", "--name-only", "main", "myriad/" + s.id());
            assertThat(changed.strip()).as(s.id()).isEqualTo(s.source());
            assertThat(git(repo, "show", "myriad/" + s.id() + ":" + s.source())).isEqualTo(s.fix().get(s.source()));
            assertThat(dir.resolve("data/deliveries/swe-1/" + s.id() + ".patch")).isRegularFile();
        }
        var show = Cli.run("deliveries", "show", all.getFirst().path("id").asText(), "--data", data);
        assertThat(show.out()).contains("test_before", "test_after", "transcript: myriad runs show swe-1:");

        var export = Cli.run("deliveries", "export", "--data", data);
        List<String> lines = export.out().lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).hasSize(50);
        for (String line : lines) {
            JsonNode p = JSON.readTree(line);
            assertThat(p.path("instance_id").asText()).startsWith("sample-");
            assertThat(p.path("model_name_or_path").asText()).isEqualTo("myriad-sim");
            assertThat(p.path("model_patch").asText()).contains("diff --git").doesNotContain(".myriad-changes");
        }
        assertThat(dir.resolve("data/workspaces/coding-default-swe")).isEmptyDirectory();
        report(data, wall, 50);
    }

    /** The cost of the fleet per task, for the note: steps, tokens, sandbox seconds. */
    private static void report(String data, double wall, int tasks) {
        long steps = 0;
        long tokens = 0;
        long sandboxMillis = 0;
        Map<String, String> names = new HashMap<>();
        try (SqliteStore store = SqliteStore.open(Path.of(data, "myriad.db"))) {
            for (var row : store.runs("swe-1")) {
                steps += row.status().steps();
                tokens += row.status().tokens();
                for (JournalRecord r : store.read(row.runId())) {
                    if (r.event() instanceof RunEvent.ModelResponded m) {
                        m.message().toolCalls().forEach(c -> names.put(c.id(), c.name()));
                    } else if (r.event() instanceof RunEvent.ToolCallCompleted c && isSandboxed(names.get(c.callId()))) {
                        sandboxMillis += c.durationMillis();
                    } else if (r.event() instanceof RunEvent.ToolCallFailed f && isSandboxed(names.get(f.callId()))) {
                        sandboxMillis += f.durationMillis();
                    }
                }
            }
        }
        long checkMillis;
        try (SqliteStore store = SqliteStore.open(Path.of(data, "myriad.db"))) {
            checkMillis = store.deliveries(io.myriad.core.auth.TenantScope.ALL, Optional.of("swe-1"), Optional.empty(),
                    Integer.MAX_VALUE).stream().flatMap(d -> d.steps().stream()).mapToLong(c -> c.millis()).sum();
        }
        System.out.printf(java.util.Locale.ROOT, "swe fleet of %d tasks: wall %.1f s; per task %.1f steps, %.0f tokens, "
                        + "%.2f s in run_tests/submit/shell calls (incl. waiting for a test slot), of which %.2f s the "
                        + "platform's sandboxed checks%n",
                tasks, wall, steps / (double) tasks, tokens / (double) tasks, sandboxMillis / 1000.0 / tasks,
                checkMillis / 1000.0 / tasks);
    }

    private static boolean isSandboxed(String tool) {
        return "run_tests".equals(tool) || "submit".equals(tool) || "shell".equals(tool);
    }

    private Path tasksFile(List<ObjectNode> tasks) throws Exception {
        Path file = dir.resolve("tasks.jsonl");
        StringBuilder b = new StringBuilder();
        for (ObjectNode t : tasks) {
            b.append(JSON.writeValueAsString(t)).append('\n');
        }
        Files.writeString(file, b.toString());
        return file;
    }

    private ObjectNode task(SampleProjects.Sample s, Path repos, ArrayNode script) {
        Path repo = s.materialize(repos, GIT);
        ObjectNode t = JSON.createObjectNode().put("id", s.id()).put("repository", repo.toString()).put("base", "main")
                .put("goal", s.goal()).put("testCommand", s.testCommand());
        t.set("simScript", script);
        return t;
    }

    @Test
    void wrongFixesAndEditedTestsAreNotDeliveredAndTheEvidenceIsRecorded() throws Exception {
        Path repos = dir.resolve("repos");
        Optional<Path> jdk = SampleProjects.sandboxJdk();
        List<SampleProjects.Sample> wrong = List.of(SampleProjects.python(1),
                jdk.map(j -> SampleProjects.java(2, j)).orElse(SampleProjects.python(2)));
        List<SampleProjects.Sample> editTest = List.of(SampleProjects.python(3),
                jdk.map(j -> SampleProjects.java(4, j)).orElse(SampleProjects.python(4)));
        List<ObjectNode> tasks = new ArrayList<>();
        wrong.forEach(s -> tasks.add(task(s, repos, s.script(SampleProjects.Script.WRONG_FIX))));
        editTest.forEach(s -> tasks.add(task(s, repos, s.script(SampleProjects.Script.EDIT_TEST))));
        String data = dir.resolve("data").toString();

        var run = Cli.run("run", fleet("{tasks: " + tasksFile(tasks) + ", max_submissions: 1}", "").toString(), "--data", data);

        assertThat(run.exit()).as("not every task delivered: " + run.err() + run.out()).isEqualTo(Main.EXIT_TASKS_FAILED);
        assertThat(run.out()).containsPattern("delivered\\s+0 of 4 tasks verified and delivered, 2 unverified, 2 refused");
        Map<String, JsonNode> byTask = new HashMap<>();
        deliveries(data).forEach(d -> byTask.put(d.path("task").asText(d.path("task_id").asText()), d));
        for (SampleProjects.Sample s : wrong) {
            JsonNode d = byTask.get(s.id());
            assertThat(d.path("verdict").asText()).as(s.id()).isEqualTo("unverified");
            var show = Cli.run("deliveries", "show", d.path("id").asText(), "--data", data);
            assertThat(show.out()).contains("still fails with the diff").contains("test_before").contains("test_after")
                    .containsPattern("test_after\\s+exit [1-9]");
        }
        for (SampleProjects.Sample s : editTest) {
            JsonNode d = byTask.get(s.id());
            assertThat(d.path("verdict").asText()).as(s.id()).isEqualTo("refused");
            assertThat(Cli.run("deliveries", "show", d.path("id").asText(), "--data", data).out())
                    .contains("changes test files").contains(s.testFile());
        }
        for (SampleProjects.Sample s : List.of(wrong.get(0), wrong.get(1), editTest.get(0), editTest.get(1))) {
            assertThat(git(repos.resolve(s.id()), "branch", "--list", "myriad/*")).as(s.id()).isBlank();
            assertThat(dir.resolve("data/deliveries/swe-1/" + s.id() + ".patch")).doesNotExist();
        }
        // The agent read why: the run's transcript has the verdict it was given.
        assertThat(Cli.run("runs", "show", "swe-1:" + wrong.getFirst().id(), "--data", data).out())
                .contains("Not delivered: the test command still fails with the diff");
        assertThat(Cli.run("deliveries", "export", "--data", data).out()).isBlank();
    }

    @Test
    void writesToGitNetworkAndDeletingTheWorkspaceAreRefusedAndTheRunGoesOn() throws Exception {
        SampleProjects.Sample s = SampleProjects.python(7);
        ArrayNode script = JSON.createArrayNode();
        for (String hostile : List.of("rm -rf .git", "echo ref: refs/heads/evil > .git/HEAD", "git commit -am sneaky",
                "curl -sS http://example.com/", "pip install requests", "rm -rf /workspace", "cd / && rm -rf workspace/*",
                "find . -delete")) {
            script.addObject().put("tool", "shell").putObject("args").put("command", hostile);
        }
        script.addObject().put("tool", "fs.write").putObject("args").put("path", ".git/config").put("content", "[core]\n");
        script.addObject().put("tool", "fs.write").putObject("args").put("path", "sub/../.GIT/hooks/pre-commit")
                .put("content", "#!/bin/sh\n");
        // What gets past the guards still meets the sandbox: .git is read-only and there is no network.
        script.addObject().put("tool", "shell").putObject("args").put("command",
                "x=.gi; (echo evil > ${x}t/evil) 2>&1; python3 -c \"import socket; socket.create_connection(('1.1.1.1', 80), 3)\" 2>&1 | tail -1; echo survived");
        s.script(SampleProjects.Script.FIX).forEach(script::add);
        Path repos = dir.resolve("repos");
        String data = dir.resolve("data").toString();

        var run = Cli.run("run", fleet("{tasks: " + tasksFile(List.of(task(s, repos, script))) + "}", "").toString(),
                "--data", data);

        String transcript = Cli.run("runs", "show", "swe-1:" + s.id(), "--data", data).out();
        assertThat(run.exit()).as(run.err() + run.out() + transcript + Cli.run("deliveries", "ls", "--data", data).out()).isZero();
        assertThat(transcript.split("the command was refused, so nothing was run", -1)).hasSize(9);
        assertThat(transcript).contains(".git is the repository's metadata").contains("survived")
                .contains("Read-only file system").containsAnyOf("Network is unreachable", "unreachable");
        assertThat(deliveries(data)).singleElement().satisfies(d -> assertThat(d.path("verdict").asText()).isEqualTo("verified"));
        assertThat(git(repos.resolve(s.id()), "diff", "--name-only", "main", "myriad/" + s.id()).strip()).isEqualTo(s.source());
    }

    @Test
    void aDependencyCacheIsSharedReadOnlyWithEverySandbox() throws Exception {
        Path cache = Files.createDirectories(dir.resolve("cache/wheelhouse"));
        Files.writeString(cache.resolve("helper_mod.py"), "NAME = 'shared-helper-7'\n");
        SampleProjects.Sample s = SampleProjects.python(6);
        ArrayNode script = JSON.createArrayNode();
        script.addObject().put("tool", "shell").putObject("args").put("command",
                "touch " + cache + "/mine 2>&1; PYTHONPATH=" + cache + " python3 -c 'import helper_mod; print(helper_mod.NAME)'");
        s.script(SampleProjects.Script.FIX).forEach(script::add);
        ObjectNode task = task(s, dir.resolve("repos"), script);
        // The tests need the cache: without it they fail with the fix too, and nothing is delivered.
        task.put("testCommand", "PYTHONPATH=" + cache + " python3 -c 'import helper_mod' && " + s.testCommand());
        String data = dir.resolve("data").toString();

        var run = Cli.run("run", fleet("{tasks: " + tasksFile(List.of(task)) + ", caches: [" + cache + "]}", "").toString(),
                "--data", data);

        String transcript = Cli.run("runs", "show", "swe-1:" + s.id(), "--data", data).out();
        assertThat(run.exit()).as(run.err() + run.out() + transcript).isZero();
        assertThat(transcript).contains("shared-helper-7").contains("Read-only file system");
        assertThat(cache.resolve("mine")).doesNotExist();
        assertThat(deliveries(data)).singleElement().satisfies(d -> assertThat(d.path("verdict").asText()).isEqualTo("verified"));
    }

    @Test
    void noMoreTestCommandsRunAtOnceThanTheFleetHasTestSlots() throws Exception {
        // Unconfined (shell: {sandbox: none}) so that test commands can leave a mark in a shared folder.
        Path marks = Files.createDirectories(dir.resolve("marks"));
        Path seen = dir.resolve("seen.txt");
        String probe = "n=$(ls " + marks + " | wc -l); echo $n >> " + seen + "; touch " + marks + "/$$; sleep 0.3; rm "
                + marks + "/$$; ";
        List<ObjectNode> tasks = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            SampleProjects.Sample s = SampleProjects.python(20 + i);
            ObjectNode t = task(s, dir.resolve("repos"), s.script(SampleProjects.Script.FIX));
            t.put("testCommand", probe + s.testCommand());
            tasks.add(t);
        }
        Path file = dir.resolve("slots.yaml");
        Files.writeString(file, """
                fleet: swe
                model: sim:script
                concurrency: 12
                shell: {sandbox: none}
                coding: {tasks: %s, test_slots: 2}
                agents:
                  engineer:
                    instructions: Fix the bug, run the tests, submit.
                    tools: [fs.list, fs.read, fs.edit, run_tests, submit]
                """.formatted(tasksFile(tasks)));
        String data = dir.resolve("data").toString();

        var run = Cli.run("run", file.toString(), "--data", data);

        assertThat(run.exit()).as(run.err() + run.out()).isZero();
        List<Integer> others = Files.readAllLines(seen).stream().map(String::strip).map(Integer::parseInt).toList();
        // 12 runs: two run_tests each, and two test commands per verification.
        assertThat(others).hasSize(12 * 4);
        assertThat(others).as("test commands already running when one started").allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(1));
    }

    @Test
    void aRunKilledMidTaskResumesInItsOwnCheckoutWithItsEditsAndIsDelivered() throws Exception {
        SampleProjects.Sample s = SampleProjects.python(5);
        ArrayNode script = s.script(SampleProjects.Script.FIX);
        Path repos = dir.resolve("repos");
        Path tasks = tasksFile(List.of(task(s, repos, script)));
        Path file = dir.resolve("slow.yaml");
        // Two seconds per model answer: time to kill the process after the edit, before the tests.
        Files.writeString(file, """
                fleet: swe
                model: {sim: {scenario: script, latency: 2s}}
                coding: {tasks: %s}
                agents:
                  engineer:
                    instructions: Fix the bug, run the tests, submit.
                    tools: [fs.list, fs.read, fs.edit, run_tests, submit]
                """.formatted(tasks));
        String data = dir.resolve("data").toString();
        Path db = dir.resolve("data/myriad.db");
        String runId = "swe-1:" + s.id();
        Process first = Cli.spawn(dir.resolve("first.log"), Map.of(), "run", file.toString(), "--data", data);
        try {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (!edited(db, runId)) {
                assertThat(System.nanoTime()).as(Files.readString(dir.resolve("first.log"))).isLessThan(deadline);
                Thread.sleep(50);
            }
        } finally {
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
            first.waitFor();
        }
        Path checkout = dir.resolve("data/workspaces/coding-default-swe/" + io.myriad.core.run.RunLoop.workspaceName(runId));
        assertThat(Files.readString(checkout.resolve(s.source()))).as("the edit is on disk").isEqualTo(s.fix().get(s.source()));

        var second = Cli.run("run", file.toString(), "--data", data);

        assertThat(second.exit()).as(second.err() + second.out()).isZero();
        assertThat(second.err()).contains("resuming");
        assertThat(deliveries(data)).singleElement().satisfies(d -> assertThat(d.path("verdict").asText()).isEqualTo("verified"));
        assertThat(git(repos.resolve(s.id()), "show", "myriad/" + s.id() + ":" + s.source())).isEqualTo(s.fix().get(s.source()));
        try (SqliteStore store = SqliteStore.open(db)) {
            assertThat(store.read(runId).stream().map(JournalRecord::event)
                    .filter(e -> e instanceof RunEvent.ToolCallStarted t && t.tool().equals("fs.edit")))
                    .as("the edit was not made again after the restart").hasSize(1);
        }
    }

    /** True once the run's journal holds the outcome of its fs.edit call. */
    private static boolean edited(Path db, String runId) {
        if (!Files.exists(db)) {
            return false;
        }
        try (SqliteStore store = SqliteStore.open(db)) {
            Map<String, String> names = new HashMap<>();
            for (JournalRecord r : store.read(runId)) {
                if (r.event() instanceof RunEvent.ToolCallStarted t) {
                    names.put(t.callId(), t.tool());
                } else if (r.event() instanceof RunEvent.ToolCallCompleted c && "fs.edit".equals(names.get(c.callId()))) {
                    return true;
                }
            }
            return false;
        } catch (RuntimeException e) {
            return false; // the database is being created
        }
    }
}
