package io.myriad.core.audit;

import java.util.Objects;
import java.util.Optional;

/**
 * What verifying the audit log found: how many records were checked, the hash of the last
 * record that checked out (the genesis hash for an empty log), and the first place the chain
 * breaks, if any.
 *
 * <p>Records cut from the end leave a shorter chain that is still intact: only a head hash
 * noted elsewhere (this {@code head}, printed by {@code myriad audit verify}) shows that.
 */
public record AuditVerification(long records, String head, Optional<Break> firstBreak) {
    public AuditVerification {
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(firstBreak, "firstBreak");
    }

    public boolean intact() {
        return firstBreak.isEmpty();
    }

    /** What is wrong at a place in the chain. */
    public enum Kind {
        /** The record's hash does not match its own content: a field was changed. */
        EDITED,
        /** A sequence number is missing: a record was deleted. */
        REMOVED,
        /** The record does not point at the one before it: a record was inserted, or records were moved. */
        INSERTED_OR_REORDERED
    }

    /** The first break: the sequence number where it shows, its kind, and a sentence for people. */
    public record Break(long seq, Kind kind, String message) {
        public Break {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(message, "message");
        }
    }
}
