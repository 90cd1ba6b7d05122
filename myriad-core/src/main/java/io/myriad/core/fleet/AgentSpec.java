package io.myriad.core.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A template for runs: instructions, model, tools and limits.
 *
 * @param name            unique in its fleet
 * @param instructions    the system message
 * @param model           the model this agent uses
 * @param tools           names of the tools it may call
 * @param limits          per-run ceilings
 * @param outputSchema    JSON schema the final answer must satisfy, or null for free text
 * @param maxOutputTokens ceiling on each completion, 0 for the provider default
 * @param temperature     sampling temperature, or null for the provider default
 * @param fallback        the model asked when {@code model} has failed every attempt of a call, or null
 * @param delegates       the agents this one may start as child runs ({@code delegate} tool)
 * @param handoffs        the agents this one may hand its conversation to ({@code handoff} tool)
 */
public record AgentSpec(
        String name,
        String instructions,
        ModelSpec model,
        List<String> tools,
        Limits limits,
        JsonNode outputSchema,
        long maxOutputTokens,
        Double temperature,
        ModelSpec fallback,
        List<String> delegates,
        List<String> handoffs) {

    public AgentSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(instructions, "instructions");
        Objects.requireNonNull(model, "model");
        tools = List.copyOf(tools);
        Objects.requireNonNull(limits, "limits");
        outputSchema = outputSchema == null ? null : outputSchema.deepCopy();
        delegates = delegates == null ? List.of() : List.copyOf(delegates);
        handoffs = handoffs == null ? List.of() : List.copyOf(handoffs);
    }

    /** An agent that neither delegates nor hands off. */
    public AgentSpec(String name, String instructions, ModelSpec model, List<String> tools, Limits limits,
            JsonNode outputSchema, long maxOutputTokens, Double temperature, ModelSpec fallback) {
        this(name, instructions, model, tools, limits, outputSchema, maxOutputTokens, temperature, fallback, List.of(), List.of());
    }

    /** An agent without a fallback model. */
    public AgentSpec(String name, String instructions, ModelSpec model, List<String> tools, Limits limits,
            JsonNode outputSchema, long maxOutputTokens, Double temperature) {
        this(name, instructions, model, tools, limits, outputSchema, maxOutputTokens, temperature, null);
    }

    /** This agent with another list of tool names. */
    public AgentSpec withTools(List<String> names) {
        return new AgentSpec(name, instructions, model, names, limits, outputSchema, maxOutputTokens, temperature, fallback,
                delegates, handoffs);
    }

    public Optional<ModelSpec> fallbackIfAny() {
        return Optional.ofNullable(fallback);
    }

    public Optional<JsonNode> outputSchemaIfAny() {
        return Optional.ofNullable(outputSchema);
    }
}
