package io.myriad.core.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolResult;
import java.util.List;

/**
 * The {@code handoff} tool: the agent hands the run's conversation to another agent of the
 * fleet, which drives the run from the next step on with its own instructions, tools, policy and
 * limits. {@link RunLoop} journals it ({@code handed_off}); {@link #invoke} is never called.
 * Arguments: {@code {"agent": A, "note": "why, and what is left to do"}}.
 */
public final class HandoffTool implements Tool {
    /** The tool's name, as agents list it. */
    public static final String NAME = "handoff";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> agents;
    private final ToolDefinition definition;

    /** A handoff tool that may hand the conversation to {@code agents}. */
    public HandoffTool(List<String> agents) {
        this.agents = List.copyOf(agents);
        if (this.agents.isEmpty()) {
            throw new IllegalArgumentException("a handoff tool needs at least one agent to hand off to");
        }
        ObjectNode schema = JSON.createObjectNode().put("type", "object");
        ObjectNode props = schema.putObject("properties");
        props.<ObjectNode>set("agent", JSON.createObjectNode().put("type", "string").set("enum", JSON.valueToTree(this.agents)));
        props.putObject("note").put("type", "string").put("description", "for the receiving agent: why, and what is left to do");
        schema.putArray("required").add("agent");
        this.definition = new ToolDefinition(NAME, "Hand this conversation to another agent (" + String.join(", ", this.agents)
                + "), which continues it with its own instructions and tools. Make this your last call of the turn.", schema);
    }

    /** The agents this tool may hand the conversation to. */
    public List<String> agents() {
        return agents;
    }

    @Override
    public ToolDefinition definition() {
        return definition;
    }

    @Override
    public Effect effect() {
        return Effect.IDEMPOTENT;
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        throw new UnsupportedOperationException("handoff is carried out by the engine, not invoked");
    }
}
