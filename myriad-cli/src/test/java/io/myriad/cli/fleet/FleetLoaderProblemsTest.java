package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.myriad.cli.fleet.FleetFileException.Problem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of problem, at its exact line and column, all reported together. */
class FleetLoaderProblemsTest {
    private static final String ROOT_KEYS = "fleet, model, concurrency, tasks, agents, http, retry, circuit_breaker, mcp, secrets, shell, policy, policy_file, tenant, budget, approvals, coding, intake, delegation, reduce, messages, a2a, provider_limit";

    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    /** The problems of loading {@code yaml}, as {@code line:column: message}, all in fleet.yaml. */
    private List<String> problems(String yaml) throws IOException {
        Path file = write("fleet.yaml", yaml);
        FleetFileException e = catchThrowableOfType(FleetFileException.class,
                () -> FleetLoader.load(file, FleetLoaderTest.TOOLS));
        assertThat(e).as("expected the fleet file to be rejected").isNotNull();
        assertThat(e.problems()).extracting(Problem::file).containsOnly(file.toString());
        return e.problems().stream().map(p -> p.line() + ":" + p.column() + ": " + p.message()).toList();
    }

    @Test
    void unknownKeyListsTheAllowedKeysAndSuggestsTheClosest() throws IOException {
        assertThat(problems("""
                fleet: hello
                agnets:
                  writer: {instructions: hi}
                tasks: [go]
                """)).containsExactly(
                "1:1: the fleet file is missing the required key 'agents'",
                "2:1: unknown key 'agnets'; expected one of: " + ROOT_KEYS + "; did you mean 'agents'?");
    }

    @Test
    void unknownKeyWithoutCloseMatchHasNoSuggestion() throws IOException {
        assertThat(problems("""
                fleet: hello
                agents:
                  writer: {instructions: hi, maxSteps: 3, colour: red}
                tasks: [go]
                """)).containsExactly(
                "3:30: unknown key 'maxSteps'; expected one of: instructions, model, fallback_model, tools, limits, output_schema, "
                        + "max_output_tokens, temperature, delegates, handoffs",
                "3:43: unknown key 'colour'; expected one of: instructions, model, fallback_model, tools, limits, output_schema, "
                        + "max_output_tokens, temperature, delegates, handoffs");
    }

    @Test
    void reportsEveryProblemInTheFileAtOnce() throws IOException {
        assertThat(problems("""
                fleet: Bad Name
                concurrency: 0
                model: gpt-4
                agents:
                  writer:
                    instructions: 42
                    tools: [fs.raed, shell]
                    limits: {max_steps: -1, max_wall: soon}
                    temperature: 3
                tasks:
                  - {input: hi, agent: writter}
                  - {id: 7}
                  - 3.5
                """)).containsExactly(
                "1:8: expected a fleet name of 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with "
                        + "a letter or digit, got 'Bad Name'",
                "2:14: expected an integer from 1 to 10000000, got 0",
                "3:8: expected a model (sim, sim:<scenario>, openai:<name>, {sim: {...}} or {base_url: ..., "
                        + "name: ...}), got 'gpt-4'; did you mean 'openai:gpt-4'?",
                "6:19: expected a string, got 42 (quote it to make it a string: \"42\")",
                "7:13: unknown tool 'fs.raed'; expected one of: fs.read, fs.write, http_get; did you mean 'fs.read'?",
                "7:22: unknown tool 'shell'; expected one of: fs.read, fs.write, http_get",
                "8:25: expected an integer from 1 to 1000000, got -1",
                "8:39: expected a duration like 30s or 5m, got 'soon'",
                "9:18: expected a number from 0 to 2, got 3",
                "11:24: unknown agent 'writter'; expected one of: writer; did you mean 'writer'?",
                "12:5: task 2 of the list is missing the required key 'input'",
                "13:5: expected a task: a string (its input) or a mapping with 'input', got 3.5");
    }

    @Test
    void typesAreCheckedEverywhere() throws IOException {
        assertThat(problems("""
                fleet: [x]
                agents: [writer]
                http: {allow_hosts: api.example.com}
                tasks: {input: x}
                """)).containsExactly(
                "1:8: expected a string, got a list",
                "2:9: expected a mapping, got a list",
                "3:21: expected a list, got 'api.example.com'",
                "4:8: expected a list of tasks or the path of a JSONL tasks file, got a mapping");
    }

    @Test
    void agentProblems() throws IOException {
        assertThat(problems("""
                fleet: agents
                agents:
                  empty:
                  "bad name": {instructions: x}
                  blank: {instructions: "  ", output_schema: [type], max_output_tokens: 0}
                  nolimits: {limits: 5, tools: [fs.read, fs.read]}
                tasks: [{input: x, agent: empty}]
                """)).containsExactly(
                "3:9: agent 'empty' needs a mapping with at least 'instructions', got an empty value",
                "4:3: expected an agent name of 1 to 64 letters, digits, '.', '_' or '-', starting with a letter "
                        + "or digit, got 'bad name'",
                "5:25: expected the agent's instructions, got an empty string",
                "5:46: expected a mapping, got a list",
                "5:73: expected an integer from 1 to 10000000, got 0",
                "6:3: agent 'nolimits' is missing the required key 'instructions'",
                "6:22: expected a mapping, got 5",
                "6:42: tool 'fs.read' is listed twice");
    }

