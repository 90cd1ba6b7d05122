package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.auth.TenantScope;
import io.myriad.core.delivery.Delivery;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.RunState;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deliveries on SQLite: every field kept, replaced by id, filtered, scoped by tenant, migrated. */
class SqliteDeliveriesTest {
    private static final TenantScope ALPHA = TenantScope.only(Set.of("alpha"));

    static Delivery delivery(String id, String tenant, String execution, String task, Delivery.Verdict verdict, long at) {
        boolean verified = verdict == Delivery.Verdict.VERIFIED;
        return new Delivery(id, execution + ":" + task, execution, tenant, task, "sim-model", verdict,
                "tests failed before and pass after", "fixed the off-by-one in parse()",
                verified ? Optional.of("myriad/" + task) : Optional.empty(),
                verified ? Optional.of("0123456789abcdef0123456789abcdef01234567") : Optional.empty(),
                verified ? Optional.of("/tmp/patches/" + task + ".patch") : Optional.empty(),
                verdict == Delivery.Verdict.REFUSED ? "" : "diff --git a/x.py b/x.py\n-a\n+b\n",
                List.of("x.py", "src/\"quoted\" ü.py"),
                List.of(new Delivery.Check("test_before", "pytest -q tests/test_x.py", 1, 1_234, false, "1 failed\n"),
                        new Delivery.Check("test_after", "pytest -q tests/test_x.py", 0, 987, true, "1 passed \u2713\n")),
                at);
    }

    @Test
    void everyFieldSurvivesTheRoundTripAndARecordIsReplacedById(@TempDir Path dir) {
        try (SqliteStore s = SqliteStore.open(dir.resolve("m.db"))) {
            Delivery verified = delivery("sub-1", "alpha", "fix-1", "t1", Delivery.Verdict.VERIFIED, 100);
            Delivery refused = new Delivery("sub-2", "fix-1:t2", "fix-1", "alpha", "t2", "m", Delivery.Verdict.REFUSED,
                    "empty diff", "", Optional.empty(), Optional.empty(), Optional.empty(), "", List.of(), List.of(), 101);
            s.record(verified);
            s.record(refused);
            assertThat(s.delivery("sub-1", TenantScope.ALL)).contains(verified);
            assertThat(s.delivery("sub-2", ALPHA)).contains(refused);

            Delivery again = delivery("sub-1", "alpha", "fix-1", "t1", Delivery.Verdict.UNVERIFIED, 200);
            s.record(again);
            assertThat(s.delivery("sub-1", ALPHA)).contains(again);
            assertThat(s.deliveries(TenantScope.ALL, Optional.empty(), Optional.empty(), 10)).hasSize(2);
        }
        try (SqliteStore s = SqliteStore.open(dir.resolve("m.db"))) {
            assertThat(s.delivery("sub-1", ALPHA).orElseThrow().verdict()).as("durable").isEqualTo(Delivery.Verdict.UNVERIFIED);
        }
    }

    @Test
    void listingsAreNewestFirstAndFilterByExecutionVerdictAndLimit(@TempDir Path dir) {
        try (SqliteStore s = SqliteStore.open(dir.resolve("m.db"))) {
            s.record(delivery("a", "alpha", "fix-1", "t1", Delivery.Verdict.VERIFIED, 10));
            s.record(delivery("b", "alpha", "fix-1", "t2", Delivery.Verdict.UNVERIFIED, 30));
            s.record(delivery("c", "alpha", "fix-2", "t1", Delivery.Verdict.VERIFIED, 20));
            s.record(delivery("d", "alpha", "fix-2", "t3", Delivery.Verdict.REFUSED, 40));

            assertThat(ids(s.deliveries(ALPHA, Optional.empty(), Optional.empty(), 10))).containsExactly("d", "b", "c", "a");
            assertThat(ids(s.deliveries(ALPHA, Optional.of("fix-1"), Optional.empty(), 10))).containsExactly("b", "a");
            assertThat(ids(s.deliveries(ALPHA, Optional.empty(), Optional.of(Delivery.Verdict.VERIFIED), 10)))
                    .containsExactly("c", "a");
            assertThat(ids(s.deliveries(ALPHA, Optional.of("fix-2"), Optional.of(Delivery.Verdict.VERIFIED), 10)))
                    .containsExactly("c");
            assertThat(ids(s.deliveries(ALPHA, Optional.empty(), Optional.empty(), 2))).containsExactly("d", "b");
            assertThat(s.deliveries(ALPHA, Optional.of("nope-1"), Optional.empty(), 10)).isEmpty();
        }
    }

