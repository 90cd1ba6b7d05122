package io.myriad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolProvider;
import io.myriad.core.tool.ToolResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A test plug-in tool, {@code test.count}: an IRREVERSIBLE tool that records every invocation
 * (its idempotency key) in a file outside the journal, named by the environment variable
 * {@code MYRIAD_TEST_COUNT_FILE}. Crash tests compare that file with the journal.
 */
public final class CountingToolProvider implements ToolProvider {
    @Override
    public List<Tool> tools() {
        return List.of(new Counting());
    }

    static final class Counting implements Tool {
        private static final ToolDefinition DEFINITION = ToolDefinition.of("test.count", "Counts one invocation (test tool).",
                "{\"type\":\"object\",\"properties\":{\"label\":{\"type\":\"string\"}},\"required\":[\"label\"],"
                        + "\"additionalProperties\":false}");

        @Override
        public ToolDefinition definition() {
            return DEFINITION;
        }

        @Override
        public Effect effect() {
            return Effect.IRREVERSIBLE;
        }

        @Override
        public ToolResult invoke(JsonNode arguments, ToolContext context) {
            String file = System.getenv("MYRIAD_TEST_COUNT_FILE");
            if (file == null) {
                throw new ToolException("MYRIAD_TEST_COUNT_FILE is not set");
            }
            try {
                synchronized (Counting.class) {
                    Files.writeString(Path.of(file), context.idempotencyKey() + "\n", StandardCharsets.UTF_8,
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.SYNC);
                }
            } catch (IOException e) {
                throw new ToolException("cannot count: " + e.getMessage(), e);
            }
            return ToolResult.ok("counted " + arguments.path("label").asText());
        }
    }
}