    @Test
    void aTaskWithoutAgentInAFleetOfSeveralIsAnError() throws IOException {
        assertThat(problems("""
                fleet: two
                agents:
                  a: {instructions: A}
                  b: {instructions: B}
                tasks:
                  - {input: fine, agent: b}
                  - which one?
                """)).containsExactly(
                "7:5: task 't2' does not name its agent and the fleet has several (a, b); add agent: <name>");
    }

    @Test
    void duplicateTaskIdsNameBothLocations() throws IOException {
        Path file = dir.resolve("fleet.yaml");
        assertThat(problems("""
                fleet: dups
                agents: {a: {instructions: A}}
                tasks:
                  - {id: same, input: x}
                  - {id: same, input: y}
                  - third
                  - {input: z, id: t3}
                """)).containsExactly(
                "5:10: duplicate task id 'same'; first used at " + file + ":4:10",
                "7:20: duplicate task id 't3'; first used at " + file + ":6:5");
    }

    @Test
    void anEmptyFleetIsAnError() throws IOException {
        assertThat(problems("fleet: none\nagents: {a: {instructions: A}}\ntasks: []\n")).containsExactly(
                "3:8: the fleet has no tasks; add at least one task (a string, or {input: ...})");
        assertThat(problems("fleet: none\nagents: {}\ntasks: [x]\n")).containsExactly(
                "2:9: expected at least one agent under agents, like writer: {instructions: ...}");
    }

    @Test
    void anEmptyOrNonMappingFileIsAnError() throws IOException {
        assertThat(problems("# nothing yet\n")).containsExactly(
                "1:1: the fleet file is empty; expected a mapping with at least the keys fleet, agents and tasks");
        assertThat(problems("- fleet: x\n")).containsExactly(
                "1:1: expected a mapping with the keys " + ROOT_KEYS + ", got a list");
        assertThat(problems("{}")).containsExactly(
                "1:1: the fleet file is missing the required key 'fleet'",
                "1:1: the fleet file is missing the required key 'agents'",
                "1:1: the fleet file is missing the required key 'tasks'");
    }

    @Test
    void malformedYamlIsOneProblemAtTheParsersLocation() throws IOException {
        assertThat(problems("fleet: x\nagents:\n  a: b: c\n")).containsExactly(
                "3:7: malformed YAML: mapping values are not allowed here; a value containing ': ' must be quoted");
        assertThat(problems("fleet: x\ntasks: [a, b\n")).containsExactly(
                "3:1: malformed YAML: expected ',' or ']', but got the end of the file "
                        + "(while parsing a flow sequence that starts at line 2, column 8)");
        assertThat(problems("fleet: x\nagents:\n\twriter: {}\n")).containsExactly(
                "3:1: malformed YAML: found a tab that cannot start any token. (indent with spaces, not tabs)");
        assertThat(problems("fleet: x\nagents:\n  - a\n b: 2\n")).containsExactly(
                "4:2: malformed YAML: expected the end of an indented block, but found a mapping at a different "
                        + "indentation (while parsing a block mapping that starts at line 1, column 1); check the "
                        + "indentation");
    }

    @Test
    void yamlLevelProblems() throws IOException {
        assertThat(problems("""
                fleet: a
                fleet: b
                agents: {a: {instructions: *missing}}
                tasks: [x]
                ---
                other: doc
                """)).containsExactly(
                "2:1: duplicate key 'fleet'; first given at line 1, column 1",
                "3:28: unknown alias '*missing'; define '&missing' on a mapping or list before using it (anchors on single "
                        + "values are not supported)",
                "3:28: expected a string, got an empty value",
                "6:1: expected one YAML document, found a second one; remove the '---' separator");
    }

    @Test
    void jsonlProblemsNameTheTasksFileAndLine() {
        Path file = FleetLoaderTest.resource("bad-jsonl.yaml");
        FleetFileException e = catchThrowableOfType(FleetFileException.class,
                () -> FleetLoader.load(file, FleetLoaderTest.TOOLS));

        Path tasks = file.resolveSibling("tasks/bad-line3.jsonl");
        assertThat(e.problems()).containsExactly(new Problem(tasks.toString(), 3, 32, "expected an integer, got 'high'"));
        assertThat(e.getMessage()).isEqualTo(tasks + ":3:32: expected an integer, got 'high'");
    }

