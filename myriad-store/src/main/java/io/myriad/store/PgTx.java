package io.myriad.store;

import io.myriad.core.MyriadException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Reads and transactions on pooled PostgreSQL connections, for the parts of the store that are
 * not the journal (keys, budgets, controls, deliveries, intake, messages).
 *
 * <p>Notes. A read runs on a connection in auto-commit and gives it back before the caller reads
 * anything else, so no caller ever holds two pooled connections at once (two such callers could
 * hold the whole pool and wait for each other). A write is one transaction, rolled back on any
 * failure. Whatever must be numbered in commit order takes an advisory lock for the rest of its
 * transaction ({@link #lock}): PostgreSQL releases it after the commit is visible, so the next
 * holder numbers after it and a reader polling {@code seq > cursor} never sees a later number
 * before an earlier one.
 */
final class PgTx {
    /** Work on a connection. */
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private final DataSource pool;

    PgTx(DataSource pool) {
        this.pool = Objects.requireNonNull(pool, "pool");
    }

    /** {@code work} on a connection of the pool in auto-commit. */
    <T> T read(Work<T> work) {
        try (Connection c = pool.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new MyriadException("journal query failed: " + e.getMessage(), PgJournalWriter.retriable(e), e);
        }
    }

    /** {@code work} in one transaction; a failure is reported as "cannot {@code what}". */
    <T> T write(String what, Work<T> work) {
        try {
            return inTransaction(work);
        } catch (SQLException e) {
            throw new MyriadException("cannot " + what + ": " + e.getMessage(), PgJournalWriter.retriable(e), e);
        }
    }

    /** {@code work} in one transaction, committed when it returns, rolled back when it throws. */
    <T> T inTransaction(Work<T> work) throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            } finally {
                try {
                    c.setAutoCommit(true);
                } catch (SQLException ignored) {
                    // the pool tests the connection before lending it again
                }
            }
        }
    }

    /** Takes the advisory lock named {@code key} until the end of the connection's transaction. */
    static void lock(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
            ps.setString(1, key);
            ps.execute();
        }
    }
}
