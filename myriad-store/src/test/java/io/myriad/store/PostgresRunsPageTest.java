package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.auth.TenantScope;
import io.myriad.core.journal.RunRepository.RunRow;
import io.myriad.core.run.RunState;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Runs pages on PostgreSQL over 200,000 runs: each page holds exactly the runs a brute-force
 * filter and sort of the same rows gives. The plan of each page query is printed (EXPLAIN
 * ANALYZE) for the record; the schema-9 indexes make them index range reads, but the planner's
 * choice is not asserted, only the answers.
 */
class PostgresRunsPageTest {
    private static final int RUNS = 200_000;

    /** A generated run, as {@link #fill} writes it. */
    private record Gen(String runId, String execution, String fleet, String tenant, String agent, RunState state, long updatedAt) {
        static Gen of(int x) {
            int e = x % 10 + 1;
            return new Gen("x-" + e + ":t" + x, "x-" + e, "f" + (e % 3), e % 2 == 1 ? "alpha" : "beta",
                    x % 2 == 0 ? "writer" : "reader", x % 7 == 0 ? RunState.FAILED : RunState.SUCCEEDED, x / 3);
        }
    }

    private static void fill(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            for (int e = 1; e <= 10; e++) {
                s.execute("INSERT INTO executions(id, fleet, n, digest, source, started_at, finished_at, tasks, tenant) "
                        + "VALUES ('x-" + e + "', 'f" + (e % 3) + "', " + e + ", 'd', 's', 0, 0, 0, '" + (e % 2 == 1 ? "alpha" : "beta") + "')");
            }
            s.execute("""
                    INSERT INTO runs(run_id, execution, fleet, task, agent, seq, state, steps, model_calls, tokens, cost,
                                     updated_at, detail)
                    SELECT 'x-' || (x %% 10 + 1) || ':t' || x, 'x-' || (x %% 10 + 1), 'f' || ((x %% 10 + 1) %% 3), 't' || x,
                           CASE WHEN x %% 2 = 0 THEN 'writer' ELSE 'reader' END, 3,
                           CASE WHEN x %% 7 = 0 THEN 'FAILED' ELSE 'SUCCEEDED' END, 2, 1, 10, 0.0, x / 3, ''
                    FROM generate_series(1, %d) AS x""".formatted(RUNS));
            s.execute("ANALYZE runs");
            s.execute("ANALYZE executions");
        }
    }

    private static final Comparator<Gen> ORDER = Comparator.comparingLong(Gen::updatedAt).thenComparing(Gen::runId).reversed();

    @Test
    void pagesOverTwoHundredThousandRunsHoldWhatABruteForceSortGives() throws SQLException {
        String url = PgTestServer.freshUrl();
        PostgresStore.open(url).close();
        fill(url);
        List<Gen> all = IntStream.rangeClosed(1, RUNS).mapToObj(Gen::of).toList();
        TenantScope alpha = TenantScope.only(Set.of("alpha"));
        record Case(RunQuery query, Predicate<Gen> filter) {}
        RunQuery.Key deep = new RunQuery.Key(40_000, "x-3:t120000");
        Predicate<Gen> afterDeep = g -> ORDER.compare(g, new Gen(deep.runId(), "", "", "", "", RunState.NEW, deep.updatedAt())) > 0;
        List<Case> cases = List.of(
                new Case(RunQuery.first(50), g -> true),
                new Case(RunQuery.first(50).execution("x-3"), g -> g.execution().equals("x-3")),
                new Case(RunQuery.first(50).execution("x-3").after(deep), g -> g.execution().equals("x-3") && afterDeep.test(g)),
                new Case(RunQuery.first(50).fleet("f1").agent("writer"), g -> g.fleet().equals("f1") && g.agent().equals("writer")),
                new Case(RunQuery.first(50).state(RunState.FAILED).after(new RunQuery.Key(100, "x-1:t300")),
                        g -> g.state() == RunState.FAILED && (g.updatedAt() < 100 || g.updatedAt() == 100 && g.runId().compareTo("x-1:t300") < 0)),
                new Case(RunQuery.first(50).after(deep), afterDeep));
        try (PostgresStore store = PostgresStore.open(url); Connection c = DriverManager.getConnection(url)) {
            for (Case k : cases) {
                for (TenantScope scope : List.of(TenantScope.ALL, alpha)) {
                    Predicate<Gen> inScope = scope.all() ? g -> true : g -> scope.contains(g.tenant());
                    List<String> expected = all.stream().filter(k.filter().and(inScope)).sorted(ORDER).limit(51)
                            .map(Gen::runId).toList();
                    Store.RunPage page = store.runsPage(k.query(), scope);
                    assertThat(page.runs()).extracting(RunRow::runId).as(k.query() + " in " + scope)
                            .containsExactlyElementsOf(expected.subList(0, Math.min(50, expected.size())));
                    assertThat(page.next().isPresent()).isEqualTo(expected.size() > 50);
                    System.out.println("runs page " + k.query() + " in " + scope + ":\n" + plan(c, k.query(), scope));
                }
            }
        }
    }

    private static String plan(Connection c, RunQuery q, TenantScope scope) throws SQLException {
        RunQuerySql.Sql sql = PgQueries.pageSql(q, scope);
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, COSTS OFF) " + sql.text())) {
            sql.bind(ps);
            StringBuilder out = new StringBuilder();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.append("  ").append(rs.getString(1)).append('\n');
                }
            }
            return out.toString();
        }
    }
}
