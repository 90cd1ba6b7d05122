package io.myriad.bench.macro;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolResult;

/**
 * The benchmark's tool, {@code bench.echo}: read-only and trivial, so that the figures measure
 * Myriad (journal, gateway, scheduling), not the tool.
 */
final class EchoTool implements Tool {
    static final String NAME = "bench.echo";
    private static final ToolDefinition DEFINITION = ToolDefinition.of(NAME, "Echoes its text (benchmark tool).",
            "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},\"required\":[\"text\"],"
                    + "\"additionalProperties\":false}");

    @Override
    public ToolDefinition definition() {
        return DEFINITION;
    }

    @Override
    public Effect effect() {
        return Effect.READ_ONLY;
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        return ToolResult.ok(arguments.path("text").asText());
    }
}
