package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/agent-tools.yaml} runs as the README says, on the simulated model: a sandboxed
 * shell, workspace file tools, HTTP with an allow-list and an MCP server.
 */
class ExampleAgentToolsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void theToolsExampleRunsAndItsRefusalsAreRealRefusals() throws Exception {
        Path example = Path.of("..", "examples", "agent-tools.yaml").toAbsolutePath().normalize();
        assertThat(example).exists();
        assertThat(example.resolveSibling("../.ci/npm/node_modules/@modelcontextprotocol/server-memory/dist/index.js").normalize())
                .as("./test.sh installs the MCP reference servers").exists();
        String data = dir.resolve("data").toString();
        Cli.Result r = Cli.run("run", example.toString(), "--data", data, "--json");
        assertThat(r.exit()).as(r.err() + r.out()).isZero();
        JsonNode summary = JSON.readTree(r.lastLine());
        assertThat(summary.path("succeeded").asInt()).isEqualTo(4);
        assertThat(summary.path("simulated").asBoolean()).isTrue();

        String engineer = Cli.run("runs", "show", "tools-1:engineer", "--data", data).out();
        assertThat(engineer).contains("tool shell returned").contains("3 notes.txt").contains("2:BETA");
        assertThat(Files.readString(dir.resolve("data/workspaces/tools-1_engineer/notes.txt"))).isEqualTo("alpha\nBETA\ngamma\n");

        String sandbox = Cli.run("runs", "show", "tools-1:sandbox", "--data", data).out();
        assertThat(sandbox).contains("Read-only file system").contains("/etc/shadow: No such file")
                .contains("no network here");
        assertThat(Path.of("/etc/escape")).doesNotExist();

        String http = Cli.run("runs", "show", "tools-1:http", "--data", data).out();
        assertThat(http).contains("'169.254.169.254' is not allowed").contains("'internal.example.net' is not allowed");

        String memory = Cli.run("runs", "show", "tools-1:memory", "--data", data).out();
        assertThat(memory).contains("tool mcp.memory.search_nodes").contains("runs fleets of agents");
    }
}