    @Test
    void aDeliveryOfAnotherTenantIsInvisible(@TempDir Path dir) {
        try (SqliteStore s = SqliteStore.open(dir.resolve("m.db"))) {
            s.record(delivery("mine", "alpha", "fa-1", "t1", Delivery.Verdict.VERIFIED, 10));
            s.record(delivery("theirs", "beta", "fb-1", "t1", Delivery.Verdict.VERIFIED, 20));

            assertThat(ids(s.deliveries(ALPHA, Optional.empty(), Optional.empty(), 10))).containsExactly("mine");
            assertThat(s.deliveries(ALPHA, Optional.of("fb-1"), Optional.empty(), 10)).isEmpty();
            assertThat(s.delivery("theirs", ALPHA)).isEmpty();
            assertThat(s.delivery("theirs", TenantScope.only(Set.of("beta", "gamma")))).isPresent();
            assertThat(s.delivery("mine", TenantScope.only(Set.of()))).isEmpty();
            assertThat(s.deliveries(TenantScope.only(Set.of()), Optional.empty(), Optional.empty(), 10)).isEmpty();
            assertThat(ids(s.deliveries(TenantScope.ALL, Optional.empty(), Optional.empty(), 10)))
                    .containsExactly("theirs", "mine");
        }
    }

    @Test
    void aVersion7DatabaseIsMigratedKeepingItsRows(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.db");
        try (SqliteStore s = SqliteStore.open(file)) {
            s.createExecution("alpha", "fix", "d", "fix.yaml", 1, 5);
        }
        // Take the database back to what version 7 wrote: no deliveries table.
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            st.execute("DROP TABLE deliveries");
            st.execute("PRAGMA user_version=7");
        }
        try (SqliteStore s = SqliteStore.open(file)) {
            assertThat(s.execution("fix-1")).isPresent();
            s.record(delivery("sub-1", "alpha", "fix-1", "t1", Delivery.Verdict.VERIFIED, 10));
            assertThat(s.delivery("sub-1", ALPHA)).isPresent();
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("PRAGMA user_version")) {
                assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(8);
            }
            try (ResultSet rs = st.executeQuery(
                    "SELECT count(*) FROM sqlite_master WHERE type='index' AND tbl_name='deliveries'")) {
                assertThat(rs.getInt(1)).as("indexes").isGreaterThanOrEqualTo(1);
            }
        }
    }

    @Test
    void recordsGoThroughWhileTheJournalWriterIsBusy(@TempDir Path dir) throws Exception {
        try (SqliteStore s = SqliteStore.openWithSlowWriter(dir.resolve("m.db"), 64, 8, () -> sleep(2));
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> work = new ArrayList<>();
            for (int r = 0; r < 8; r++) {
                String runId = "fix-1:t" + r;
                work.add(pool.submit(() -> {
                    s.append(new Journal.Append(runId, 0, List.of(new RunEvent.RunStarted(1, "fix", "fix-1", runId, "a", "in", "m")),
                            new RunStatus(RunState.AWAITING_MODEL, 1, 0, 0, 1, ""))).join();
                    for (int i = 1; i < 20; i++) {
                        s.append(new Journal.Append(runId, i, List.of(new RunEvent.ModelRetried(i, i, "x", 0)),
                                new RunStatus(RunState.AWAITING_MODEL, i, 0, 0, i, ""))).join();
                    }
                    return null;
                }));
                int n = r;
                work.add(pool.submit(() -> {
                    for (int i = 0; i < 20; i++) {
                        s.record(delivery("sub-" + n + "-" + i, "alpha", "fix-1", "t" + n, Delivery.Verdict.UNVERIFIED, i));
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertThat(s.deliveries(ALPHA, Optional.empty(), Optional.empty(), 1_000)).hasSize(160);
            assertThat(s.read("fix-1:t7")).hasSize(20);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<String> ids(List<Delivery> deliveries) {
        return deliveries.stream().map(Delivery::id).toList();
    }
}
