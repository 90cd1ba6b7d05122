package io.myriad.core.tool;

/**
 * What invoking a tool does to the world, which decides what recovery may do with a call whose
 * outcome is unknown (journaled as started, not as completed, when the process died).
 */
public enum Effect {
    /** Changes nothing; safe to invoke again. */
    READ_ONLY,
    /** Invoking again with the same idempotency key has the same effect as invoking once. */
    IDEMPOTENT,
    /** Has an undo. Not re-invoked blindly. */
    COMPENSABLE,
    /** Cannot be undone or repeated safely. Never re-invoked blindly. */
    IRREVERSIBLE;

    /** True when recovery may invoke an in-doubt call again with the same idempotency key. */
    public boolean safeToRetry() {
        return this == READ_ONLY || this == IDEMPOTENT;
    }
}
