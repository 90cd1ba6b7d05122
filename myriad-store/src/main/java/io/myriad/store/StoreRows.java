package io.myriad.store;

import io.myriad.core.audit.AuditEntry;
import io.myriad.core.audit.AuditRecord;
import io.myriad.core.journal.EventCodec;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository.Execution;
import io.myriad.core.journal.RunRepository.RunRow;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.RunState;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the SQLite and the PostgreSQL stores read and write the same way: the columns of a run
 * row and an execution, an audit record, and the parameters of an event and a run's status.
 * The dialects differ in their statements, not in these.
 */
final class StoreRows {
    /** A run row's columns, its execution's tenant last; select them {@link #RUNS}. */
    static final String RUN_COLS = "r.run_id, r.execution, r.fleet, r.task, r.agent, r.seq, r.state, r.steps, "
            + "r.model_calls, r.tokens, r.cost, r.updated_at, r.detail, coalesce(e.tenant, 'default')";
    static final String RUNS = " FROM runs r LEFT JOIN executions e ON e.id = r.execution ";
    /** An execution's runs in run id order (one parameter: the execution). */
    static final String RUNS_OF_EXECUTION = "SELECT " + RUN_COLS + RUNS + "WHERE r.execution=? ORDER BY r.run_id";
    /** The runs of an execution in a range of run ids (lower, upper bound excluded, execution). */
    static final String RUNS_IN_RANGE = "SELECT " + RUN_COLS + RUNS
            + "WHERE r.run_id>=? AND r.run_id<? AND r.execution=? ORDER BY r.run_id";
    /** The most recently updated runs (one parameter: the limit). */
    static final String RECENT_RUNS = "SELECT " + RUN_COLS + RUNS + "ORDER BY r.updated_at DESC, r.run_id LIMIT ?";

    /** The first string after every string that starts with {@code prefix} (not empty): a range's upper bound. */
    static String afterPrefix(String prefix) {
        return prefix.substring(0, prefix.length() - 1) + (char) (prefix.charAt(prefix.length() - 1) + 1);
    }

    private StoreRows() {}

    /** An execution from its 8 columns (id, tenant, fleet, digest, started, finished, tasks, source). */
    static Execution execution(ResultSet rs) throws SQLException {
        return new Execution(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                rs.getLong(6), rs.getInt(7), rs.getString(8));
    }

    /** A run row from {@link #RUN_COLS}. */
    static RunRow runRow(ResultSet rs) throws SQLException {
        var status = new RunStatus(RunState.valueOf(rs.getString(7)), rs.getLong(8), rs.getLong(9), rs.getLong(10),
                rs.getDouble(11), rs.getLong(12), rs.getString(13));
        return new RunRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getLong(6), status, rs.getString(14));
    }

    static List<RunRow> runRows(ResultSet rs) throws SQLException {
        List<RunRow> out = new ArrayList<>();
        while (rs.next()) {
            out.add(runRow(rs));
        }
        return out;
    }

    /** An audit record from its 9 columns (seq, at, tenant, actor, action, subject, details, prev, hash). */
    static AuditRecord auditRecord(ResultSet rs) throws SQLException {
        return new AuditRecord(rs.getLong(1), new AuditEntry(rs.getLong(2), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getString(6), rs.getString(7)), rs.getString(8), rs.getString(9));
    }

    /** The execution named in a run id ({@code <execution>:<task>}); the whole id when it has no colon. */
    static String executionOf(String runId) {
        int colon = runId.indexOf(':');
        return colon < 0 ? runId : runId.substring(0, colon);
    }

    /** Binds run_id, seq, type, at, body of one event from parameter 1. */
    static void bindEvent(PreparedStatement ps, String runId, long seq, RunEvent e, String body) throws SQLException {
        ps.setString(1, runId);
        ps.setLong(2, seq);
        ps.setString(3, EventCodec.typeName(e));
        ps.setLong(4, e.at());
        ps.setString(5, body);
    }

    /** Binds seq, state, steps, model_calls, tokens, cost, updated_at, detail from {@code from}; returns the next index. */
    static int bindStatus(PreparedStatement ps, int from, long seq, RunStatus st) throws SQLException {
        ps.setLong(from, seq);
        ps.setString(from + 1, st.state().name());
        ps.setLong(from + 2, st.steps());
        ps.setLong(from + 3, st.modelCalls());
        ps.setLong(from + 4, st.tokens());
        ps.setDouble(from + 5, st.costUsd());
        ps.setLong(from + 6, st.updatedAt());
        ps.setString(from + 7, st.detail());
        return from + 8;
    }
}
