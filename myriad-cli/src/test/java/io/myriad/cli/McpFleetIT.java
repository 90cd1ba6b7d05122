package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code myriad run} with an MCP server in the fleet file: the real memory server (installed by
 * {@code test.sh} in {@code .ci/npm}), started with the fleet, its tools called by the simulated
 * model, stopped with the fleet.
 */
class McpFleetIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** The memory server's entry script; fails (never skips) when test.sh has not installed it. */
    private static Path memoryServer() {
        try {
            if (new ProcessBuilder("node", "--version").start().waitFor() != 0) {
                fail("node --version failed; the MCP tests need Node.js 20 or newer");
            }
        } catch (IOException e) {
            fail("Node.js is needed by the MCP tests and was not found on the PATH; install Node 20 or newer");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve(".ci/npm"))) {
                Path script = d.resolve(".ci/npm/node_modules/@modelcontextprotocol/server-memory/dist/index.js");
                if (!Files.isRegularFile(script)) {
                    fail("@modelcontextprotocol/server-memory is not installed in " + d.resolve(".ci/npm")
                            + "; run ./test.sh (or npm ci in .ci/npm) to install it");
                }
                return script;
            }
        }
        return fail("no .ci/npm folder above " + Path.of("").toAbsolutePath());
    }

    private Path fleet(String tools) throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, """
                fleet: memory-notes
                model: sim:script
                tasks:
                  - id: ada
                    input:
                      script:
                        - {tool: mcp.memory.create_entities, args: {entities: [{name: Ada Lovelace, entityType: person, observations: [wrote the first program]}]}}
                        - {tool: mcp.memory.read_graph, args: {}}
                        - {answer: remembered}
                agents:
                  keeper:
                    instructions: Remember the people you are told about.
                    tools: %s
                mcp:
                  memory:
                    command: [node, %s]
                    env: {MEMORY_FILE_PATH: %s}
                    tool_effects: {read_graph: read_only, search_nodes: read_only, open_nodes: read_only}
                    timeout: 20s
                """.formatted(tools, JSON.writeValueAsString(memoryServer().toString()),
                JSON.writeValueAsString(dir.resolve("graph.jsonl").toString())));
        return file;
    }

    @Test
    void an_agent_calls_the_memory_servers_tools_and_the_transcript_shows_the_calls() throws IOException {
        Path file = fleet("[mcp.memory.*]");
        String data = dir.resolve("data").toString();
        Cli.Result r = Cli.run("run", file.toString(), "--data", data, "--json");

        assertThat(r.exit()).as(r.err() + r.out()).isZero();
        JsonNode summary = JSON.readTree(r.lastLine());
        assertThat(summary.path("succeeded").asInt()).isEqualTo(1);
        // The server really stored the entity.
        assertThat(Files.readString(dir.resolve("graph.jsonl"))).contains("Ada Lovelace");

        Cli.Result show = Cli.run("runs", "show", "memory-notes-1:ada", "--data", data);
        assertThat(show.exit()).as(show.err()).isZero();
        assertThat(show.out()).contains("calls mcp.memory.create_entities").contains("calls mcp.memory.read_graph")
                .contains("tool mcp.memory.read_graph").contains("wrote the first program").contains("SUCCEEDED");
    }

    @Test
    void a_tool_the_server_does_not_offer_fails_the_run_before_it_starts_listing_what_it_offers() throws IOException {
        Path file = fleet("[mcp.memory.read_graph, mcp.memory.forget_everything]");
        Cli.Result r = Cli.run("run", file.toString(), "--data", dir.resolve("data").toString());

        assertThat(r.exit()).as(r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("mcp.memory.forget_everything").contains("offers no such tool")
                .contains("create_entities").contains("nothing was run");
    }

    @Test
    void a_server_that_does_not_start_stops_the_run_with_exit_3() throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, """
                fleet: broken
                model: sim:answer
                tasks: [go]
                agents:
                  a: {instructions: hi, tools: [mcp.gone.anything]}
                mcp:
                  gone: {command: [node, %s], timeout: 5s}
                """.formatted(JSON.writeValueAsString(dir.resolve("missing.js").toString())));
        Cli.Result r = Cli.run("run", file.toString(), "--data", dir.resolve("data").toString());

        assertThat(r.exit()).as(r.err()).isEqualTo(Main.EXIT_PLATFORM);
        assertThat(r.err()).contains("MCP server 'gone' did not start").contains("nothing was run");
    }
}
