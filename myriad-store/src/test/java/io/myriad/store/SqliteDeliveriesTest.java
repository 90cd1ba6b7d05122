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

/** Deliveries on SQLite only: migrated from version 7, recorded while the journal writer is busy ({@link AdminStoreContract} holds the rest). */
class SqliteDeliveriesTest {
    private static final TenantScope ALPHA = TenantScope.only(Set.of("alpha"));

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
            s.record(AdminStoreContract.delivery("sub-1", "alpha", "fix-1", "t1", Delivery.Verdict.VERIFIED, 10));
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
                        s.record(AdminStoreContract.delivery("sub-" + n + "-" + i, "alpha", "fix-1", "t" + n, Delivery.Verdict.UNVERIFIED, i));
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
}
