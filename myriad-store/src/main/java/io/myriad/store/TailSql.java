package io.myriad.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SQL of the journal's tail (metrics and traces): events in insertion order after a rowid,
 * each with its run's tenant, fleet, execution and agent, and the summary rows counted by tenant
 * and state.
 *
 * <p>The events table has a rowid (its primary key is {@code (run_id, seq)}), and the one writer
 * inserts in commit order, so a reader that has seen rowid {@code n} has seen every event below
 * it. The read is a range scan of the table's own b-tree plus two primary-key lookups per event
 * (runs by run id, executions by id): no index is needed.
 */
final class TailSql {
    private TailSql() {}

    static final String AFTER = after("rowid");

    static final String HEAD = head("rowid");

    /**
     * The read of events after a position, in position order, for a store whose events table
     * keeps the tail's position in {@code position} (SQLite: {@code rowid}; PostgreSQL: {@code pos}).
     */
    static String after(String position) {
        return "SELECT e." + position + ", e.run_id, e.seq, e.type, e.at, e.body, coalesce(x.tenant, 'default'),"
                + " coalesce(r.fleet, ''), coalesce(r.execution, ''), coalesce(r.agent, '')"
                + " FROM events e LEFT JOIN runs r ON r.run_id = e.run_id LEFT JOIN executions x ON x.id = r.execution"
                + " WHERE e." + position + " > ? ORDER BY e." + position + " LIMIT ?";
    }

    /** The position of the last event; 0 when there is none. */
    static String head(String position) {
        return "SELECT coalesce(max(" + position + "), 0) FROM events";
    }

    /**
     * A scan of the summary rows (one per run; the caller caches the answer), counted by execution
     * and state first, so the tenant is looked up once per execution and state, not once per run.
     */
    static final String BY_STATE = "SELECT coalesce(x.tenant, 'default'), c.state, sum(c.n) FROM"
            + " (SELECT execution, state, count(*) AS n FROM runs GROUP BY execution, state) c"
            + " LEFT JOIN executions x ON x.id = c.execution GROUP BY 1, 2";

    static List<SqliteStore.TailRow> rows(ResultSet rs) throws SQLException {
        List<SqliteStore.TailRow> out = new ArrayList<>();
        while (rs.next()) {
            out.add(new SqliteStore.TailRow(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4),
                    rs.getLong(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
                    rs.getString(10)));
        }
        return out;
    }

    static Map<SqliteStore.TenantState, Long> byState(ResultSet rs) throws SQLException {
        Map<SqliteStore.TenantState, Long> out = new LinkedHashMap<>();
        while (rs.next()) {
            out.put(new SqliteStore.TenantState(rs.getString(1),
                    io.myriad.core.run.RunState.valueOf(rs.getString(2))), rs.getLong(3));
        }
        return out;
    }
}
