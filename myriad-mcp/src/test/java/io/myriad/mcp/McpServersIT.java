package io.myriad.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.fleet.McpServerSpec;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolResult;
import io.myriad.tools.JsonSchemaValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the real MCP reference servers (filesystem, memory) and a test server that crashes. */
class McpServersIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Backoff FAST = new Backoff(Duration.ofMillis(50), Duration.ofSeconds(1));

    @TempDir
    Path dir;

    private ToolContext context() {
        return new ToolContext("run-1", "call-1", "run-1/c0", dir);
    }

    private static Tool tool(McpServers servers, String name) {
        return servers.tools().stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no tool " + name + " in " + servers.offered()));
    }

    private ToolResult call(McpServers servers, String name, String json) throws Exception {
        return tool(servers, name).invoke(JSON.readTree(json), context());
    }

    @Test
    void discovers_the_filesystem_servers_tools_under_its_namespace_with_schemas_and_effects() throws Exception {
        Path allowed = Files.createDirectories(dir.resolve("allowed"));
        try (McpServers servers = McpServers.start(List.of(TestServers.filesystem("fs", allowed, Effect.COMPENSABLE)), FAST)) {
            assertThat(servers.offered()).containsOnlyKeys("fs");
            assertThat(servers.offered().get("fs")).contains("read_text_file", "write_file", "list_directory");
            assertThat(servers.tools()).allSatisfy(t -> assertThat(t.name()).startsWith("mcp.fs."));
            Tool write = tool(servers, "mcp.fs.write_file");
            JsonNode schema = write.definition().parameters();
            assertThat(schema.path("type").asText()).isEqualTo("object");
            assertThat(schema.path("properties").has("path")).isTrue();
            assertThat(schema.path("properties").has("content")).isTrue();
            assertThat(write.definition().description()).isNotBlank();
            assertThat(write.effect()).isEqualTo(Effect.COMPENSABLE);
            assertThat(tool(servers, "mcp.fs.read_text_file").effect()).isEqualTo(Effect.READ_ONLY);

            // The run loop validates arguments against this schema before any call reaches the server.
            assertThat(JsonSchemaValidator.create().validate(schema, JSON.readTree("{\"path\": \"a.txt\"}")))
                    .anySatisfy(p -> assertThat(p).contains("content"));
            assertThat(JsonSchemaValidator.create().validate(schema,
                    JSON.readTree("{\"path\": \"a.txt\", \"content\": \"x\"}"))).isEmpty();
        }
    }

    @Test
    void writes_then_reads_a_file_in_the_allowed_folder() throws Exception {
        Path allowed = Files.createDirectories(dir.resolve("allowed"));
        Path file = allowed.resolve("note.txt");
        try (McpServers servers = McpServers.start(List.of(TestServers.filesystem("fs", allowed, Effect.IRREVERSIBLE)), FAST)) {
            ToolResult written = call(servers, "mcp.fs.write_file",
                    JSON.writeValueAsString(Map.of("path", file.toString(), "content", "hello from myriad")));
            assertThat(written.error()).as(written.content()).isFalse();
            assertThat(Files.readString(file)).isEqualTo("hello from myriad");

            ToolResult read = call(servers, "mcp.fs.read_text_file", JSON.writeValueAsString(Map.of("path", file.toString())));
            assertThat(read.error()).as(read.content()).isFalse();
            assertThat(read.content()).contains("hello from myriad");
        }
    }

    @Test
    void refused_arguments_and_paths_outside_the_allowed_folder_are_error_results() throws Exception {
        Path allowed = Files.createDirectories(dir.resolve("allowed"));
        Path outside = Files.writeString(dir.resolve("secret.txt"), "do not read");
        try (McpServers servers = McpServers.start(List.of(TestServers.filesystem("fs", allowed, Effect.IRREVERSIBLE)), FAST)) {
            ToolResult refused = call(servers, "mcp.fs.write_file", "{\"path\": 42}");
            assertThat(refused.error()).isTrue();
            assertThat(refused.content()).isNotBlank();

            ToolResult denied = call(servers, "mcp.fs.read_text_file", JSON.writeValueAsString(Map.of("path", outside.toString())));
            assertThat(denied.error()).isTrue();
            assertThat(denied.content()).containsIgnoringCase("access denied").doesNotContain("do not read");

            // The server is still there for the next call.
            ToolResult listed = call(servers, "mcp.fs.list_directory", JSON.writeValueAsString(Map.of("path", allowed.toString())));
            assertThat(listed.error()).as(listed.content()).isFalse();
            assertThat(servers.restarts("fs")).isZero();
        }
    }

    @Test
    void creates_entities_then_reads_the_graph_through_the_memory_server() throws Exception {
        Path graph = dir.resolve("memory.jsonl");
        try (McpServers servers = McpServers.start(List.of(TestServers.memory("memory", graph)), FAST)) {
            assertThat(servers.offered().get("memory")).contains("create_entities", "read_graph", "search_nodes");
            ToolResult created = call(servers, "mcp.memory.create_entities", """
                    {"entities": [
                      {"name": "Ada Lovelace", "entityType": "person", "observations": ["wrote the first program"]},
                      {"name": "Analytical Engine", "entityType": "machine", "observations": ["designed by Babbage"]}]}""");
            assertThat(created.error()).as(created.content()).isFalse();
            ToolResult related = call(servers, "mcp.memory.create_relations", """
                    {"relations": [{"from": "Ada Lovelace", "to": "Analytical Engine", "relationType": "programmed"}]}""");
            assertThat(related.error()).as(related.content()).isFalse();

            ToolResult read = call(servers, "mcp.memory.read_graph", "{}");
            assertThat(read.error()).as(read.content()).isFalse();
            assertThat(read.content()).contains("Ada Lovelace", "wrote the first program", "programmed");
            assertThat(tool(servers, "mcp.memory.read_graph").effect()).isEqualTo(Effect.READ_ONLY);
            assertThat(tool(servers, "mcp.memory.create_entities").effect()).isEqualTo(Effect.IRREVERSIBLE);
        }
    }

    @Test
    void a_server_that_crashes_is_restarted_and_later_calls_succeed() throws Exception {
        try (McpServers servers = McpServers.start(List.of(TestServers.crashing("flaky", 2)), FAST)) {
            List<String> answers = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < 40 && answers.size() < 6; i++) {
                ToolResult r = call(servers, "mcp.flaky.echo", "{\"text\": \"n" + i + "\"}");
                (r.error() ? failures : answers).add(r.content());
            }
            assertThat(answers).hasSize(6);
            // Each process answers two calls, then exits: three processes at least.
            Set<String> pids = new HashSet<>();
            answers.forEach(a -> pids.add(a.substring(a.lastIndexOf(' ') + 1)));
            assertThat(pids).hasSizeGreaterThanOrEqualTo(3);
            assertThat(servers.restarts("flaky")).isGreaterThanOrEqualTo(2);
            // A call that meets the crash fails with a clear, retriable message, never a crash of ours.
            assertThat(failures).allSatisfy(f -> assertThat(f).contains("MCP server 'flaky'").contains("try"));
        }
    }

    @Test
    void a_killed_server_process_is_restarted() throws Exception {
        Path allowed = Files.createDirectories(dir.resolve("allowed"));
        Files.writeString(allowed.resolve("a.txt"), "still here");
        try (McpServers servers = McpServers.start(List.of(TestServers.filesystem("fs", allowed, Effect.IRREVERSIBLE)), FAST)) {
            ProcessHandle first = servers.process("fs").orElseThrow(() -> new AssertionError("no process found for fs"));
            first.destroyForcibly();
            first.onExit().get();
            String args = JSON.writeValueAsString(Map.of("path", allowed.resolve("a.txt").toString()));
            ToolResult read = call(servers, "mcp.fs.read_text_file", args);
            for (int i = 0; i < 20 && read.error(); i++) {
                assertThat(read.content()).contains("MCP server 'fs'");
                read = call(servers, "mcp.fs.read_text_file", args);
            }
            assertThat(read.error()).as(read.content()).isFalse();
            assertThat(read.content()).contains("still here");
            assertThat(servers.restarts("fs")).isEqualTo(1);
            assertThat(servers.process("fs").orElseThrow().pid()).isNotEqualTo(first.pid());
        }
        // Closed with the fleet: no process left behind.
    }

    @Test
    void close_stops_the_server_processes() throws Exception {
        Path allowed = Files.createDirectories(dir.resolve("allowed"));
        ProcessHandle process;
        try (McpServers servers = McpServers.start(List.of(TestServers.filesystem("fs", allowed, Effect.IRREVERSIBLE)), FAST)) {
            process = servers.process("fs").orElseThrow();
            assertThat(process.isAlive()).isTrue();
        }
        process.onExit().get();
        assertThat(process.isAlive()).isFalse();
    }

    @Test
    void a_server_that_does_not_start_fails_with_its_name_and_output() {
        McpServerSpec broken = new McpServerSpec("broken", new McpServerSpec.Transport.Stdio(
                List.of(TestServers.node(), dir.resolve("missing.js").toString()), Map.of(), null),
                Effect.IRREVERSIBLE, Map.of(), Duration.ofSeconds(5));
        assertThatThrownBy(() -> McpServers.start(List.of(broken), FAST))
                .isInstanceOf(McpException.class)
                .hasMessageContaining("MCP server 'broken' did not start");
    }

    @Test
    void names_the_tools_a_server_does_not_offer() {
        Path graph = dir.resolve("memory.jsonl");
        try (McpServers servers = McpServers.start(List.of(TestServers.memory("memory", graph)), FAST)) {
            assertThat(servers.missing(List.of("fs.read", "mcp.memory.read_graph", "mcp.memory.forget_all")))
                    .singleElement().asString()
                    .contains("mcp.memory.forget_all", "offers no such tool", "create_entities", "read_graph");
        }
    }
}
