package io.myriad.store;

import io.myriad.core.audit.AuditEntry;
import io.myriad.core.journal.Journal.Append;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * The SQL of an append on the writer's connection: its prepared statements, the fenced insert,
 * and the events batched but not yet inserted. Used by the journal writer's thread only.
 */
final class AppendSql implements AutoCloseable {
    /** The run's summary row is rewritten on its final append and at least every this many events. */
    private static final int SUMMARY_EVERY = 32;

    private final PreparedStatement insertRun;
    private final PreparedStatement updateRun;
    private final PreparedStatement insertFirstEvent;
    private final PreparedStatement insertEvent;
    private final PreparedStatement savepoint;
    private final PreparedStatement releaseSavepoint;
    private final PreparedStatement rollbackToSavepoint;
    private final AuditSql audit;
    private int batched;

    AppendSql(Connection c) throws SQLException {
        audit = new AuditSql(c);
        insertRun = c.prepareStatement(
                "INSERT INTO runs(run_id, execution, fleet, task, agent, seq, state, steps, model_calls, tokens, cost,"
                        + " updated_at, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(run_id) DO NOTHING");
        updateRun = c.prepareStatement(
                "UPDATE runs SET seq=?, state=?, steps=?, model_calls=?, tokens=?, cost=?, updated_at=?, detail=? WHERE run_id=?");
        insertFirstEvent = c.prepareStatement(
                "INSERT INTO events(run_id, seq, type, at, body) SELECT ?,?,?,?,?"
                        + " WHERE EXISTS (SELECT 1 FROM events WHERE run_id=? AND seq=?) OR ?=0"
                        + " ON CONFLICT(run_id, seq) DO NOTHING");
        insertEvent = c.prepareStatement("INSERT INTO events(run_id, seq, type, at, body) VALUES (?,?,?,?,?)");
        savepoint = c.prepareStatement("SAVEPOINT one_append");
        releaseSavepoint = c.prepareStatement("RELEASE one_append");
        rollbackToSavepoint = c.prepareStatement("ROLLBACK TO one_append");
    }

    /**
     * Writes one append inside the open transaction, or nothing when it is fenced (returns false).
     * The fence is the first event's insert: it must not exist yet (primary key) and, after seq
     * 0, its predecessor must. The other events of the append follow it in the same transaction,
     * which no other writer can interleave; they are batched, and inserted by {@link #flushEvents()}.
     */
    boolean write(Append a, String[] bodies, List<AuditEntry> auditEntries) throws SQLException {
        RunStatus status = a.status();
        long newSeq = a.expectedSeq() + a.events().size();
        if (a.expectedSeq() == 0) {
            var started = (RunEvent.RunStarted) a.events().getFirst();
            insertRun.setString(1, a.runId());
            insertRun.setString(2, started.execution());
            insertRun.setString(3, started.fleet());
            insertRun.setString(4, started.task());
            insertRun.setString(5, started.agent());
            StoreRows.bindStatus(insertRun, 6, newSeq, status);
            if (insertRun.executeUpdate() != 1) {
                return false;
            }
        }
        StoreRows.bindEvent(insertFirstEvent, a.runId(), a.expectedSeq(), a.events().getFirst(), bodies[0]);
        insertFirstEvent.setString(6, a.runId());
        insertFirstEvent.setLong(7, a.expectedSeq() - 1);
        insertFirstEvent.setLong(8, a.expectedSeq());
        if (insertFirstEvent.executeUpdate() != 1) {
            // The predecessor may be an event of an earlier append of this run in this very
            // transaction, still in the batch (a producer that does not wait for each append).
            if (!flushEvents() || insertFirstEvent.executeUpdate() != 1) {
                return false;
            }
        }
        for (int i = 1; i < bodies.length; i++) {
            StoreRows.bindEvent(insertEvent, a.runId(), a.expectedSeq() + i, a.events().get(i), bodies[i]);
            insertEvent.addBatch();
            batched++;
        }
        // Resume and `runs ls --state in_doubt` read the state of a run waiting for a person (and of
        // one a decision released) from this row: write it at once, like a final state.
        if (a.expectedSeq() > 0 && (status.state().isFinal() || status.state().awaitsHuman()
                || a.events().getFirst() instanceof RunEvent.ToolCallResolved
                || a.events().getFirst() instanceof RunEvent.ApprovalDecided
                || newSeq / SUMMARY_EVERY != a.expectedSeq() / SUMMARY_EVERY)) {
            StoreRows.bindStatus(updateRun, 1, newSeq, status);
            updateRun.setString(9, a.runId());
            updateRun.executeUpdate();
        }
        audit.append(auditEntries);
        return true;
    }

    /** Appends audit entries that come from no journal append (control actions). */
    void writeAudit(List<AuditEntry> entries) throws SQLException {
        audit.append(entries);
    }

    /** At the start of every transaction: nothing learnt in an earlier one is trusted. */
    void begin() {
        batched = 0;
        audit.forget();
    }

    /** Inserts everything batched, events and audit records. */
    void flushAll() throws SQLException {
        flushEvents();
        audit.flush();
    }

    /** Inserts the batched events; false when there were none. */
    boolean flushEvents() throws SQLException {
        if (batched == 0) {
            return false;
        }
        batched = 0;
        insertEvent.executeBatch();
        return true;
    }

    void savepoint() throws SQLException {
        savepoint.execute();
    }

    void releaseSavepoint() throws SQLException {
        releaseSavepoint.execute();
    }

    void rollbackToSavepoint() throws SQLException {
        rollbackToSavepoint.execute();
        audit.forget();
    }

    @Override
    public void close() {
        audit.close();
        for (PreparedStatement ps : List.of(insertRun, updateRun, insertFirstEvent, insertEvent, savepoint,
                releaseSavepoint, rollbackToSavepoint)) {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // the connection is being replaced or closed
            }
        }
    }
}
