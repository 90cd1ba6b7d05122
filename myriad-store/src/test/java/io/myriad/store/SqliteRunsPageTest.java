package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.auth.TenantScope;
import io.myriad.core.run.RunState;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs listings on SQLite: with a million runs a filtered page is an index range read, never a
 * scan of the runs table, and a version-8 database gets the listing indexes. What pages hold is
 * checked on both stores by {@link QueryStoreContract}.
 */
class SqliteRunsPageTest {
    @TempDir
    Path dir;

    /** {@code n} runs over executions x-1..x-10 (tenant alpha for odd, beta for even), all rows in one transaction. */
    private static void fill(Path db, int n) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (int e = 1; e <= 10; e++) {
                s.execute("INSERT INTO executions(id, fleet, n, digest, source, started_at, finished_at, tasks, tenant) "
                        + "VALUES ('x-" + e + "', 'f" + (e % 3) + "', " + e + ", 'd', 's', 0, 0, 0, '" + (e % 2 == 1 ? "alpha" : "beta") + "')");
            }
            s.execute("""
                    WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < %d)
                    INSERT INTO runs(run_id, execution, fleet, task, agent, seq, state, steps, model_calls, tokens, cost,
                                     updated_at, detail)
                    SELECT 'x-' || (x %% 10 + 1) || ':t' || x, 'x-' || (x %% 10 + 1), 'f' || ((x %% 10 + 1) %% 3), 't' || x,
                           CASE WHEN x %% 2 = 0 THEN 'writer' ELSE 'reader' END, 3,
                           CASE WHEN x %% 7 = 0 THEN 'FAILED' ELSE 'SUCCEEDED' END, 2, 1, 10, 0.0,
                           x / 3, ''
                    FROM i""".formatted(n));
            c.commit();
        }
    }

    @Test
    void aFilteredPageOverAMillionRunsReadsAnIndexRange() throws SQLException {
        Path db = dir.resolve("big.db");
        SqliteStore.open(db).close();
        fill(db, 1_000_000);
        TenantScope alpha = TenantScope.only(Set.of("alpha"));
        List<RunQuery> queries = List.of(
                RunQuery.first(50),
                RunQuery.first(50).execution("x-3"),
                RunQuery.first(50).execution("x-3").after(new RunQuery.Key(200_000, "x-3:t600000")),
                RunQuery.first(50).fleet("f1").agent("writer"),
                RunQuery.first(50).state(RunState.FAILED).after(new RunQuery.Key(100, "x-1:t300")));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            for (RunQuery q : queries) {
                for (TenantScope scope : List.of(TenantScope.ALL, alpha)) {
                    String plan = plan(c, SqliteStore.runsPageSql(q, scope), q, scope);
                    assertThat(plan).as(q + "\n" + plan).containsAnyOf("USING INDEX", "USING COVERING INDEX")
                            .doesNotContainPattern("SCAN r(uns)?\\s*(\\n|$)").doesNotContain("USE TEMP B-TREE FOR ORDER BY");
                }
            }
        }
        try (SqliteStore store = SqliteStore.open(db)) {
            var page = store.runsPage(RunQuery.first(50).execution("x-3"), alpha);
            assertThat(page.runs()).hasSize(50).allSatisfy(r -> assertThat(r.execution()).isEqualTo("x-3"));
            Set<String> ids = new HashSet<>(page.runs().stream().map(r -> r.runId()).toList());
            var second = store.runsPage(RunQuery.first(50).execution("x-3").after(page.next().orElseThrow()), alpha);
            assertThat(second.runs()).hasSize(50).noneMatch(r -> ids.contains(r.runId()));
        }
    }

    @Test
    void aVersion8DatabaseGetsTheListingIndexesKeepingItsRuns() throws SQLException {
        Path db = dir.resolve("v8.db");
        SqliteStore.open(db).close();
        fill(db, 100);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            for (String index : List.of("runs_by_updated", "runs_by_execution_updated", "runs_by_fleet_updated", "runs_by_state_updated")) {
                s.execute("DROP INDEX " + index);
            }
            s.execute("PRAGMA user_version=8");
        }
        try (SqliteStore store = SqliteStore.open(db)) {
            assertThat(store.runsPage(RunQuery.first(1000), TenantScope.ALL).runs()).hasSize(100);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
                assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(9);
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM sqlite_master WHERE type='index' AND name LIKE 'runs_by_%updated'")) {
                assertThat(rs.getInt(1)).isEqualTo(4);
            }
        }
    }

    private static String plan(Connection c, String sql, RunQuery q, TenantScope scope) throws SQLException {
        RunQuerySql.Sql bound = RunQuerySql.page("", q, scope);
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
            bound.bind(ps);
            StringBuilder out = new StringBuilder();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.append(rs.getString(4)).append('\n');
                }
            }
            return out.toString();
        }
    }
}
