package io.myriad.core.journal;

import io.myriad.core.run.RunState;
import java.util.Objects;

/**
 * The summary of a run stored beside its journal and updated in the same transaction as each
 * append, so listing runs never replays journals.
 */
public record RunStatus(
        RunState state, long steps, long modelCalls, long tokens, double costUsd, long updatedAt, String detail) {
    public RunStatus {
        Objects.requireNonNull(state, "state");
        detail = detail == null ? "" : detail;
    }

    /** A status without a count of model calls (tests and tools that do not track it). */
    public RunStatus(RunState state, long steps, long tokens, double costUsd, long updatedAt, String detail) {
        this(state, steps, 0, tokens, costUsd, updatedAt, detail);
    }
}
