package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.cli.fleet.FleetFileException.Problem;
import io.myriad.core.fleet.CodingSpec;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.tools.BuiltinTools;
import io.myriad.tools.swe.SampleProjects;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code coding} key: sample or JSONL coding tasks become the fleet's tasks, for one agent. */
class FleetLoaderCodingTest {
    private static final Set<String> TOOLS = tools();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SIM_AGENT = """
            agents:
              engineer:
                instructions: fix it
                model: sim:script
                tools: [fs.read, run_tests, submit]
            """;

    @TempDir
    Path dir;

    private static Set<String> tools() {
        Set<String> names = new HashSet<>(BuiltinTools.names());
        names.add("run_tests");
        names.add("submit");
        return Set.copyOf(names);
    }

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
        return file;
    }

    private FleetSpec load(String yaml) throws IOException {
        return FleetLoader.load(write("fleet.yaml", yaml), TOOLS);
    }

    /** The problems of loading {@code yaml}, as {@code line:column: message}. */
    private List<String> problems(String yaml) throws IOException {
        Path file = write("fleet.yaml", yaml);
        FleetFileException e = catchThrowableOfType(FleetFileException.class, () -> FleetLoader.load(file, TOOLS));
        assertThat(e).as("expected the fleet file to be rejected").isNotNull();
        return e.problems().stream().map(p -> p.line() + ":" + p.column() + ": " + p.message()).toList();
    }

    private static JsonNode input(TaskSpec task) throws IOException {
        return JSON.readTree(task.input());
    }

    private static List<String> expectedSampleIds() {
        boolean jdk = SampleProjects.sandboxJdk().isPresent();
        return List.of(jdk ? "sample-java-0" : "sample-python-0", "sample-python-1",
                jdk ? "sample-java-2" : "sample-python-2");
    }

    @Test
    void samplesGoToTheOnlyAgentWithTheScriptForTheSimulatedModel() throws IOException {
        FleetSpec fleet = load("fleet: swe\n" + SIM_AGENT + "coding: {samples: 3}\n");

        assertThat(fleet.coding()).isPresent();
        CodingSpec coding = fleet.coding().orElseThrow();
        assertThat(coding.agent()).isEqualTo("engineer");
        assertThat(coding.samples()).isEqualTo(3);
        assertThat(coding.tasksFile()).isEmpty();
        assertThat(coding.maxSubmissions()).isEqualTo(CodingSpec.DEFAULT_MAX_SUBMISSIONS);
        assertThat(coding.maxDiffBytes()).isEqualTo(CodingSpec.DEFAULT_MAX_DIFF_BYTES);
        assertThat(coding.testTimeout()).isEqualTo(CodingSpec.DEFAULT_TEST_TIMEOUT);
        assertThat(coding.maxWorkspaces()).isEqualTo(Math.max(64, fleet.concurrency()));
        assertThat(coding.keepWorkspaces()).isFalse();

        assertThat(fleet.tasks()).extracting(TaskSpec::id).containsExactlyElementsOf(expectedSampleIds());
        assertThat(fleet.tasks()).extracting(TaskSpec::agent).containsOnly("engineer");
        List<SampleProjects.Sample> samples = SampleProjects.samples(3, SampleProjects.sandboxJdk());
        for (int i = 0; i < 3; i++) {
            JsonNode in = input(fleet.tasks().get(i));
            assertThat(in.path("goal").asText()).as("goal of task %d", i).isNotBlank().isEqualTo(samples.get(i).goal());
            assertThat(in.path("test_command").asText()).isEqualTo(samples.get(i).testCommand());
            assertThat(in.get("tests_may_be_edited")).isNotNull();
            assertThat(in.get("tests_may_be_edited").isBoolean()).isTrue();
            assertThat(in.get("tests_may_be_edited").booleanValue()).isFalse();
            assertThat(in.get("script")).as("script of task %d", i).isNotNull();
            assertThat(in.get("script").isArray()).isTrue();
            assertThat(in.get("script").size()).isPositive();
        }
    }

    @Test
    void aRealModelGetsNoScript() throws IOException {
        FleetSpec fleet = load("""
                fleet: swe
                agents:
                  engineer:
                    instructions: fix it
                    model: {base_url: "http://localhost:11434/v1", name: qwen}
                    tools: [run_tests, submit]
                coding: {samples: 3}
                """);

        assertThat(fleet.coding().orElseThrow().agent()).isEqualTo("engineer");
        assertThat(fleet.tasks()).extracting(TaskSpec::id).containsExactlyElementsOf(expectedSampleIds());
        for (TaskSpec t : fleet.tasks()) {
            JsonNode in = input(t);
            assertThat(in.has("script")).as("script in %s", t.id()).isFalse();
            assertThat(in.path("goal").asText()).isNotBlank();
            assertThat(in.path("test_command").asText()).isNotBlank();
        }
    }

    @Test
    void aJsonlFileGivesItsTasksAndItsContentIsInTheDigest() throws IOException {
        String first = """
                {"id": "fix-a", "repository": "repos/a", "base": "main", "goal": "Fix A", "testCommand": "make test"}

                {"id": "fix-b", "repository": "repos/a", "base": "main", "goal": "Fix B", "testCommand": "make check", \
                "allowTestEdits": true, "simScript": [{"answer": "done"}]}
                """;
        Path tasks = write("tasks.jsonl", first);
        String yaml = "fleet: swe\n" + SIM_AGENT + "coding: {tasks: tasks.jsonl, max_submissions: 5, test_timeout: 9m}\n";

        FleetSpec fleet = load(yaml);
        CodingSpec coding = fleet.coding().orElseThrow();
        assertThat(coding.tasksFile()).contains(tasks.toAbsolutePath());
        assertThat(coding.samples()).isZero();
        assertThat(coding.agent()).isEqualTo("engineer");
        assertThat(coding.maxSubmissions()).isEqualTo(5);
        assertThat(coding.testTimeout()).isEqualTo(Duration.ofMinutes(9));
        assertThat(fleet.tasks()).extracting(TaskSpec::id).containsExactly("fix-a", "fix-b");
        assertThat(fleet.tasks()).extracting(TaskSpec::agent).containsOnly("engineer");

        JsonNode a = input(fleet.tasks().get(0));
        assertThat(a.path("goal").asText()).isEqualTo("Fix A");
        assertThat(a.path("test_command").asText()).isEqualTo("make test");
        assertThat(a.path("tests_may_be_edited").booleanValue()).isFalse();
        assertThat(a.has("script")).isFalse();
        assertThat(fleet.tasks().get(0).input()).doesNotContain("repos/a");
        JsonNode b = input(fleet.tasks().get(1));
        assertThat(b.path("tests_may_be_edited").booleanValue()).isTrue();
        assertThat(b.path("test_command").asText()).isEqualTo("make check");
        assertThat(b.get("script")).isNotNull();
        assertThat(b.get("script").toString()).isEqualTo("[{\"answer\":\"done\"}]");

        String digest = fleet.digest();
        assertThat(load(yaml).digest()).as("same files, same digest").isEqualTo(digest);
        Files.writeString(tasks, first.replace("Fix A", "Fix A properly"));
        FleetSpec changed = load(yaml);
        assertThat(changed.tasks().get(0).input()).contains("Fix A properly");
        assertThat(changed.digest()).as("the digest covers the tasks file").isNotEqualTo(digest);
    }

    @Test
    void severalProblemsOfTheCodingKeyAreReportedTogether() throws IOException {
        assertThat(problems("""
                fleet: swe
                agents:
                  engineer:
                    instructions: fix it
                    model: sim:script
                    tools: [run_tests, submit]
                coding:
                  tasks: tasks.jsonl
                  samples: 2
                  agent: ghost
                  test_timeout: 20m
                  max_submision: 3
                """)).satisfiesExactly(
                p -> assertThat(p).startsWith("8:").contains("coding needs either 'tasks'").contains("'samples'")
                        .endsWith("not both"),
                p -> assertThat(p).startsWith("10:10: ").contains("coding names agent 'ghost'")
                        .contains("does not declare").endsWith("agents: engineer"),
                p -> assertThat(p).startsWith("11:17: ").contains("coding.test_timeout must be between 1s and 9m"),
                p -> assertThat(p).startsWith("12:3: ").contains("unknown key 'max_submision'")
                        .contains("expected one of: tasks, samples, agent, test_slots, workspaces, max_diff_bytes, "
                                + "max_submissions, test_timeout")
                        .contains("did you mean 'max_submissions'"));
    }

    @Test
    void neitherTasksNorSamples() throws IOException {
        assertThat(problems("fleet: swe\n" + SIM_AGENT + "coding: {agent: engineer}\n"))
                .singleElement().asString()
                .startsWith("7:9: ")
                .contains("coding needs either 'tasks'")
                .endsWith("not neither");
    }

    @Test
    void severalAgentsNeedTheAgentKey() throws IOException {
        assertThat(problems("""
                fleet: swe
                model: sim:script
                agents:
                  engineer: {instructions: fix it, tools: [run_tests, submit]}
                  reviewer: {instructions: review it}
                coding: {samples: 2}
                """)).singleElement().asString()
                .startsWith("6:9: ")
                .contains("coding needs 'agent'")
                .contains("several agents (engineer, reviewer)");
        FleetSpec ok = load("""
                fleet: swe
                model: sim:script
                agents:
                  engineer: {instructions: fix it, tools: [run_tests, submit]}
                  reviewer: {instructions: review it}
                coding: {samples: 2, agent: reviewer}
                """);
        assertThat(ok.coding().orElseThrow().agent()).isEqualTo("reviewer");
        assertThat(ok.tasks()).extracting(TaskSpec::agent).containsOnly("reviewer");
    }

    @Test
    void theFleetsTasksKeyCannotComeWithCoding() throws IOException {
        assertThat(problems("fleet: swe\n" + SIM_AGENT + "tasks: [go]\ncoding: {samples: 1}\n"))
                .singleElement().asString()
                .startsWith("7:8: ")
                .contains("a coding fleet takes its tasks from coding.tasks")
                .contains("remove the fleet's 'tasks' key");
    }

    @Test
    void workspacesMustCoverTheConcurrency() throws IOException {
        assertThat(problems("fleet: swe\nconcurrency: 8\n" + SIM_AGENT
                + "coding: {samples: 1, workspaces: {max: 2}}\n"))
                .singleElement().asString()
                .startsWith("8:40: ")
                .contains("coding.workspaces.max (2) must be at least the fleet's concurrency (8)");
        FleetSpec ok = load("fleet: swe\nconcurrency: 8\n" + SIM_AGENT
                + "coding: {samples: 1, workspaces: {max: 8, keep: true}}\n");
        assertThat(ok.coding().orElseThrow().maxWorkspaces()).isEqualTo(8);
        assertThat(ok.coding().orElseThrow().keepWorkspaces()).isTrue();
    }

    @Test
    void theTestTimeoutIsCapped() throws IOException {
        assertThat(problems("fleet: swe\n" + SIM_AGENT + "coding: {samples: 1, test_timeout: 20m}\n"))
                .singleElement().asString()
                .startsWith("7:36: ")
                .contains("coding.test_timeout must be between 1s and 9m");
    }

    @Test
    void anUnknownCodingKeyListsTheKnownOnes() throws IOException {
        assertThat(problems("fleet: swe\n" + SIM_AGENT + "coding: {samples: 1, slots: 2}\n"))
                .singleElement().asString()
                .startsWith("7:22: ")
                .contains("unknown key 'slots'")
                .contains("expected one of: tasks, samples, agent, test_slots, workspaces, max_diff_bytes, "
                        + "max_submissions, test_timeout");
    }

    private static final String TASK_A =
            "{\"id\": \"a\", \"repository\": \"repos/a\", \"base\": \"main\", \"goal\": \"G\", \"testCommand\": \"t\"";

    /** The single problem of a fleet whose coding tasks file holds {@code jsonl}. */
    private String jsonlProblem(String jsonl) throws IOException {
        write("tasks.jsonl", jsonl);
        List<String> problems = problems("fleet: swe\n" + SIM_AGENT + "coding: {tasks: tasks.jsonl}\n");
        assertThat(problems).hasSize(1);
        assertThat(problems.getFirst()).startsWith("7:17: ");
        return problems.getFirst();
    }

    @Test
    void problemsOfTheJsonlFileNameTheirLine() throws IOException {
        String file = dir.resolve("tasks.jsonl").toString();
        assertThat(jsonlProblem(TASK_A + "}\n" + TASK_A.replace("\"a\"", "\"b\"") + ", \"priority\": 3}\n"))
                .contains(file + ":2: unknown field 'priority'")
                .contains("known fields: [allowNetwork, allowTestEdits, base, goal, id, repository, setupCommand, "
                        + "simScript, testCommand]");
        assertThat(jsonlProblem(TASK_A + ", \"allowTestEdits\": \"yes\"}\n"))
                .contains(file + ":1: ")
                .contains("'allowTestEdits' must be true or false");
        assertThat(jsonlProblem("\n" + TASK_A + ", \"simScript\": \"run_tests\"}\n"))
                .contains(file + ":2: ")
                .contains("'simScript' must be a list");
        assertThat(jsonlProblem(TASK_A + "}\n" + TASK_A.replace("\"a\"", "\"b\"") + "}\n" + TASK_A + "}\n"))
                .contains(file + ":3: ")
                .contains("task id 'a' is already used on line 1");
    }

    @Test
    void aMissingTasksFileIsAProblem() throws IOException {
        assertThat(problems("fleet: swe\n" + SIM_AGENT + "coding: {tasks: nowhere.jsonl}\n"))
                .singleElement().asString()
                .startsWith("7:17: ")
                .contains("cannot read the coding tasks file")
                .contains(dir.resolve("nowhere.jsonl").toString());
    }

    @Test
    void anEmptyTasksFileIsAProblem() throws IOException {
        write("tasks.jsonl", "\n\n");
        assertThat(problems("fleet: swe\n" + SIM_AGENT + "coding: {tasks: tasks.jsonl}\n"))
                .singleElement().asString()
                .contains("has no tasks");
    }

    @Test
    void codingToolsNeedACodingFleet() throws IOException {
        assertThat(problems("""
                fleet: plain
                model: sim:script
                agents:
                  engineer: {instructions: fix it, tools: [fs.read, run_tests]}
                  closer: {instructions: close it, tools: [submit]}
                  reader: {instructions: read it, tools: [fs.read]}
                tasks: [{input: go, agent: reader}]
                """)).satisfiesExactlyInAnyOrder(
                p -> assertThat(p).contains("agent 'engineer' lists run_tests, a tool of coding fleets")
                        .contains("add a coding key"),
                p -> assertThat(p).contains("agent 'closer' lists submit, a tool of coding fleets"));
    }

    @Test
    void problemsAreInTheFleetFile() throws IOException {
        write("tasks.jsonl", TASK_A + ", \"bogus\": 1}\n");
        Path file = write("fleet.yaml", "fleet: swe\n" + SIM_AGENT + "coding: {tasks: tasks.jsonl}\n");
        FleetFileException e = catchThrowableOfType(FleetFileException.class, () -> FleetLoader.load(file, TOOLS));
        assertThat(e).isNotNull();
        assertThat(e.problems()).extracting(Problem::file).containsOnly(file.toString());
    }
}
