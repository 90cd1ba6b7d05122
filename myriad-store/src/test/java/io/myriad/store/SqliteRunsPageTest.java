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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs listings page by keyset: the pages cover every matching run once, in order, and with a
 * million runs a filtered page is an index range read, never a scan of the runs table.
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
    void pagesCoverEveryMatchingRunOnceNewestFirst() throws SQLException {
        Path db = dir.resolve("j.db");
        SqliteStore.open(db).close();
        fill(db, 2_000);
        try (SqliteStore store = SqliteStore.open(db)) {
            TenantScope alpha = TenantScope.only(Set.of("alpha"));
            RunQuery q = RunQuery.first(37).state(RunState.SUCCEEDED).agent("writer");
            List<String> seen = new ArrayList<>();
            long lastUpdated = Long.MAX_VALUE;
            SqliteStore.RunPage page = store.runsPage(q, alpha);
            int pages = 1;
            while (true) {
                for (var r : page.runs()) {
                    assertThat(r.tenant()).isEqualTo("alpha");
                    assertThat(r.agent()).isEqualTo("writer");
                    assertThat(r.status().state()).isEqualTo(RunState.SUCCEEDED);
                    assertThat(r.status().updatedAt()).isLessThanOrEqualTo(lastUpdated);
                    lastUpdated = r.status().updatedAt();
                    seen.add(r.runId());
                }
                if (page.next().isEmpty()) {
                    break;
                }
                page = store.runsPage(q.after(page.next().get()), alpha);
                pages++;
            }
            // writer: x even; alpha: x % 10 + 1 odd, so x % 10 even; succeeded: x % 7 != 0.
            long expected = java.util.stream.IntStream.rangeClosed(1, 2_000)
                    .filter(x -> x % 2 == 0 && (x % 10 + 1) % 2 == 1 && x % 7 != 0).count();
            assertThat(seen).hasSize((int) expected).doesNotHaveDuplicates();
            assertThat(pages).isEqualTo((int) ((expected + 36) / 37));
            assertThat(store.runsPage(RunQuery.first(5).text("t19"), TenantScope.ALL).runs())
                    .allSatisfy(r -> assertThat(r.task()).contains("t19"));
            assertThat(store.runsPage(RunQuery.first(5), TenantScope.only(Set.of())).runs()).isEmpty();
            Map<RunState, Long> counts = store.runStateCounts("x-1");
            assertThat(counts.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(200);
            assertThat(counts).containsKeys(RunState.SUCCEEDED, RunState.FAILED);
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

    @Test
    void runsInAStateOfOneTenantAreFoundBehindAnotherTenantsBacklog() throws SQLException {
        Path db = dir.resolve("backlog.db");
        SqliteStore.open(db).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("INSERT INTO executions(id, fleet, n, digest, source, started_at, finished_at, tasks, tenant) "
                    + "VALUES ('a-1', 'f', 1, 'd', 's', 0, 0, 0, 'alpha'), ('b-1', 'f', 1, 'd', 's', 0, 0, 0, 'beta')");
            // 150 of alpha's runs wait for an approval, newer than beta's one.
            for (int i = 0; i < 150; i++) {
                s.execute("INSERT INTO runs(run_id, execution, fleet, task, agent, seq, state, steps, model_calls, tokens, cost, "
                        + "updated_at, detail) VALUES ('a-1:t" + i + "', 'a-1', 'f', 't" + i + "', 'w', 3, 'AWAITING_APPROVAL', "
                        + "1, 1, 1, 0, " + (1000 + i) + ", '')");
            }
            s.execute("INSERT INTO runs(run_id, execution, fleet, task, agent, seq, state, steps, model_calls, tokens, cost, "
                    + "updated_at, detail) VALUES ('b-1:t0', 'b-1', 'f', 't0', 'w', 3, 'AWAITING_APPROVAL', 1, 1, 1, 0, 5, '')");
        }
        try (SqliteStore store = SqliteStore.open(db)) {
            var beta = store.runsInState(io.myriad.core.run.RunState.AWAITING_APPROVAL, null, 100,
                    io.myriad.core.auth.TenantScope.only(java.util.Set.of("beta")));
            assertThat(beta).extracting(io.myriad.core.journal.RunRepository.RunRow::runId).containsExactly("b-1:t0");
            assertThat(store.runsInState(io.myriad.core.run.RunState.AWAITING_APPROVAL, null, 100,
                    io.myriad.core.auth.TenantScope.ALL)).hasSize(100);
        }
    }
}
