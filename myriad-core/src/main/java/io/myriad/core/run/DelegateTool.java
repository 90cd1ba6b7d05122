package io.myriad.core.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.fleet.DelegationSpec;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The {@code delegate} tool: a run starts child runs of other agents of its fleet and waits for
 * all of them, durably ({@link io.myriad.core.run.RunState#AWAITING_CHILDREN}). The engine, not
 * {@link #invoke}, carries it out: {@link RunLoop} journals the intent, {@link FleetRunner}
 * creates and drives the children and brings their results back as the call's result.
 *
 * <p>Arguments: {@code {"tasks": [{"agent": A, "input": I}, ...]}}, or for many children of one
 * agent {@code {"agent": A, "inputs": [I, ...]}}. An input that is not a string is given to the
 * child as JSON text.
 */
public final class DelegateTool implements Tool {
    /** The tool's name, as agents list it. */
    public static final String NAME = "delegate";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One child to start: which agent, with what input. */
    public record Child(String agent, String input) {
        public Child {
            Objects.requireNonNull(agent, "agent");
            Objects.requireNonNull(input, "input");
        }
    }

    private final DelegationSpec settings;
    private final List<String> agents;
    private final ToolDefinition definition;

    /** A delegate tool that may start children of {@code agents}, within {@code settings}. */
    public DelegateTool(DelegationSpec settings, List<String> agents) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.agents = List.copyOf(agents);
        if (this.agents.isEmpty()) {
            throw new IllegalArgumentException("a delegate tool needs at least one agent to delegate to");
        }
        ObjectNode schema = JSON.createObjectNode().put("type", "object");
        ObjectNode props = schema.putObject("properties");
        ArrayNode names = JSON.valueToTree(this.agents);
        ObjectNode tasks = props.putObject("tasks").put("type", "array").put("minItems", 1)
                .put("description", "one entry per child run");
        ObjectNode item = tasks.putObject("items").put("type", "object");
        item.putObject("properties").<ObjectNode>set("agent", JSON.createObjectNode().put("type", "string").set("enum", names.deepCopy()));
        ((ObjectNode) item.get("properties")).putObject("input").put("description", "the child's task: text, or any JSON");
        item.putArray("required").add("agent").add("input");
        props.<ObjectNode>set("agent", JSON.createObjectNode().put("type", "string")
                .put("description", "with inputs: the agent every child runs").set("enum", names.deepCopy()));
        props.putObject("inputs").put("type", "array").put("minItems", 1)
                .put("description", "with agent: one child per input");
        this.definition = new ToolDefinition(NAME, "Start child runs of other agents (" + String.join(", ", this.agents)
                + ") and wait until every one has finished; returns each child's state and answer (failures included)."
                + " Give either tasks: [{agent, input}] or agent with inputs: [...]. At most " + settings.maxChildren()
                + " children per run.", schema);
    }

    public DelegationSpec settings() {
        return settings;
    }

    /** The agents this tool may start. */
    public List<String> agents() {
        return agents;
    }

    @Override
    public ToolDefinition definition() {
        return definition;
    }

    /** Idempotent: children have ids derived from the call, and none is ever started twice. */
    @Override
    public Effect effect() {
        return Effect.IDEMPOTENT;
    }

    /**
     * The children the arguments ask for, in order.
     *
     * @throws IllegalArgumentException with what is wrong, for the model to read
     */
    public List<Child> plan(JsonNode args) {
        List<Child> out = new ArrayList<>();
        boolean hasTasks = args.has("tasks");
        boolean hasInputs = args.has("inputs");
        if (hasTasks == hasInputs) {
            throw new IllegalArgumentException("give either tasks: [{agent, input}] or agent with inputs: [...], not "
                    + (hasTasks ? "both" : "neither"));
        }
        if (hasTasks) {
            for (JsonNode t : args.get("tasks")) {
                out.add(new Child(agent(t.path("agent")), input(t.get("input"))));
            }
        } else {
            String agent = agent(args.path("agent"));
            for (JsonNode i : args.get("inputs")) {
                out.add(new Child(agent, input(i)));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no children asked for");
        }
        return out;
    }

    private String agent(JsonNode node) {
        String name = node.asText("");
        if (!agents.contains(name)) {
            throw new IllegalArgumentException("agent '" + name + "' is not one this agent may delegate to; it may delegate to "
                    + String.join(", ", agents));
        }
        return name;
    }

    private static String input(JsonNode node) {
        if (node == null || node.isNull()) {
            throw new IllegalArgumentException("every child needs an input");
        }
        return node.isTextual() ? node.asText() : node.toString();
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        throw new UnsupportedOperationException("delegate is carried out by the engine, not invoked");
    }
}
