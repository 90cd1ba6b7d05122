package io.myriad.core.model;

import java.util.Objects;

/**
 * A model's answer to one request.
 *
 * @param message      what the model said
 * @param usage        tokens consumed, as reported by the provider
 * @param finishReason the provider's finish reason ("stop", "tool_calls", "length", ...)
 * @param model        the model that actually answered
 * @param rateLimits   what the provider said about its rate limits, for admission control
 */
public record ModelResponse(Message.Assistant message, Usage usage, String finishReason, String model, RateLimits rateLimits) {
    public ModelResponse {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(usage, "usage");
        finishReason = finishReason == null ? "" : finishReason;
        model = model == null ? "" : model;
        rateLimits = rateLimits == null ? RateLimits.UNKNOWN : rateLimits;
    }

    /** A response from a provider that says nothing about rate limits. */
    public ModelResponse(Message.Assistant message, Usage usage, String finishReason, String model) {
        this(message, usage, finishReason, model, RateLimits.UNKNOWN);
    }
}
