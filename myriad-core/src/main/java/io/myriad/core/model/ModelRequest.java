package io.myriad.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One chat completion request, independent of any provider's wire format.
 *
 * @param model          the provider's model name
 * @param messages       the conversation so far
 * @param tools          the tools offered; empty for none
 * @param toolChoice     whether and which tool the model must call
 * @param outputSchema   a JSON schema the final answer must follow, or null for free text
 * @param maxOutputTokens a ceiling on completion tokens, or 0 for the provider's default
 * @param temperature    sampling temperature, or null for the provider's default
 * @param runId          the run this call belongs to (sent as a header for tracing; may be empty)
 * @param step           the step number inside the run (sent as a header for tracing)
 */
public record ModelRequest(
        String model,
        List<Message> messages,
        List<ToolDefinition> tools,
        ToolChoice toolChoice,
        JsonNode outputSchema,
        long maxOutputTokens,
        Double temperature,
        String runId,
        int step) {

    public ModelRequest {
        Objects.requireNonNull(model, "model");
        messages = List.copyOf(messages);
        tools = List.copyOf(tools);
        Objects.requireNonNull(toolChoice, "toolChoice");
        runId = runId == null ? "" : runId;
    }

    public Optional<JsonNode> outputSchemaIfAny() {
        return Optional.ofNullable(outputSchema);
    }

    /** Whether and which tool the model must call. */
    public sealed interface ToolChoice {
        ToolChoice AUTO = new Auto();
        ToolChoice NONE = new None();
        ToolChoice REQUIRED = new Required();

        record Auto() implements ToolChoice {}

        record None() implements ToolChoice {}

        record Required() implements ToolChoice {}

        record Named(String name) implements ToolChoice {
            public Named {
                Objects.requireNonNull(name, "name");
            }
        }
    }
}
