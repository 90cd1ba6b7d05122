package io.myriad.store;

import io.myriad.store.Store.TailRow;
import io.myriad.store.Store.TenantState;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The journal's live tail on PostgreSQL: events after a position, in position order, with their
 * run's tenant, fleet, execution and agent ({@link TailSql}'s statements on the {@code pos} column).
 *
 * <p>Notes. The tail's cursor must never be passed by an event that commits later: a reader that
 * has seen position {@code n} must already see every event below {@code n}. On SQLite the one
 * writer's rowids give that. On PostgreSQL several nodes' writers commit at once, and a plain
 * sequence does not: a transaction may take a lower number and commit after a reader went past
 * it. So every events insert takes its {@code pos} from the sequence {@code event_positions}
 * ({@link PgSchema}, a column default) only under a transaction-scoped advisory lock on a key of
 * the schema, taken by each writer's transaction before its first insert ({@link #lockPositions})
 * and released with its commit or rollback. Positions are therefore handed out in commit order:
 * the transaction holding the lock takes numbers above every committed one, and PostgreSQL
 * releases the lock after the commit is visible, so the next holder commits later with higher
 * numbers. A rolled-back batch leaves a gap, never a late row. The price: writers of different
 * nodes commit one after the other (each still group-commits its batch); reads take no lock.
 * Within a transaction each run's events get increasing positions in seq order ({@link PgAppendSql}
 * inserts a round's events before the next round's).
 */
final class PgTail {
    static final String AFTER = TailSql.after("pos");
    static final String HEAD = TailSql.head("pos");

    /** The lock that orders positions; transaction-scoped, per schema (a store is one schema). */
    private static final String LOCK = "SELECT pg_advisory_xact_lock(hashtext('myriad.tail:' || current_schema()))";

    private final PgQueries queries;

    PgTail(PgQueries queries) {
        this.queries = Objects.requireNonNull(queries, "queries");
    }

    /** Takes the positions lock in the connection's open transaction, before it inserts events. */
    static void lockPositions(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(LOCK);
        }
    }

    List<TailRow> eventsAfter(long position, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, got " + limit);
        }
        return queries.query(AFTER, ps -> {
            ps.setLong(1, position);
            ps.setInt(2, limit);
        }, TailSql::rows);
    }

    long eventsHead() {
        return queries.query(HEAD, ps -> { }, rs -> {
            rs.next();
            return rs.getLong(1);
        });
    }

    Map<TenantState, Long> runsByState() {
        return queries.query(TailSql.BY_STATE, ps -> { }, TailSql::byState);
    }
}
