package io.myriad.core.journal;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
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

    /**
     * The node that claimed a run and the run's owner epoch at that claim: the second fence of a
     * cluster (see {@code io.myriad.core.cluster.Ownership}). An append that carries one fails
     * with {@link JournalFenceException} once the run's owner is no longer exactly this node and
     * epoch, which is what a zombie node sees after the others took its runs over.
     */
    record Owner(String node, long epoch) {
        public Owner {
            Objects.requireNonNull(node, "node");
            if (node.isBlank()) {
                throw new IllegalArgumentException("an owner needs a node id");
            }
            if (epoch < 1) {
                throw new IllegalArgumentException("an owner epoch starts at 1, got " + epoch);
            }
        }
    }

    /**
     * One append: events for one run, starting at {@code expectedSeq}, and the run's new summary.
     * An append with an {@link Owner} is fenced by owner epoch as well as by sequence number on a
     * store that keeps run ownership (PostgreSQL); a store of one node (SQLite) has no owners and
     * fences it by sequence number only. An append without an owner is fenced by sequence only.
     */
    record Append(String runId, long expectedSeq, List<RunEvent> events, RunStatus status, Optional<Owner> owner) {
        public Append {
            Objects.requireNonNull(runId, "runId");
            events = List.copyOf(events);
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(owner, "owner");
            if (events.isEmpty()) {
                throw new IllegalArgumentException("an append needs at least one event");
            }
            if (expectedSeq < 0) {
                throw new IllegalArgumentException("expectedSeq must not be negative");
            }
        }

        /** An append fenced by sequence number only. */
        public Append(String runId, long expectedSeq, List<RunEvent> events, RunStatus status) {
            this(runId, expectedSeq, events, status, Optional.empty());
        }

        /** This append, made by {@code owner}: fenced by its owner epoch as well. */
        public Append ownedBy(Owner owner) {
            return new Append(runId, expectedSeq, events, status, Optional.of(owner));
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
