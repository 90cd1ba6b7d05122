package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.McpServerSpec;
import io.myriad.core.tool.Effect;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code mcp} key: servers, effects, timeouts, MCP tool names, and problems at their positions. */
class FleetLoaderMcpTest {
    @TempDir
    Path dir;

    private Path write(String yaml) throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private FleetSpec load(String yaml) throws IOException {
        return FleetLoader.load(write(yaml), FleetLoaderTest.TOOLS);
    }

    private List<String> problems(String yaml) throws IOException {
        Path file = write(yaml);
        FleetFileException e = catchThrowableOfType(FleetFileException.class, () -> FleetLoader.load(file, FleetLoaderTest.TOOLS));
        assertThat(e).as("expected the fleet file to be rejected").isNotNull();
        return e.problems().stream().map(p -> p.line() + ":" + p.column() + ": " + p.message()).toList();
    }

    @Test
    void reads_stdio_and_http_servers_with_their_effects_and_timeouts() throws IOException {
        FleetSpec fleet = load("""
                fleet: f
                tasks: [go]
                agents:
                  a: {instructions: hi, tools: [fs.read, mcp.fs.read_text_file, mcp.crm.*]}
                mcp:
                  fs:
                    command: [node, server.js, data]
                    env: {LOG_LEVEL: debug}
                    cwd: tools
                    effects: read_only
                    tool_effects: {write_file: compensable}
                    timeout: 5s
                  crm: {url: "http://localhost:3001/mcp"}
                """);
        McpServerSpec fs = fleet.mcpServers().get("fs");
        assertThat(fs.transport()).isEqualTo(new McpServerSpec.Transport.Stdio(List.of("node", "server.js", "data"),
                Map.of("LOG_LEVEL", "debug"), dir.toAbsolutePath().resolve("tools")));
        assertThat(fs.effectOf("read_text_file")).isEqualTo(Effect.READ_ONLY);
        assertThat(fs.effectOf("write_file")).isEqualTo(Effect.COMPENSABLE);
        assertThat(fs.timeout()).isEqualTo(Duration.ofSeconds(5));
        McpServerSpec crm = fleet.mcpServers().get("crm");
        assertThat(crm.transport()).isEqualTo(new McpServerSpec.Transport.Http(URI.create("http://localhost:3001/mcp")));
        // Unknown means irreversible.
        assertThat(crm.effectOf("anything")).isEqualTo(Effect.IRREVERSIBLE);
        assertThat(crm.timeout()).isEqualTo(McpServerSpec.DEFAULT_TIMEOUT);
        assertThat(fleet.agent("a").tools()).containsExactly("fs.read", "mcp.fs.read_text_file", "mcp.crm.*");
        // The working folder defaults to the fleet file's folder.
        assertThat(load("""
                fleet: f
                tasks: [go]
                agents: {a: {instructions: hi}}
                mcp: {s: {command: [node, s.js]}}
                """).mcpServers().get("s").transport())
                .isEqualTo(new McpServerSpec.Transport.Stdio(List.of("node", "s.js"), Map.of(), dir.toAbsolutePath()));
    }

    @Test
    void reports_every_problem_with_its_position_and_a_suggestion() throws IOException {
        assertThat(problems("""
                fleet: f
                tasks: [go]
                agents:
                  a: {instructions: hi, tools: [mcp.fss.read, mcp.fs, mcp.nothere.x]}
                mcp:
                  fs:
                    comand: [node, s.js]
                    effects: read-only
                    timeout: soon
                  web: {url: "ftp://host/x", env: {A: b}}
                  both: {command: [node], url: "http://h/mcp"}
                  "a.b": {command: [node]}
                """)).containsExactly(
                "4:33: tool 'mcp.fss.read' names MCP server 'fss', which is not declared under mcp; declared: fs, web, both; did you mean 'fs'?",
                "4:47: expected an MCP tool as mcp.<server>.<tool>, like mcp.fs.read_text_file, got 'mcp.fs'",
                "4:55: tool 'mcp.nothere.x' names MCP server 'nothere', which is not declared under mcp; declared: fs, web, both",
                "6:3: MCP server 'fs' needs 'command' (a list: program and arguments, like [node, server.js]) or 'url' (like http://localhost:3001/mcp)",
                "7:5: unknown key 'comand'; expected one of: command, env, cwd, url, effects, tool_effects, timeout; did you mean 'command'?",
                "8:14: unknown effect 'read-only'; expected one of: read_only, idempotent, compensable, irreversible; did you mean 'read_only'?",
                "9:14: expected a duration like 30s or 5m, got 'soon'",
                "10:14: expected an http:// or https:// URL of an MCP endpoint, like http://localhost:3001/mcp, got 'ftp://host/x'",
                "10:30: 'env' applies to a server started with 'command', not to one reached by 'url'",
                "11:32: MCP server 'both' has both 'command' and 'url'; give 'command' to start a process, or 'url' to reach a running server, not both",
                "12:3: expected an MCP server name of 1 to 64 letters, digits, '_' or '-' (no '.', which separates mcp.<server>.<tool>), got 'a.b'");
    }
}
