package io.myriad.store;

import io.myriad.core.control.Action;
import io.myriad.core.control.Control;
import io.myriad.core.control.Scope;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * SQL of the operator controls (schema version 7): {@code controls}, append-only, read by live
 * processes with {@code WHERE seq > ?} on its integer primary key; {@code paused}, one row per
 * paused fleet, naming the pause that holds it.
 */
final class ControlSql {
    private ControlSql() {}

    static final String COLS = "seq, at, actor, action, scope, value, tenant, reason";

    static void create(Statement s) throws SQLException {
        s.execute("""
                CREATE TABLE IF NOT EXISTS controls (
                  seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL,
                  action TEXT NOT NULL, scope TEXT NOT NULL, value TEXT NOT NULL, tenant TEXT NOT NULL,
                  reason TEXT NOT NULL)""");
        s.execute("""
                CREATE TABLE IF NOT EXISTS paused (
                  tenant TEXT NOT NULL, fleet TEXT NOT NULL, seq INTEGER NOT NULL,
                  PRIMARY KEY (tenant, fleet)) WITHOUT ROWID""");
    }

    /** The tenant column: the fleet's or tenant's own, {@code *} for everything and for a run (looked up by readers). */
    private static String tenantOf(Scope scope) {
        return switch (scope) {
            case Scope.Fleet f -> f.tenant();
            case Scope.Tenant t -> t.tenant();
            case Scope.Run r -> "*";
            case Scope.All a -> "*";
        };
    }

    /** Inserts the control and, for a pause or resume, sets or clears the flag; the caller holds the transaction. */
    static Control insert(Connection c, long at, String actor, Action action, Scope scope, String reason) throws SQLException {
        long seq;
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            bindInsert(ps, at, actor, action, scope, reason);
            ps.executeUpdate();
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT last_insert_rowid()")) {
            seq = rs.getLong(1);
        }
        markPaused(c, seq, action, scope);
        return new Control(seq, at, actor, action, scope, reason);
    }

    /** The insert of a control, without its seq (both dialects number it). */
    static final String INSERT = "INSERT INTO controls(at, actor, action, scope, value, tenant, reason) VALUES (?,?,?,?,?,?,?)";

    /** Binds the parameters of {@link #INSERT}. */
    static void bindInsert(PreparedStatement ps, long at, String actor, Action action, Scope scope, String reason)
            throws SQLException {
        ps.setLong(1, at);
        ps.setString(2, actor);
        ps.setString(3, action.label());
        ps.setString(4, scope.kind());
        ps.setString(5, scope.value());
        ps.setString(6, tenantOf(scope));
        ps.setString(7, reason);
    }

    /** For a pause or resume of a fleet, sets or clears its flag to control {@code seq}; the caller holds the transaction. */
    static void markPaused(Connection c, long seq, Action action, Scope scope) throws SQLException {
        if ((action == Action.PAUSE || action == Action.RESUME) && scope instanceof Scope.Fleet f) {
            String sql = action == Action.PAUSE
                    ? "INSERT INTO paused(tenant, fleet, seq) VALUES (?,?,?) ON CONFLICT(tenant, fleet) DO UPDATE SET seq=excluded.seq"
                    : "DELETE FROM paused WHERE tenant=? AND fleet=?";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, f.tenant());
                ps.setString(2, f.fleet());
                if (action == Action.PAUSE) {
                    ps.setLong(3, seq);
                }
                ps.executeUpdate();
            }
        }
    }

    static List<Control> read(ResultSet rs) throws SQLException {
        List<Control> out = new ArrayList<>();
        while (rs.next()) {
            out.add(control(rs));
        }
        return out;
    }

    static Optional<Control> first(ResultSet rs) throws SQLException {
        return rs.next() ? Optional.of(control(rs)) : Optional.empty();
    }

    private static Control control(ResultSet rs) throws SQLException {
        return new Control(rs.getLong(1), rs.getLong(2), rs.getString(3), Action.of(rs.getString(4)),
                Scope.of(rs.getString(5), rs.getString(6), rs.getString(7)), rs.getString(8));
    }

    /** The WHERE clause (on runs r joined with executions e) of the runs a scope covers, and its binder. */
    static String where(Scope scope) {
        return switch (scope) {
            case Scope.Run r -> "r.run_id=?";
            case Scope.Fleet f -> "coalesce(e.tenant,'default')=? AND r.fleet=?";
            case Scope.Tenant t -> "coalesce(e.tenant,'default')=?";
            case Scope.All a -> "1=1";
        };
    }

    static void bind(PreparedStatement ps, Scope scope) throws SQLException {
        switch (scope) {
            case Scope.Run r -> ps.setString(1, r.runId());
            case Scope.Fleet f -> {
                ps.setString(1, f.tenant());
                ps.setString(2, f.fleet());
            }
            case Scope.Tenant t -> ps.setString(1, t.tenant());
            case Scope.All a -> { }
        }
    }
}
