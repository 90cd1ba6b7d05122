package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.cli.fleet.FleetFileException;
import io.myriad.cli.fleet.FleetLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy keys of a fleet file, and {@code myriad policy check} through the command line. */
class PolicyCommandTest {
    private static final String FLEET = """
            fleet: guarded
            tasks: ["go"]
            agents:
              writer:
                instructions: write
                tools: [fs.read, fs.write, shell]
            policy:
              - {id: no-env, effect: deny, tool: "fs.*", when: {path: "**/.env"}}
              - {id: src, effect: allow, tool: fs.write, when: {path: "src/**"}}
            policy_file: more.yaml
            """;
    private static final String MORE = """
            - {id: make, effect: needs_approval, tool: shell, when: {command: "make *"}}
            """;

    private Path fleet(Path dir) throws Exception {
        Files.writeString(dir.resolve("more.yaml"), MORE);
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, FLEET);
        return file;
    }

    @Test
    void explainsADenialNamingEveryRule(@TempDir Path dir) throws Exception {
        var r = Cli.run("policy", "check", fleet(dir).toString(), "--agent", "writer", "--tool", "fs.write",
                "--args", "{\"path\":\"src/../.env\",\"content\":\"x\"}");
        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        assertThat(r.out()).contains("decision: deny", "rule: no-env",
                "why: denied by policy rule no-env: path .env matches '**/.env'",
                "matched     no-env (deny)", "not matched src (allow): path .env does not match 'src/**'",
                "not matched make (needs_approval): tool fs.write does not match 'shell'");
    }

    @Test
    void exitCodesForAllowApprovalDefaultAndBadInput(@TempDir Path dir) throws Exception {
        String file = fleet(dir).toString();
        assertThat(Cli.run("policy", "check", file, "--agent", "writer", "--tool", "fs.write",
                "--args", "{\"path\":\"src/a\",\"content\":\"x\"}").exit()).isZero();
        assertThat(Cli.run("policy", "check", file, "--agent", "writer", "--tool", "shell",
                "--args", "{\"command\":\"make test\"}").exit()).isEqualTo(Main.EXIT_NEEDS_APPROVAL);
        var byDefault = Cli.run("policy", "check", file, "--agent", "writer", "--tool", "shell", "--args", "{\"command\":\"ls\"}");
        assertThat(byDefault.exit()).isEqualTo(1);
        assertThat(byDefault.out()).contains("rule: default", "denied by default");
        assertThat(Cli.run("policy", "check", file, "--agent", "writer", "--tool", "fs.read",
                "--args", "{\"path\":\"docs/a\"}").exit()).isZero();
        assertThat(Cli.run("policy", "check", file, "--agent", "writer", "--tool", "fs.read", "--args", "[1]").exit())
                .isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(Cli.run("policy", "check", file, "--agent", "nobody", "--tool", "fs.read").exit())
                .isEqualTo(Main.EXIT_BAD_INPUT);
    }

    @Test
    void aFleetWithoutPolicyAllowsEveryListedTool(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, "fleet: open\ntasks: [go]\nagents:\n  writer: {instructions: w, tools: [shell]}\n");
        var r = Cli.run("policy", "check", file.toString(), "--agent", "writer", "--tool", "shell", "--args", "{\"command\":\"rm -rf /\"}");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("rule: no-policy", "every tool the agent lists is allowed");
    }

    @Test
    void reportsRuleProblemsWithLineAndColumn(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, """
                fleet: bad
                tasks: [go]
                agents:
                  writer: {instructions: w, tools: [fs.write]}
                policy:
                  - {effect: alow, tool: fs.write}
                  - {id: x, effect: deny, tool: fs.write, agent: writr, when: {amount: "< lots"}}
                  - {id: x, effect: allow, tool: fs.write, wen: {}}
                """);
        assertThatThrownBy(() -> FleetLoader.load(file, Set.of("fs.write")))
                .isInstanceOfSatisfying(FleetFileException.class, e -> assertThat(e.getMessage()).contains(
                        "fleet.yaml:6:14: expected an effect, one of: allow, deny, needs_approval, got 'alow'",
                        "fleet.yaml:7:50: no agent named 'writr'",
                        "fleet.yaml:7:72: expected a comparison such as \"< 500\", \">= 10\" or \"== 3\" for 'amount', got '< lots'\n",
                        "fleet.yaml:8:10: rule id 'x' is used twice",
                        "fleet.yaml:8:44: unknown key 'wen'"));
    }
}
