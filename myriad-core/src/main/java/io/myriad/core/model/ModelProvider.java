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

    /** A short label for humans, such as {@code sim} or {@code openai:gpt-4.1-mini}. */
    String describe();

    /** True when the answers come from Myriad's simulated model, not a real one. */
    boolean simulated();

    @Override
    default void close() {}
}
