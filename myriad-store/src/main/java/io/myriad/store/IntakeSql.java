package io.myriad.store;

import io.myriad.core.fleet.TaskSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The SQL of task intake (schema version 10): the tasks submitted to a running execution, one
 * row each, numbered by {@code seq} in submission order within the execution.
 */
final class IntakeSql {
    private IntakeSql() {}

    static void create(Statement s) throws SQLException {
        s.execute("""
                CREATE TABLE IF NOT EXISTS intake (
                  execution TEXT NOT NULL, seq INTEGER NOT NULL, task_id TEXT NOT NULL, agent TEXT NOT NULL,
                  input TEXT NOT NULL, priority INTEGER NOT NULL, at INTEGER NOT NULL,
                  PRIMARY KEY(execution, task_id)) WITHOUT ROWID""");
        s.execute("CREATE UNIQUE INDEX IF NOT EXISTS intake_by_seq ON intake(execution, seq)");
    }

    /**
     * The ids of {@code tasks} the execution already used (submitted before, a run of it, or twice
     * in {@code tasks}); the caller holds the transaction.
     */
    static List<String> used(Connection c, String execution, List<TaskSpec> tasks) throws SQLException {
        List<String> used = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (PreparedStatement submitted = c.prepareStatement("SELECT 1 FROM intake WHERE execution=? AND task_id=?");
             PreparedStatement run = c.prepareStatement("SELECT 1 FROM runs WHERE run_id=?")) {
            for (TaskSpec t : tasks) {
                submitted.setString(1, execution);
                submitted.setString(2, t.id());
                run.setString(1, execution + ":" + t.id());
                if (!seen.add(t.id()) || exists(submitted) || exists(run)) {
                    used.add(t.id());
                }
            }
        }
        return used;
    }

    private static boolean exists(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next();
        }
    }

    /** Appends {@code tasks} after the execution's last seq and adds them to its task count. */
    static void insert(Connection c, String execution, List<TaskSpec> tasks, long now) throws SQLException {
        long seq;
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(seq),0) FROM intake WHERE execution=?")) {
            ps.setString(1, execution);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                seq = rs.getLong(1);
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO intake(execution, seq, task_id, agent, input, priority, at) VALUES (?,?,?,?,?,?,?)")) {
            for (TaskSpec t : tasks) {
                ps.setString(1, execution);
                ps.setLong(2, ++seq);
                ps.setString(3, t.id());
                ps.setString(4, t.agent());
                ps.setString(5, t.input());
                ps.setInt(6, t.priority());
                ps.setLong(7, now);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE executions SET tasks = tasks + ? WHERE id=?")) {
            ps.setInt(1, tasks.size());
            ps.setString(2, execution);
            ps.executeUpdate();
        }
    }

    /** The execution's tasks submitted after {@code afterSeq}, in seq order. */
    static List<SqliteStore.SubmittedTask> after(Connection c, String execution, long afterSeq) throws SQLException {
        List<SqliteStore.SubmittedTask> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT seq, task_id, agent, input, priority FROM intake "
                + "WHERE execution=? AND seq>? ORDER BY seq")) {
            ps.setString(1, execution);
            ps.setLong(2, afterSeq);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new SqliteStore.SubmittedTask(rs.getLong(1), new TaskSpec(rs.getString(2), rs.getString(3),
                            rs.getString(4), rs.getInt(5))));
                }
            }
        }
        return out;
    }
}
