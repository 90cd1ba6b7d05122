package io.myriad.core.secret;

/**
 * Replaces secret values in text that is about to be journaled, logged or shown. Implementations
 * are thread-safe.
 */
@FunctionalInterface
public interface Redactor {

    /** Leaves text as it is. */
    Redactor NONE = text -> text;

    /** {@code text} with every secret value (and its common encodings) replaced by {@code [secret:NAME]}. */
    String redact(String text);
}
