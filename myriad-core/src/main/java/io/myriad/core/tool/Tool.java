package io.myriad.core.tool;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;

/**
 * Something an agent can do. Implementations are thread-safe: many runs invoke the same tool at
 * once, each with its own {@link ToolContext}.
 */
public interface Tool {

    /** The name, description and argument schema offered to the model. */
    ToolDefinition definition();

    /** What invoking this tool does to the world; decides recovery of in-doubt calls. */
    Effect effect();

    /**
     * Does the work. Arguments have already been validated against {@link #definition()}'s
     * schema. A failure the model should read is a {@link ToolException} or an error result.
     */
    ToolResult invoke(JsonNode arguments, ToolContext context);

    default String name() {
        return definition().name();
    }
}
