package io.myriad.store;

import io.myriad.core.budget.BudgetStore;
import io.myriad.core.budget.Ceilings;
import io.myriad.core.fleet.ModelSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * The SQL of budgets: tenant ceilings and price overrides (schema 6), and spend recomputed from
 * the journal's events, so that what is counted is exactly what was journaled, across restarts.
 */
final class BudgetSql {
    private BudgetSql() {}

    static void migrate(Statement s) throws SQLException {
        s.execute("""
                CREATE TABLE IF NOT EXISTS budgets (
                  tenant TEXT PRIMARY KEY, tokens INTEGER, usd REAL, steps INTEGER, tool_calls INTEGER,
                  warn_at REAL NOT NULL, updated_at INTEGER NOT NULL)""");
        s.execute("""
                CREATE TABLE IF NOT EXISTS prices (
                  model TEXT PRIMARY KEY, input_per_mtok REAL NOT NULL, output_per_mtok REAL NOT NULL,
                  updated_at INTEGER NOT NULL)""");
        s.execute("""
                CREATE TABLE IF NOT EXISTS execution_budgets (
                  execution TEXT PRIMARY KEY, tokens INTEGER, usd REAL, steps INTEGER, tool_calls INTEGER,
                  warn_at REAL NOT NULL, wall_ms INTEGER)""");
    }

