package io.myriad.store;

import java.util.Objects;

/**
 * Whether the journal writer is committing, or stalled on a fault of its environment (disk full,
 * database locked by another process, I/O error, read-only or vanished file).
 *
 * <p>While stalled, the writer keeps every append it holds, acknowledges none of them, and
 * retries; producers wait, and new work stops as the writer's queue fills. Nothing acknowledged
 * is lost, and the writer resumes by itself when the fault clears.
 *
 * @param ok      false while the writer is stalled
 * @param problem what is wrong, what happens meanwhile and what clears it; empty when ok
 * @param since   when the current state began, in milliseconds since the epoch
 * @param retries attempts that have failed since the problem began; 0 when ok
 */
public record JournalHealth(boolean ok, String problem, long since, long retries) {
    public JournalHealth {
        Objects.requireNonNull(problem, "problem");
        if (ok != problem.isEmpty()) {
            throw new IllegalArgumentException("a healthy journal has no problem, a stalled one names it");
        }
        if (retries < 0 || (ok && retries != 0)) {
            throw new IllegalArgumentException("retries must be 0 when ok and never negative, got " + retries);
        }
    }

    /** A journal committing normally since {@code since}. */
    public static JournalHealth healthy(long since) {
        return new JournalHealth(true, "", since, 0);
    }
}
