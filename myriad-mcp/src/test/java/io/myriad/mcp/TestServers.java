package io.myriad.mcp;

import static org.assertj.core.api.Assertions.fail;

import io.myriad.core.fleet.McpServerSpec;
import io.myriad.core.tool.Effect;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Finds Node and the MCP reference servers that {@code test.sh} installs in {@code .ci/npm}.
 * A test that needs them fails (never skips) when they are missing, saying how to get them.
 */
final class TestServers {
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private TestServers() {}

    /** {@code node}, checked to run. */
    static String node() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            String version = new String(p.getInputStream().readAllBytes()).strip();
            if (p.waitFor() == 0) {
                return "node";
            }
            return fail("node --version failed: " + version);
        } catch (IOException e) {
            return fail("Node.js is needed by the MCP tests and was not found on the PATH (" + e.getMessage()
                    + "); install Node 20 or newer");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }

    /** The entry script of a reference server package, e.g. {@code server-memory}. */
    static Path reference(String pkg) {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path modules = d.resolve(".ci/npm/node_modules/@modelcontextprotocol");
            if (Files.isDirectory(d.resolve(".ci/npm"))) {
                Path script = modules.resolve(pkg).resolve("dist/index.js");
                if (!Files.isRegularFile(script)) {
                    fail("the MCP reference server @modelcontextprotocol/" + pkg + " is not installed in "
                            + d.resolve(".ci/npm") + "; run ./test.sh (or npm ci in .ci/npm) to install it");
                }
                return script;
            }
        }
        return fail("no .ci/npm folder above " + dir + "; run the tests from the repository");
    }

    /** The filesystem server, allowed to use {@code allowed} only. */
    static McpServerSpec filesystem(String name, Path allowed, Effect effect) {
        return new McpServerSpec(name, new McpServerSpec.Transport.Stdio(
                List.of(node(), reference("server-filesystem").toString(), allowed.toString()), Map.of(), null),
                effect, Map.of("read_text_file", Effect.READ_ONLY), TIMEOUT);
    }

    /** The memory (knowledge graph) server, keeping its graph in {@code file}. */
    static McpServerSpec memory(String name, Path file) {
        return new McpServerSpec(name, new McpServerSpec.Transport.Stdio(
                List.of(node(), reference("server-memory").toString()), Map.of("MEMORY_FILE_PATH", file.toString()), null),
                Effect.IRREVERSIBLE, Map.of("read_graph", Effect.READ_ONLY), TIMEOUT);
    }

    /** The test server that exits after answering {@code calls} tool calls. */
    static McpServerSpec crashing(String name, int calls) {
        Path script;
        try {
            script = Path.of(TestServers.class.getResource("/crashing-server.js").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return new McpServerSpec(name, new McpServerSpec.Transport.Stdio(
                List.of(node(), script.toString(), Integer.toString(calls)), Map.of(), script.getParent()),
                Effect.IDEMPOTENT, Map.of(), TIMEOUT);
    }
}
