package io.myriad.core.journal;

import io.myriad.core.MyriadException;

/**
 * An append named a sequence number that is no longer the run's next one: another writer (a
 * zombie thread, a paused node, a second process) appended first. The stale writer must stop
 * working on the run; retrying the same append can never succeed.
 */
public final class JournalFenceException extends MyriadException {
    public JournalFenceException(String runId, long expectedSeq) {
        super("journal append to run " + runId + " at seq " + expectedSeq
                + " was fenced: another writer appended first; this writer must stop working on the run", false);
    }
}
