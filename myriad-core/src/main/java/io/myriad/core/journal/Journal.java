package io.myriad.core.journal;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The append-only event log of every run: the source of truth.
 *
 * <p>Appends are fenced: each names the sequence number it expects to write first (the number
 * of events the writer believes the run has). If the run has moved on, the append fails with
 * {@link JournalFenceException} and writes nothing. An append is all-or-nothing and durable
 * when its future completes. Implementations may group appends from many runs into one
 * transaction, and must apply back-pressure (block the caller) rather than drop events.
 */
public interface Journal extends AutoCloseable {

    /** One append: events for one run, starting at {@code expectedSeq}, and the run's new summary. */
    record Append(String runId, long expectedSeq, List<RunEvent> events, RunStatus status) {
        public Append {
            Objects.requireNonNull(runId, "runId");
            events = List.copyOf(events);
            Objects.requireNonNull(status, "status");
            if (events.isEmpty()) {
                throw new IllegalArgumentException("an append needs at least one event");
            }
            if (expectedSeq < 0) {
                throw new IllegalArgumentException("expectedSeq must not be negative");
            }
        }
    }

    /**
     * Appends atomically. The future completes when the events are durable, or exceptionally
     * with {@link JournalFenceException} when {@code expectedSeq} is stale. Blocks the caller
     * while the writer's queue is full.
     */
    CompletableFuture<Void> append(Append append);

    /** Every event of the run, in order; empty when the run does not exist. */
    List<JournalRecord> read(String runId);

    @Override
    void close();
}
