package io.myriad.store;

import io.myriad.core.MyriadException;
import io.myriad.core.control.Action;
import io.myriad.core.control.Control;
import io.myriad.core.control.Scope;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Operator controls on PostgreSQL ({@link ControlSql}'s tables and rows).
 *
 * <p>Notes. Every node polls {@code since(seq)} and moves its cursor to the last seq it saw, so
 * a control must never become visible below a cursor already passed. An identity column alone
 * does not promise that: two transactions take 7 and 8, 8 commits first, a reader moves to 8,
 * and 7 appears later. Each insert therefore takes one advisory lock ({@link #LOCK}) before it
 * draws its seq and keeps it until its commit is visible, so seqs commit in order. A rolled-back
 * insert leaves a gap that nothing fills later, which readers need not notice.
 */
final class PgControls {
    static final String LOCK = "myriad.controls";

    private final PgTx tx;

    PgControls(PgTx tx) {
        this.tx = tx;
    }

    Control record(long at, String actor, Action action, Scope scope, String reason) {
        if (action != Action.KILL && !(scope instanceof Scope.Fleet)) {
            throw new IllegalArgumentException(action.label() + " applies to a fleet, not to " + scope.describe());
        }
        try {
            return tx.inTransaction(c -> {
                PgTx.lock(c, LOCK);
                long seq;
                try (PreparedStatement ps = c.prepareStatement(ControlSql.INSERT + " RETURNING seq")) {
                    ControlSql.bindInsert(ps, at, actor, action, scope, reason);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        seq = rs.getLong(1);
                    }
                }
                ControlSql.markPaused(c, seq, action, scope);
                return new Control(seq, at, actor, action, scope, reason);
            });
        } catch (SQLException e) {
            throw new MyriadException("cannot record the " + action.label() + " of " + scope.describe() + ": "
                    + e.getMessage() + " (nothing was changed; try again)", true, e);
        }
    }

    List<Control> since(long seq) {
        return tx.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + ControlSql.COLS + " FROM controls WHERE seq > ? ORDER BY seq")) {
                ps.setLong(1, seq);
                try (ResultSet rs = ps.executeQuery()) {
                    return ControlSql.read(rs);
                }
            }
        });
    }

    long head() {
        return tx.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(seq), 0) FROM controls");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** The pause that holds the fleet paused, if any. */
    Optional<Control> pause(String tenant, String fleet) {
        return tx.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT c.seq, c.at, c.actor, c.action, c.scope, c.value, c.tenant, c.reason"
                    + " FROM paused p JOIN controls c ON c.seq = p.seq WHERE p.tenant=? AND p.fleet=?")) {
                ps.setString(1, tenant);
                ps.setString(2, fleet);
                try (ResultSet rs = ps.executeQuery()) {
                    return ControlSql.first(rs);
                }
            }
        });
    }
}
