package io.myriad.store;

import io.myriad.core.auth.TenantScope;
import io.myriad.core.journal.RunRepository.RunRow;
import io.myriad.core.run.RunState;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The SQL of runs listings (schema version 9): filtered pages in {@code (updated_at, run_id)}
 * order, and counts by state.
 *
 * <p>Each filter that narrows much (execution, fleet, state) has an index that starts with it
 * and goes on with the order, so a page is an index range read from its start key, never a
 * scan and sort of the runs; the other filters (agent, text, tenant) are checked on the rows
 * that range yields.
 */
final class RunQuerySql {
    private RunQuerySql() {}

    static void index(Statement s) throws SQLException {
        s.execute("CREATE INDEX IF NOT EXISTS runs_by_updated ON runs(updated_at, run_id)");
        s.execute("CREATE INDEX IF NOT EXISTS runs_by_execution_updated ON runs(execution, updated_at, run_id)");
        s.execute("CREATE INDEX IF NOT EXISTS runs_by_fleet_updated ON runs(fleet, updated_at, run_id)");
        s.execute("CREATE INDEX IF NOT EXISTS runs_by_state_updated ON runs(state, updated_at, run_id)");
    }

    /** A statement and the values of its parameters, in order. */
    record Sql(String text, List<Object> args) {
        void bind(PreparedStatement ps) throws SQLException {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
        }
    }

    /**
     * The page query: {@code select} (columns and FROM runs r LEFT JOIN executions e) with the
     * query's filters, the tenants of {@code scope}, and one row more than the page (it tells
     * whether there is a next page).
     */
    static Sql page(String select, RunQuery q, TenantScope scope) {
        return page(select, q, scope, "LIKE");
    }

    /**
     * The page query with {@code like} as the text filter's operator: SQLite's {@code LIKE} folds
     * ASCII case, so PostgreSQL passes {@code ILIKE} to match the same runs.
     */
    static Sql page(String select, RunQuery q, TenantScope scope, String like) {
        List<String> where = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        if (!scope.all()) {
            where.add("coalesce(e.tenant, 'default') IN (" + String.join(",", Collections.nCopies(scope.tenants().size(), "?")) + ")");
            args.addAll(scope.tenants());
        }
        q.execution().ifPresent(v -> {
            where.add("r.execution = ?");
            args.add(v);
        });
        q.fleet().ifPresent(v -> {
            where.add("r.fleet = ?");
            args.add(v);
        });
        q.state().ifPresent(v -> {
            where.add("r.state = ?");
            args.add(v.name());
        });
        q.agent().ifPresent(v -> {
            where.add("r.agent = ?");
            args.add(v);
        });
        q.text().ifPresent(v -> {
            String pattern = "%" + v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
            where.add("(r.run_id " + like + " ? ESCAPE '\\' OR r.task " + like + " ? ESCAPE '\\' OR r.detail " + like
                    + " ? ESCAPE '\\')");
            args.addAll(List.of(pattern, pattern, pattern));
        });
        q.after().ifPresent(k -> {
            where.add("(r.updated_at, r.run_id) < (?, ?)");
            args.addAll(List.of(k.updatedAt(), k.runId()));
        });
        args.add(q.limit() + 1);
        return new Sql(select + (where.isEmpty() ? "" : "WHERE " + String.join(" AND ", where) + " ")
                + "ORDER BY r.updated_at DESC, r.run_id DESC LIMIT ?", args);
    }

    /** The page of the rows {@link #page}'s statement read (one more than the page when there is a next one). */
    static Store.RunPage pageOf(List<RunRow> rows, RunQuery q) {
        if (rows.size() <= q.limit()) {
            return new Store.RunPage(rows, Optional.empty());
        }
        List<RunRow> page = List.copyOf(rows.subList(0, q.limit()));
        RunRow last = page.getLast();
        return new Store.RunPage(page, Optional.of(new RunQuery.Key(last.status().updatedAt(), last.runId())));
    }

    /** How many runs of an execution are in each state (states without runs are left out). */
    static Map<RunState, Long> countsByState(java.sql.Connection c, String executionId) throws SQLException {
        return tally(c, executionId).byState();
    }

    /** An execution's runs by state, and the tokens and cost of all of them, in one grouped read. */
    static SqliteStore.ExecutionTally tally(java.sql.Connection c, String executionId) throws SQLException {
        Map<RunState, Long> out = new EnumMap<>(RunState.class);
        long tokens = 0;
        double cost = 0;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT state, count(*), coalesce(sum(tokens), 0), coalesce(sum(cost), 0) FROM runs WHERE execution = ? GROUP BY state")) {
            ps.setString(1, executionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(RunState.valueOf(rs.getString(1)), rs.getLong(2));
                    tokens += rs.getLong(3);
                    cost += rs.getDouble(4);
                }
            }
        }
        return new SqliteStore.ExecutionTally(out, tokens, cost);
    }
}
