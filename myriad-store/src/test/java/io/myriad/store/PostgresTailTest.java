package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.RunState;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The live tail on PostgreSQL, where several nodes write at once: a reader following {@code
 * eventsAfter} sees every event exactly once, in position order, however the nodes' commits
 * interleave; a database migrated from before positions numbers its events; the writer tells
 * listeners when it stalls and resumes.
 */
class PostgresTailTest {
    private static PostgresStore open(String url) {
        return PostgresStore.open(new PostgresStore.Options(url, 4, 16_384, 200));
    }

    private static RunStatus status(long at) {
        return new RunStatus(RunState.ACTING, 1, 1, 1, 0, at, "");
    }

    /** Appends {@code appends} appends of 1 to 3 events to each run, from one virtual thread per run. */
    private static List<Future<?>> write(ExecutorService threads, PostgresStore node, String prefix, int runs, int appends) {
        List<Future<?>> out = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            String runId = prefix + "-1:t" + r;
            out.add(threads.submit(() -> {
                node.append(new Journal.Append(runId, 0, List.of(new RunEvent.RunStarted(1, prefix, prefix + "-1", "t", "a", "in", "m")),
                        status(1))).join();
                long seq = 1;
                for (int i = 0; i < appends; i++) {
                    int n = 1 + (i % 3);
                    List<RunEvent> events = new ArrayList<>();
                    for (int k = 0; k < n; k++) {
                        events.add(new RunEvent.ModelRetried(2 + i, k, "x", 0));
                    }
                    node.append(new Journal.Append(runId, seq, events, status(2 + i))).join();
                    seq += n;
                }
                return null;
            }));
        }
        return out;
    }

    @Test
    void aReaderFollowingTwoNodesWritingAtOnceSeesEveryEventOnceInPositionOrder() throws Exception {
        int runs = 24;
        int appends = 60;
        try (PostgresStore a = open(PgTestServer.freshUrl()); PostgresStore b = open(a.options().url());
             PostgresStore reader = open(a.options().url());
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            AtomicBoolean writing = new AtomicBoolean(true);
            List<Store.TailRow> seen = new ArrayList<>();
            Future<?> follower = threads.submit(() -> {
                long cursor = 0;
                while (true) {
                    boolean last = !writing.get(); // read once more after the writers are done
                    List<Store.TailRow> next = reader.eventsAfter(cursor, 97);
                    seen.addAll(next);
                    if (!next.isEmpty()) {
                        cursor = next.getLast().rowid();
                    } else if (last) {
                        return null;
                    }
                }
            });
            List<Future<?>> writers = new ArrayList<>(write(threads, a, "na", runs, appends));
            writers.addAll(write(threads, b, "nb", runs, appends));
            for (Future<?> w : writers) {
                w.get(120, TimeUnit.SECONDS);
            }
            writing.set(false);
            follower.get(60, TimeUnit.SECONDS);

            long perRun = 1 + java.util.stream.IntStream.range(0, appends).map(i -> 1 + i % 3).sum();
            assertThat(a.size().events()).isEqualTo(2 * runs * perRun);
            for (int i = 1; i < seen.size(); i++) {
                assertThat(seen.get(i).rowid()).as("positions strictly increase").isGreaterThan(seen.get(i - 1).rowid());
            }
            Map<String, Long> nextSeq = new HashMap<>();
            for (Store.TailRow row : seen) {
                long expected = nextSeq.getOrDefault(row.runId(), 0L);
                assertThat(row.seq()).as("each run's events once, in seq order: " + row.runId()).isEqualTo(expected);
                nextSeq.put(row.runId(), expected + 1);
            }
            assertThat(nextSeq).hasSize(2 * runs).allSatisfy((run, next) -> assertThat(next).as(run).isEqualTo(perRun));
            assertThat(seen).hasSize((int) (2 * runs * perRun));
            assertThat(reader.eventsHead()).isEqualTo(seen.getLast().rowid());
            System.out.println("tail: " + seen.size() + " events of two nodes followed once each; writers: "
                    + a.writerStats() + ", " + b.writerStats());
        }
    }

    @Test
    void aDatabaseMigratedFromBeforePositionsNumbersItsEvents() throws SQLException {
        String url = PgTestServer.freshUrl();
        try (PostgresStore s = open(url)) {
            for (int r = 0; r < 3; r++) {
                s.append(new Journal.Append("x-1:t" + r, 0, List.of(new RunEvent.RunStarted(1, "x", "x-1", "t", "a", "in", "m")),
                        status(1))).join();
            }
        }
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE events DROP COLUMN pos"); // drops the sequence it owns and the index
            st.execute("DROP TABLE limit_slices"); // a later cluster step, migrated again too
            st.execute("UPDATE cluster_schema_version SET version = 1");
        }
        try (PostgresStore s = open(url)) {
            List<Store.TailRow> old = s.eventsAfter(0, 100);
            assertThat(old).extracting(Store.TailRow::runId).containsExactlyInAnyOrder("x-1:t0", "x-1:t1", "x-1:t2");
            s.append(new Journal.Append("x-1:t0", 1, List.of(new RunEvent.ModelRetried(2, 1, "x", 0)), status(2))).join();
            assertThat(s.eventsAfter(old.getLast().rowid(), 100)).extracting(Store.TailRow::runId, Store.TailRow::seq)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("x-1:t0", 1L));
            assertThat(s.eventsHead()).isGreaterThan(old.getLast().rowid());
        }
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT version FROM cluster_schema_version")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(PgSchema.CLUSTER_VERSION);
        }
    }

    @Test
    void listenersHearTheWriterStallWhenItsConnectionIsKilledAndResume() throws Exception {
        String app = "myriad-tail-test-" + ProcessHandle.current().pid();
        String url = PgTestServer.freshUrl() + "&ApplicationName=" + app;
        try (PostgresStore s = open(url)) {
            List<JournalHealth> changes = new CopyOnWriteArrayList<>();
            s.onHealthChange(changes::add);
            s.append(new Journal.Append("h-1:t", 0, List.of(new RunEvent.RunStarted(1, "h", "h-1", "t", "a", "in", "m")),
                    status(1))).join();
            assertThat(changes).isEmpty();
            try (Connection c = DriverManager.getConnection(PgTestServer.baseUrl()); Statement st = c.createStatement();
                 var rs = st.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '"
                         + app + "' AND query = 'COMMIT'")) { // the writer's, not the pool's
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
            CompletableFuture<Void> after = s.append(new Journal.Append("h-1:t", 1, List.of(new RunEvent.ModelRetried(2, 1, "x", 0)),
                    status(2)));
            after.get(30, TimeUnit.SECONDS);
            long deadline = System.currentTimeMillis() + 10_000;
            while (changes.size() < 2 && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertThat(changes).extracting(JournalHealth::ok).containsExactly(false, true);
            assertThat(changes.getFirst().problem()).contains("journal stalled");
            assertThat(s.health().ok()).isTrue();
            assertThat(s.read("h-1:t")).hasSize(2);
        }
    }
}
