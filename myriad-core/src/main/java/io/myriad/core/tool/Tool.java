package io.myriad.core.tool;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;
import java.time.Duration;

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

    /**
     * Looks up what became of an earlier call that was started with {@code context}'s
     * idempotency key but whose outcome was never journaled (the process died while it ran).
     * Asked only for tools that may not be invoked again blindly (compensable, irreversible).
     * A tool that records its effects under the key (a payment id, a row, a ledger line)
     * answers {@link Reconciliation.Done} or {@link Reconciliation.NotDone}; the default cannot
     * tell, and the run waits for a person.
     */
    default Reconciliation reconcile(JsonNode arguments, ToolContext context) {
        return new Reconciliation.Unknown("tool " + name() + " cannot look up past calls");
    }

    default String name() {
        return definition().name();
    }

    /** How long one call may run before the run loop stops waiting for it: 60 seconds unless the tool says otherwise. */
    default Duration timeout() {
        return DEFAULT_TIMEOUT;
    }

    /** The most characters of one result the model is shown; the rest is cut with a visible marker. */
    default int maxOutputChars() {
        return DEFAULT_MAX_OUTPUT_CHARS;
    }

    /**
     * Whether calls of this tool may run at the same time as other calls of the same response
     * that also say so. False unless the tool says otherwise; a read-only tool usually may.
     */
    default boolean parallel() {
        return false;
    }

    /** The timeout of a tool that does not choose its own. */
    Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    /** The output cap of a tool that does not choose its own: 64 KiB of characters. */
    int DEFAULT_MAX_OUTPUT_CHARS = 64 * 1024;
}
