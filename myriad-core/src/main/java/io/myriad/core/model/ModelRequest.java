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
 * @param attempt        1 for the first request of this step, 2 for its first retry, and so on
 *                       (sent as a header; retry budgets and the simulator's faults read it)
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
        int step,
        int attempt) {

    public ModelRequest {
        Objects.requireNonNull(model, "model");
        messages = List.copyOf(messages);
        tools = List.copyOf(tools);
        Objects.requireNonNull(toolChoice, "toolChoice");
        runId = runId == null ? "" : runId;
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be at least 1");
        }
    }

    /** A first attempt. */
    public ModelRequest(
            String model, List<Message> messages, List<ToolDefinition> tools, ToolChoice toolChoice,
            JsonNode outputSchema, long maxOutputTokens, Double temperature, String runId, int step) {
        this(model, messages, tools, toolChoice, outputSchema, maxOutputTokens, temperature, runId, step, 1);
    }

    /** The same request as a later attempt. */
    public ModelRequest withAttempt(int attempt) {
        return new ModelRequest(model, messages, tools, toolChoice, outputSchema, maxOutputTokens, temperature, runId, step, attempt);
    }

    /** True for a retry of an earlier failed request. */
    public boolean isRetry() {
        return attempt > 1;
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
