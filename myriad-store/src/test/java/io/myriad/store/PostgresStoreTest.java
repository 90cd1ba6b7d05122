package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.MyriadException;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.RunState;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** What only PostgreSQL shows: racing migrations, a lost connection, the query plans at scale. */
class PostgresStoreTest {

    private static RunStatus status(RunState state) {
        return new RunStatus(state, 1, 1, 10, 0.1, 1_000, "");
    }

    private static RunEvent.RunStarted started(String execution, String task) {
        return new RunEvent.RunStarted(1_000, "f", execution, task, "a", "in", "m");
    }

    private static String scalar(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            StringBuilder out = new StringBuilder();
            while (rs.next()) {
                out.append(rs.getString(1)).append('\n');
            }
            return out.toString();
        }
    }

    @Test
    void openersOfANewSchemaAtOnceAllSucceedAndMigrateOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 5; round++) {
                String url = PgTestServer.freshUrl();
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Integer>> openers = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    openers.add(pool.submit(() -> {
                        go.await();
                        try (PostgresStore s = PostgresStore.open(url)) {
                            return s.executions(10).size();
                        }
                    }));
                }
                go.countDown();
                for (Future<Integer> f : openers) {
                    assertThat(f.get()).isZero();
                }
                assertThat(scalar(url, "SELECT version FROM schema_version")).isEqualTo(PgSchema.VERSION + "\n");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aSchemaOfANewerMyriadIsRefused() throws Exception {
        String url = PgTestServer.freshUrl();
        PostgresStore.open(url).close();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("UPDATE schema_version SET version = 99");
        }
        assertThatThrownBy(() -> PostgresStore.open(url)).isInstanceOf(MyriadException.class)
                .hasMessageContaining("newer Myriad (schema 99");
    }

    @Test
    void theWriterRidesOutAKilledConnection() throws Exception {
        String url = PgTestServer.freshUrl();
        try (PostgresStore s = PostgresStore.open(url)) {
            s.append(new Journal.Append("f-1:t", 0, List.of(started("f-1", "t")), status(RunState.AWAITING_MODEL))).join();
            // An administrator (or a failover) ends the writer's session.
            scalar(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'myriad-journal-writer'");
            s.append(new Journal.Append("f-1:t", 1, List.of(new RunEvent.ModelRetried(2, 1, "x", 0)), status(RunState.FAILED))).join();
            assertThat(s.read("f-1:t")).hasSize(2);
            assertThat(s.run("f-1:t")).get().satisfies(r -> assertThat(r.status().state()).isEqualTo(RunState.FAILED));
            assertThat(s.health().ok()).isTrue();
        }
    }

    @Test
    void theApiQueriesAreIndexRangesOverManyRunsAndEvents() throws Exception {
        String url = PgTestServer.freshUrl();
        try (PostgresStore s = PostgresStore.open(url)) {
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                st.execute("""
                        INSERT INTO runs SELECT 'x-' || (i % 50) || ':t' || i, 'x-' || (i % 50), 'x', 't' || i, 'a', 10, 'SUCCEEDED',
                          1, 1, 1, 0.1, i, '' FROM generate_series(1, 100000) i""");
                st.execute("""
                        INSERT INTO events SELECT 'x-' || (i % 50) || ':t' || i, k, 'model_retried', k, '{}'
                          FROM generate_series(1, 50000) i, generate_series(0, 9) k""");
                st.execute("ANALYZE runs");
                st.execute("ANALYZE events");
            }
            for (String query : List.of(
                    "SELECT seq, body FROM events WHERE run_id='x-7:t7' AND seq>-1 ORDER BY seq",
                    "SELECT r.run_id FROM runs r LEFT JOIN executions e ON e.id = r.execution"
                            + " WHERE r.run_id>='x-7:t7~' AND r.run_id<'x-7:t7\u007f' AND r.execution='x-7' ORDER BY r.run_id",
                    "SELECT r.run_id FROM runs r LEFT JOIN executions e ON e.id = r.execution WHERE r.execution='x-7' ORDER BY r.run_id",
                    "SELECT 1 FROM events e WHERE e.run_id = 'x-7:t7' AND e.seq = 4")) {
                String plan = scalar(url, "EXPLAIN " + query);
                assertThat(plan).as(query).doesNotContain("Seq Scan on runs").doesNotContain("Seq Scan on events");
            }
        }
    }
}
