package io.myriad.core.model;

/**
 * A source of chat completions. Implementations are thread-safe and block the calling
 * (virtual) thread for the duration of the call.
 */
public interface ModelProvider extends AutoCloseable {

    /**
     * Asks the model for the next message.
     *
     * @throws ModelException when no usable response was obtained; {@link ModelException#kind()}
     *     says why
     */
    ModelResponse complete(ModelRequest request);

    /**
     * Asks the model without holding the caller's thread. The future fails with
     * {@link ModelException} as {@link #complete} would throw it. The default runs
     * {@link #complete} on {@code executor}; providers that can wait without a thread (a timer,
     * an asynchronous HTTP client) override it, so a million waiting calls cost no threads.
     */
    default java.util.concurrent.CompletableFuture<ModelResponse> completeAsync(
            ModelRequest request, java.util.concurrent.Executor executor) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> complete(request), executor);
    }

    /** A short label for humans, such as {@code sim} or {@code openai:gpt-4.1-mini}. */
    String describe();

    /** True when the answers come from Myriad's simulated model, not a real one. */
    boolean simulated();

    @Override
    default void close() {}
}
