package io.myriad.core.journal;

import io.myriad.core.MyriadException;

/**
 * An append named a sequence number that is no longer the run's next one: another writer (a
 * zombie thread, a paused node, a second process) appended first. The stale writer must stop
 * working on the run; retrying the same append can never succeed. On a cluster the append may
 * also have come from a node that no longer owns the run (its owner epoch is stale).
 */
public final class JournalFenceException extends MyriadException {
    public JournalFenceException(String runId, long expectedSeq) {
        super("journal append to run " + runId + " at seq " + expectedSeq
                + " was fenced: another writer appended first; this writer must stop working on the run", false);
    }

    /** A fenced append that carried an owner: either the seq was taken, or the run changed owner. */
    public JournalFenceException(String runId, long expectedSeq, Journal.Owner owner) {
        super("journal append to run " + runId + " at seq " + expectedSeq + " was fenced: another writer appended first,"
                + " or node " + owner.node() + " no longer owns the run at owner epoch " + owner.epoch()
                + " (another node took it over after this node's lease lapsed); this writer must stop working on the run", false);
    }
}
