package io.myriad.core.control;

import java.util.Objects;

/**
 * One operator action, as recorded: its sequence number (increasing; live processes read the
 * controls after the last one they saw), when, by whom ({@code Principal.actor()}), what, on
 * which scope, and an optional reason (empty when none was given).
 */
public record Control(long seq, long at, String actor, Action action, Scope scope, String reason) {
    public Control {
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(reason, "reason");
    }

    /** What a run cancelled by this control journals: {@code killed by local:alice: REASON}. */
    public String cancelReason() {
        return "killed by " + actor + (reason.isBlank() ? "" : ": " + reason);
    }
}