    @Test
    void jsonlSyntaxAndShapeProblems() throws IOException {
        Path file = write("fleet.yaml", "fleet: j\nagents: {a: {instructions: A}}\ntasks: t.jsonl\n");
        write("t.jsonl", """
                {"input": "ok"}
                {"input": "x",}
                42

                {"input": null, "id": "t1", "colour": 1}
                {"input": "a"} {"input": "b"}
                """);
        String tasks = dir.resolve("t.jsonl").toString();
        FleetFileException e = catchThrowableOfType(FleetFileException.class,
                () -> FleetLoader.load(file, FleetLoaderTest.TOOLS));

        assertThat(e.problems()).extracting(Problem::file).containsOnly(tasks);
        assertThat(e.problems()).extracting(p -> p.line() + ":" + p.column()).containsExactly(
                "2:15", "3:1", "5:11", "5:23", "5:29", "6:16");
        assertThat(e.problems().get(0).message()).startsWith("malformed JSON: Unexpected character ('}'");
        assertThat(e.problems().get(1).message()).isEqualTo(
                "expected a JSON object {\"input\": ...} or a JSON string, got 42");
        assertThat(e.problems().get(2).message()).isEqualTo(
                "expected the task's input (a string or an object), got null");
        assertThat(e.problems().get(3).message()).isEqualTo(
                "duplicate task id 't1'; first used at " + tasks + ":1:1");
        assertThat(e.problems().get(4).message()).startsWith("unknown key 'colour'; expected one of: id, input");
        assertThat(e.problems().get(5).message()).isEqualTo(
                "unexpected text after the JSON value; write one JSON value per line");
    }

    @Test
    void aMissingTasksFileNamesTheResolvedPath() throws IOException {
        Path resolved = dir.resolve("sub/nope.jsonl");
        assertThat(problems("fleet: m\nagents: {a: {instructions: A}}\ntasks: sub/nope.jsonl\n")).containsExactly(
                "3:8: tasks file not found: " + resolved + " (looked for " + resolved.toAbsolutePath().normalize() + ")");
    }

    @Test
    void aMissingFleetFileIsAFleetFileException() {
        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> FleetLoader.load(missing, FleetLoaderTest.TOOLS))
                .isInstanceOf(FleetFileException.class)
                .hasMessage(missing + ":1:1: fleet file not found (looked for " + missing.toAbsolutePath() + ")")
                .satisfies(t -> assertThat(((FleetFileException) t).retriable()).isFalse());
    }

    @Test
    void theMessageListsEveryProblemOnItsOwnLine() throws IOException {
        Path file = write("fleet.yaml", "fleet: x\nconcurrency: lots\nagents: {a: {instructions: A}}\ntasks: []\n");
        assertThatThrownBy(() -> FleetLoader.load(file, FleetLoaderTest.TOOLS)).hasMessage(
                file + ":2:14: expected an integer from 1 to 10000000, got 'lots'\n"
                        + file + ":4:8: the fleet has no tasks; add at least one task (a string, or {input: ...})");
    }

    @Test
    void hostsMustBeHostNames() throws IOException {
        assertThat(problems("""
                fleet: h
                agents: {a: {instructions: A}}
                tasks: [x]
                http: {allow_hosts: ["https://api.example.com", ok.example.com, 42], allow: []}
                """)).containsExactly(
                "4:22: expected a host name like api.example.com or *.example.org (no scheme, port or path), "
                        + "got 'https://api.example.com'",
                "4:65: expected a string, got 42 (quote it to make it a string: \"42\")",
                "4:70: unknown key 'allow'; expected one of: allow_hosts, allow_private");
    }

    @Test
    void approvalsAreCheckedAndDefaultToADayAndAHundred() throws IOException {
        List<String> problems = problems("""
                fleet: h
                agents: {a: {instructions: A}}
                tasks: [x]
                approvals: {expire_after: 0s, max_pending: 0, max_pendin: 3}
                """);
        assertThat(problems).containsExactly(
                "4:27: expected a positive duration like 30s or 5m, got '0s'",
                "4:44: expected an integer from 1 to 1000000, got 0",
                "4:47: unknown key 'max_pendin'; expected one of: expire_after, max_pending; did you mean 'max_pending'?");
        assertThat(problems("""
                fleet: h
                agents: {a: {instructions: A}}
                tasks: [x]
                approvals: {expire_after: 2200h}
                """)).singleElement().satisfies(p -> assertThat(p).startsWith("4:27: expected a duration of at most ").contains("expires as a denial"));

        var loaded = FleetLoader.load(write("ok.yaml", """
                fleet: h
                agents: {a: {instructions: A}}
                tasks: [x]
                approvals: {expire_after: 2h}
                """), FleetLoaderTest.TOOLS);
        assertThat(loaded.approvals()).isEqualTo(new io.myriad.core.fleet.ApprovalSpec(java.time.Duration.ofHours(2), 100));
        assertThat(FleetLoader.load(write("none.yaml", "fleet: h\nagents: {a: {instructions: A}}\ntasks: [x]\n"),
                FleetLoaderTest.TOOLS).approvals()).isEqualTo(io.myriad.core.fleet.ApprovalSpec.DEFAULT);
    }
}
