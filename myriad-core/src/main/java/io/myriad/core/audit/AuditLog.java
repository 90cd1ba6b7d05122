package io.myriad.core.audit;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The hash-chained, append-only record of every control action and every agent action.
 *
 * <p>Each record holds the hash of the one before it ({@link AuditChain}), so editing, removing,
 * inserting or reordering a record anywhere breaks the chain at that place, which
 * {@link #verifyAudit()} reports. The log assigns sequence numbers and hashes; callers give
 * only the entries. An adapter may also derive entries from journal appends, in the same
 * transaction, so the audit never disagrees with the journal.
 */
public interface AuditLog {

    /** Appends the entries in order, atomically; the future completes when they are durable. */
    CompletableFuture<Void> appendAudit(List<AuditEntry> entries);

    /** Streams the whole log in order, recomputing the chain; stops at the first break. */
    AuditVerification verifyAudit();

    /** Every record with a sequence number above {@code afterSeq}, in order, as stored (unverified). */
    void forEachAudit(long afterSeq, Consumer<AuditRecord> sink);

    /** The last {@code limit} records, newest first. */
    List<AuditRecord> latestAudit(int limit);
}
