package io.myriad.store;

import io.myriad.core.MyriadException;
import io.myriad.core.audit.AuditRecord;
import io.myriad.core.auth.TenantScope;
import io.myriad.core.control.Scope;
import io.myriad.core.journal.RunRepository.Execution;
import io.myriad.core.journal.RunRepository.RunRow;
import io.myriad.core.run.RunState;
import io.myriad.store.Store.ExecutionTally;
import io.myriad.store.Store.RunCounts;
import io.myriad.store.Store.RunPage;
import io.myriad.store.Store.Size;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The PostgreSQL store's reads of runs, executions, the audit log and sizes, with SQLite's
 * semantics ({@link SqliteStore}): the same statements where the dialects agree ({@link
 * StoreRows}, {@link RunQuerySql}, {@link ControlSql}), PostgreSQL's own where they do not
 * (a count of final runs with {@code FILTER}, the text filter with {@code ILIKE}).
 *
 * <p>Each read is one statement on a pooled connection, so it sees one snapshot. A runs page is
 * an index range read: the schema-9 indexes ({@code runs_by_*_updated}) start with each narrow
 * filter and go on with the page order, which PostgreSQL scans backwards.
 */
final class PgQueries {
    private static final String EXEC_COLS = "id, fleet, digest, source, started_at, finished_at, tasks, tenant";
    private static final String AUDIT_COLS = "seq, at, tenant, actor, action, subject, details, prev, hash";
    private static final String RUN_SELECT = "SELECT " + StoreRows.RUN_COLS + StoreRows.RUNS;

    interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    interface Reader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private final DataSource pool;

    PgQueries(DataSource pool) {
        this.pool = Objects.requireNonNull(pool, "pool");
    }

    <T> T query(String sql, Binder binder, Reader<T> reader) {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            try (ResultSet rs = ps.executeQuery()) {
                return reader.read(rs);
            }
        } catch (SQLException e) {
            throw new MyriadException("journal query failed: " + e.getMessage(), PgJournalWriter.retriable(e), e);
        }
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T read(Work<T> work) {
        try (Connection c = pool.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new MyriadException("journal query failed: " + e.getMessage(), PgJournalWriter.retriable(e), e);
        }
    }

    Size size() {
        return query("SELECT count(*), coalesce(sum(length(body)), 0) FROM events", ps -> { }, rs -> {
            rs.next();
            return new Size(rs.getLong(1), rs.getLong(2));
        });
    }

    Optional<AuditRecord> auditRecord(long seq) {
        return query("SELECT " + AUDIT_COLS + " FROM audit WHERE seq=?", ps -> ps.setLong(1, seq),
                rs -> rs.next() ? Optional.of(StoreRows.auditRecord(rs)) : Optional.empty());
    }

    List<AuditRecord> latestAudit(int limit, TenantScope scope) {
        return scoped(scope, "SELECT " + AUDIT_COLS + " FROM audit", "tenant", "seq DESC", limit, StoreRows::auditRecord);
    }

    /** Counts with one query, without loading the rows. */
    RunCounts runCounts(String executionId) {
        return query("SELECT count(*), count(*) FILTER (WHERE state IN (" + PgSchema.finalStates() + ")) FROM runs WHERE execution=?",
                ps -> ps.setString(1, executionId), rs -> {
                    rs.next();
                    return new RunCounts(rs.getLong(1), rs.getLong(2));
                });
    }

    List<RunRow> recentRuns(int limit, TenantScope scope) {
        return scoped(scope, RUN_SELECT, "e.tenant", "r.updated_at DESC, r.run_id", limit, StoreRows::runRow);
    }

    /** As {@link SqliteStore#runsPage}: one row more than the page tells whether there is a next one. */
    RunPage runsPage(RunQuery query, TenantScope scope) {
        Objects.requireNonNull(query, "query");
        if (scope.none()) {
            return new RunPage(List.of(), Optional.empty());
        }
        RunQuerySql.Sql sql = pageSql(query, scope);
        return RunQuerySql.pageOf(query(sql.text(), sql::bind, StoreRows::runRows), query);
    }

    /** The page statement {@link #runsPage} runs, for checking its plan. */
    static RunQuerySql.Sql pageSql(RunQuery query, TenantScope scope) {
        return RunQuerySql.page(RUN_SELECT, query, scope, "ILIKE");
    }

    Map<RunState, Long> runStateCounts(String executionId) {
        return executionTally(executionId).byState();
    }

    List<RunRow> runsInState(RunState state, String executionId, int limit, TenantScope scope) {
        RunQuery q = RunQuery.first(Math.min(limit, Integer.MAX_VALUE - 1)).state(state);
        return runsPage(executionId == null ? q : q.execution(executionId), scope).runs();
    }

    /** Runs in one state (of one execution, when given), by run id. */
    List<RunRow> runsInState(RunState state, String executionId, int limit) {
        String where = executionId == null ? "r.state=?" : "r.state=? AND r.execution=?";
        return query(RUN_SELECT + "WHERE " + where + " ORDER BY r.run_id LIMIT ?", ps -> {
            ps.setString(1, state.name());
            if (executionId != null) {
                ps.setString(2, executionId);
            }
            ps.setInt(executionId == null ? 2 : 3, limit);
        }, StoreRows::runRows);
    }

    ExecutionTally executionTally(String executionId) {
        Objects.requireNonNull(executionId, "executionId");
        return read(c -> RunQuerySql.tally(c, executionId));
    }

    List<Execution> executions(int limit, TenantScope scope) {
        return scoped(scope, "SELECT " + EXEC_COLS + " FROM executions", "tenant", "started_at DESC, n DESC", limit,
                StoreRows::execution);
    }

    /** The runs a scope covers that are not final (in doubt included), by run id. */
    List<RunRow> unfinishedRuns(Scope scope) {
        Objects.requireNonNull(scope, "scope");
        return query(RUN_SELECT + "WHERE " + ControlSql.where(scope) + " AND r.state NOT IN (" + PgSchema.finalStates()
                + ") ORDER BY r.run_id", ps -> ControlSql.bind(ps, scope), StoreRows::runRows);
    }

    /**
     * At most {@code limit} rows of {@code select} whose {@code tenantColumn} is in {@code scope},
     * in {@code orderBy} order: every row when the scope is all tenants, none when it is none.
     */
    private <T> List<T> scoped(TenantScope scope, String select, String tenantColumn, String orderBy, int limit, Row<T> row) {
        if (scope.none()) {
            return List.of();
        }
        RunQuerySql.Sql sql = ScopedSql.of(scope, select, tenantColumn, List.of(), orderBy, limit);
        return query(sql.text(), sql::bind, rs -> {
            List<T> out = new ArrayList<>();
            while (rs.next()) {
                out.add(row.read(rs));
            }
            return out;
        });
    }
}