    static void setExecutionCeilings(Connection c, String execution, Ceilings x) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO execution_budgets(execution, tokens, usd, steps, tool_calls, warn_at, wall_ms) VALUES (?,?,?,?,?,?,?)
                ON CONFLICT(execution) DO UPDATE SET tokens=excluded.tokens, usd=excluded.usd, steps=excluded.steps,
                  tool_calls=excluded.tool_calls, warn_at=excluded.warn_at, wall_ms=excluded.wall_ms""")) {
            ps.setString(1, execution);
            bindCeilings(ps, x);
            if (x.wall().isPresent()) {
                ps.setLong(7, x.wall().get().toMillis());
            } else {
                ps.setNull(7, Types.INTEGER);
            }
            ps.executeUpdate();
        }
    }

    static Map<String, Ceilings> executionCeilings(Connection c, String tenant) throws SQLException {
        Map<String, Ceilings> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT b.execution, b.tokens, b.usd, b.steps, b.tool_calls, b.warn_at, b.wall_ms
                FROM execution_budgets b JOIN executions x ON x.id = b.execution WHERE x.tenant = ? ORDER BY x.started_at""")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Ceilings base = ceilings(rs);
                    Object wallMs = rs.getObject(7);
                    out.put(rs.getString(1), !(wallMs instanceof Number wall) ? base : new Ceilings(base.tokens(), base.usd(), base.steps(),
                            base.toolCalls(), Optional.of(java.time.Duration.ofMillis(wall.longValue())), base.warnAt()));
                }
            }
        }
        return out;
    }

    private static void bindCeilings(PreparedStatement ps, Ceilings x) throws SQLException {
        setLong(ps, 2, x.tokens());
        if (x.usd().isPresent()) {
            ps.setDouble(3, x.usd().getAsDouble());
        } else {
            ps.setNull(3, Types.REAL);
        }
        setLong(ps, 4, x.steps());
        setLong(ps, 5, x.toolCalls());
        ps.setDouble(6, x.warnAt());
    }

    private static final String CEILING_COLS = "tenant, tokens, usd, steps, tool_calls, warn_at";

    static Optional<Ceilings> tenantCeilings(Connection c, String tenant) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + CEILING_COLS + " FROM budgets WHERE tenant=?")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(ceilings(rs)) : Optional.empty();
            }
        }
    }

    static Map<String, Ceilings> allTenantCeilings(Connection c) throws SQLException {
        Map<String, Ceilings> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + CEILING_COLS + " FROM budgets ORDER BY tenant");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), ceilings(rs));
            }
        }
        return out;
    }

    private static Ceilings ceilings(ResultSet rs) throws SQLException {
        OptionalLong t = optionalLong(rs.getObject(2));
        OptionalDouble u = rs.getObject(3) instanceof Number n ? OptionalDouble.of(n.doubleValue()) : OptionalDouble.empty();
        OptionalLong st = optionalLong(rs.getObject(4));
        OptionalLong tc = optionalLong(rs.getObject(5));
        return new Ceilings(t, u, st, tc, Optional.empty(), rs.getDouble(6));
    }

    private static OptionalLong optionalLong(Object value) {
        return value instanceof Number n ? OptionalLong.of(n.longValue()) : OptionalLong.empty();
    }

    static void setTenantCeilings(Connection c, String tenant, Ceilings x, long at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO budgets(tenant, tokens, usd, steps, tool_calls, warn_at, updated_at) VALUES (?,?,?,?,?,?,?)
                ON CONFLICT(tenant) DO UPDATE SET tokens=excluded.tokens, usd=excluded.usd, steps=excluded.steps,
                  tool_calls=excluded.tool_calls, warn_at=excluded.warn_at, updated_at=excluded.updated_at""")) {
            ps.setString(1, tenant);
            bindCeilings(ps, x);
            ps.setLong(7, at);
            ps.executeUpdate();
        }
    }

    private static void setLong(PreparedStatement ps, int i, OptionalLong v) throws SQLException {
        if (v.isPresent()) {
            ps.setLong(i, v.getAsLong());
        } else {
            ps.setNull(i, Types.INTEGER);
        }
    }

    static Map<String, ModelSpec.Pricing> prices(Connection c) throws SQLException {
        Map<String, ModelSpec.Pricing> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT model, input_per_mtok, output_per_mtok FROM prices ORDER BY model");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), new ModelSpec.Pricing(rs.getDouble(2), rs.getDouble(3)));
            }
        }
        return out;
    }

    static void setPrice(Connection c, String model, ModelSpec.Pricing p, long at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO prices(model, input_per_mtok, output_per_mtok, updated_at) VALUES (?,?,?,?)
                ON CONFLICT(model) DO UPDATE SET input_per_mtok=excluded.input_per_mtok,
                  output_per_mtok=excluded.output_per_mtok, updated_at=excluded.updated_at""")) {
            ps.setString(1, model);
            ps.setDouble(2, p.inputPerMillion());
            ps.setDouble(3, p.outputPerMillion());
            ps.setLong(4, at);
            ps.executeUpdate();
        }
    }

    /**
     * Spend per (tenant, execution) from the events: model responses give tokens, cost and a
     * step; tool outcomes a step and a tool call. A full pass over the events table (one scan,
     * done when a fleet starts and by {@code myriad budgets}).
     */
    private static final String SPEND = """
            SELECT coalesce(x.tenant, 'default'), r.execution, ev.type, count(*),
                   coalesce(sum(json_extract(ev.body, '$.costUsd')), 0),
                   coalesce(sum(json_extract(ev.body, '$.usage.promptTokens')
                              + json_extract(ev.body, '$.usage.completionTokens')), 0)
            FROM events ev JOIN runs r ON r.run_id = ev.run_id LEFT JOIN executions x ON x.id = r.execution
            WHERE ev.type IN ('model_responded', 'tool_call_completed', 'tool_call_failed')""";

    static Map<String, BudgetStore.Spend> spendByExecution(Connection c, String tenant) throws SQLException {
        return spend(c, SPEND + " AND coalesce(x.tenant, 'default') = ? GROUP BY 1, 2, 3", tenant, 2);
    }

    static Map<String, BudgetStore.Spend> spendByTenant(Connection c) throws SQLException {
        return spend(c, SPEND + " GROUP BY 1, 2, 3", null, 1);
    }

    /**
     * Spend from {@code sql}, a dialect's statement with the columns of {@link #SPEND} (tenant,
     * execution, type, count, cost, tokens), keyed by column {@code keyColumn}; {@code tenant}
     * binds its one parameter when not null.
     */
    static Map<String, BudgetStore.Spend> spend(Connection c, String sql, String tenant, int keyColumn)
            throws SQLException {
        Map<String, BudgetStore.Spend> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (tenant != null) {
                ps.setString(1, tenant);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long n = rs.getLong(4);
                    BudgetStore.Spend s = rs.getString(3).equals("model_responded")
                            ? new BudgetStore.Spend(rs.getLong(6), rs.getDouble(5), n, 0)
                            : new BudgetStore.Spend(0, 0, n, n);
                    out.merge(rs.getString(keyColumn), s, BudgetStore.Spend::plus);
                }
            }
        }
        return out;
    }
}
