package io.myriad.store;

import io.myriad.core.audit.AuditChain;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.audit.AuditRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * The audit log's inserts on the writer's connection. The chain's tail (last seq and hash) is
 * read from the table the first time a transaction appends, and forgotten when the transaction
 * or a savepoint rolls back: like the journal's fence, it is never carried across a rollback.
 * Used by the journal writer's thread only.
 */
final class AuditSql implements AutoCloseable {
    private final AuditChain chain = AuditChain.create();
    private final PreparedStatement tail;
    private final PreparedStatement insert;
    private boolean known;
    private long lastSeq;
    private String lastHash;
    private int batched;

    AuditSql(Connection c) throws SQLException {
        tail = c.prepareStatement("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
        insert = c.prepareStatement(
                "INSERT INTO audit(seq, at, tenant, actor, action, subject, details, prev, hash) VALUES (?,?,?,?,?,?,?,?,?)");
    }

    /** Forgets the tail: the next append reads it from the table (after BEGIN, after ROLLBACK TO). */
    void forget() {
        known = false;
        batched = 0;
    }

    /** Chains and batches the entries; {@link #flush()} inserts them. */
    void append(List<AuditEntry> entries) throws SQLException {
        if (entries.isEmpty()) {
            return;
        }
        if (!known) {
            flush();
            try (ResultSet rs = tail.executeQuery()) {
                if (rs.next()) {
                    lastSeq = rs.getLong(1);
                    lastHash = rs.getString(2);
                } else {
                    lastSeq = 0;
                    lastHash = AuditChain.GENESIS;
                }
            }
            known = true;
        }
        for (AuditEntry e : entries) {
            AuditRecord r = chain.next(lastSeq, lastHash, e);
            bind(insert, r);
            insert.addBatch();
            batched++;
            lastSeq = r.seq();
            lastHash = r.hash();
        }
    }

    void flush() throws SQLException {
        if (batched > 0) {
            batched = 0;
            insert.executeBatch();
        }
    }

    static void bind(PreparedStatement ps, AuditRecord r) throws SQLException {
        AuditEntry e = r.entry();
        ps.setLong(1, r.seq());
        ps.setLong(2, e.at());
        ps.setString(3, e.tenant());
        ps.setString(4, e.actor());
        ps.setString(5, e.action());
        ps.setString(6, e.subject());
        ps.setString(7, e.details());
        ps.setString(8, r.prev());
        ps.setString(9, r.hash());
    }

    @Override
    public void close() {
        for (PreparedStatement ps : List.of(tail, insert)) {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // the connection is being replaced or closed
            }
        }
    }
}
