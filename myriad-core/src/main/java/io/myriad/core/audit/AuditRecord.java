package io.myriad.core.audit;

import java.util.Objects;

/**
 * An entry as stored: its place in the log, the hash of the record before it, and its own hash
 * ({@link AuditChain#hash}). Hashes are 64 lower-case hex digits.
 */
public record AuditRecord(long seq, AuditEntry entry, String prev, String hash) {
    public AuditRecord {
        Objects.requireNonNull(entry, "entry");
        Objects.requireNonNull(prev, "prev");
        Objects.requireNonNull(hash, "hash");
        if (seq < 1) {
            throw new IllegalArgumentException("audit seq starts at 1, got " + seq);
        }
    }
}
