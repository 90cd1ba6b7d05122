package io.myriad.core.tool;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;

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
}
