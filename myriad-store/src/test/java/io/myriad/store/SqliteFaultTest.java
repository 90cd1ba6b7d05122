package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.myriad.core.MyriadException;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalFenceException;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.RunState;
import java.nio.file.Path;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Real faults of the disk and of the file under the journal: the writer stalls, acknowledges
 * nothing it has not committed, loses nothing, and resumes when the fault clears.
 */
class SqliteFaultTest {
    /** Short lock waits and back-off, so that faults show within a second; close waits 10 s. */
    private static final JournalWriter.Settings QUICK = new JournalWriter.Settings(200, 5, 50, 10_000, () -> { });

    /** Long enough for any condition here on a slow, shared machine; only reached when something is broken. */
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aFullDiskStallsTheJournalUntilSpaceIsFreedAndLosesNothing() throws Exception {
        Path file = dir.resolve("full.db");
        List<JournalHealth> changes = new CopyOnWriteArrayList<>();
        int runs = 12; // more than the queue and a batch hold, so that some wait inside append()
        int appendsPerRun = 10;
        // The store closes first: should the test fail while stalled, closing it releases the producers.
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
             SqliteStore s = SqliteStore.open(file, SqliteStore.Sync.NORMAL, 4, 4, QUICK)) {
            s.onHealthChange(changes::add);
            // SQLite raises a cap below the current size to the current size: no page can be added.
            long cap = s.setMaxPageCountForTest(1).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(cap).isPositive();

            Producers producers = new Producers(s, pool, "full-", runs, appendsPerRun, 1_500);
            waitUntil(() -> !s.health().ok(), "the journal to stall on the full disk");
            JournalHealth stalled = s.health();
            assertThat(stalled.problem())
                    .startsWith("journal stalled: disk full (SQLITE_FULL)")
                    .contains(file.toAbsolutePath().toString())
                    .contains("new work is paused and nothing acknowledged is lost")
                    .contains("free space");
            // The queue of 4 fills up: producers are held inside append(), as runs would be.
            waitUntil(() -> producers.insideAppend.get() > 0, "producers to block on the full queue");
            long stored = s.size().events();
            waitUntil(() -> s.health().retries() >= stalled.retries() + 3, "the writer to retry");
            JournalHealth later = s.health();
            // Still the same stall (a commit would have ended it), so nothing was written meanwhile.
            assertThat(later.ok()).isFalse();
            assertThat(later.since()).isEqualTo(stalled.since());
            assertThat(s.size().events()).isEqualTo(stored);
            assertThat(producers.finished.get()).isZero();
            // Whatever was acknowledged before is in the journal.
            producers.assertAcknowledgedAreStored(s);

            s.setMaxPageCountForTest(1_000_000).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            producers.awaitAll();
            producers.assertJournalHoldsEverythingOnceInOrder(s);
            assertThat(s.health().ok()).isTrue();
            assertThat(s.health().retries()).isZero();
        }
        assertThat(changes).extracting(JournalHealth::ok).containsExactly(false, true);
        assertThat(changes.getFirst().problem()).contains("disk full");
    }

    @Test
    void aDatabaseLockedByAnotherProcessStallsTheJournalUntilReleased() throws Exception {
        Path file = dir.resolve("locked.db");
        int runs = 12; // more than the queue and a batch hold, so that some wait inside append()
        int appendsPerRun = 10;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
             SqliteStore s = SqliteStore.open(file, SqliteStore.Sync.NORMAL, 4, 4, QUICK);
             Connection other = connect(file)) {
            s.append(new Journal.Append("before", 0, List.of(started("before")), status(RunState.AWAITING_MODEL))).join();
            exec(other, "BEGIN EXCLUSIVE");

            Producers producers = new Producers(s, pool, "locked-", runs, appendsPerRun, 200);
            waitUntil(() -> !s.health().ok(), "the journal to stall on the lock");
            assertThat(s.health().problem())
                    .startsWith("journal stalled: database is locked by another process (SQLITE_BUSY)")
                    .contains(file.toAbsolutePath().toString())
                    .contains("nothing acknowledged is lost");
            waitUntil(() -> producers.insideAppend.get() > 0, "producers to block on the full queue");
            waitUntil(() -> s.health().retries() >= 3, "the writer to retry");
            assertThat(producers.finished.get()).isZero();
            // Reads go on beside the lock (WAL).
            assertThat(s.read("before")).hasSize(1);

            exec(other, "COMMIT");
            producers.awaitAll();
            producers.assertJournalHoldsEverythingOnceInOrder(s);
            assertThat(s.health().ok()).isTrue();
            assertThat(s.read("before")).hasSize(1);
        }
    }

    @Test
    void aStaleAppendRetriedWithGoodOnesAfterAFaultIsFencedAlone() throws Exception {
        Path file = dir.resolve("fence.db");
        try (SqliteStore s = SqliteStore.open(file, SqliteStore.Sync.NORMAL, 64, 64, QUICK);
             Connection other = connect(file)) {
            join(s.append(new Journal.Append("old", 0, List.of(started("old")), status(RunState.AWAITING_MODEL))));
            join(s.append(new Journal.Append("old", 1, List.of(retried(1)), status(RunState.AWAITING_MODEL))));
            join(s.append(new Journal.Append("racy", 0, List.of(started("racy")), status(RunState.AWAITING_MODEL))));
            exec(other, "BEGIN EXCLUSIVE");

            // Hold the writer so that every append below goes into one transaction.
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            s.onWriterThreadForTest(() -> {
                held.countDown();
                await(release);
            });
            await(held);
            var good1 = s.append(new Journal.Append("good-1", 0, List.of(started("g1"), retried(1)), status(RunState.AWAITING_MODEL)));
            var stale = s.append(new Journal.Append("old", 1, List.of(retried(99)), status(RunState.AWAITING_MODEL)));
            var racy = s.append(new Journal.Append("racy", 1, List.of(retried(1)), status(RunState.AWAITING_MODEL)));
            var good2 = s.append(new Journal.Append("good-2", 0, List.of(started("g2")), status(RunState.AWAITING_MODEL)));
            var good1Next = s.append(new Journal.Append("good-1", 2, List.of(retried(2)), status(RunState.AWAITING_MODEL)));
            release.countDown();

            waitUntil(() -> !s.health().ok(), "the journal to stall on the lock");
            // While the batch is held, the process holding the lock appends to "racy" first:
            // the retry must see it and fence the store's append, not write over or beside it.
            exec(other, "INSERT INTO events(run_id, seq, type, at, body) VALUES ('racy', 1, 'model_retried', 5, '"
                    + io.myriad.core.journal.EventCodec.encode(retried(7)) + "')");
            exec(other, "COMMIT");

            join(good1);
            join(good2);
            join(good1Next);
            assertThatThrownBy(() -> join(stale)).isInstanceOf(JournalFenceException.class);
            assertThatThrownBy(() -> join(racy)).isInstanceOf(JournalFenceException.class);
            assertThat(s.read("good-1")).extracting(JournalRecord::event).containsExactly(started("g1"), retried(1), retried(2));
            assertThat(s.read("good-2")).extracting(JournalRecord::event).containsExactly(started("g2"));
            assertThat(s.read("old")).extracting(JournalRecord::event).containsExactly(started("old"), retried(1));
            assertThat(s.read("racy")).extracting(JournalRecord::event).containsExactly(started("racy"), retried(7));
            assertThat(s.health().ok()).isTrue();
        }
    }

    @Test
    void anAppendTheDatabaseRefusesFailsAloneAndTheRestOfItsTransactionCommits() throws Exception {
        Path file = dir.resolve("refused.db");
        try (SqliteStore s = SqliteStore.open(file, SqliteStore.Sync.NORMAL, 64, 64, QUICK);
             Connection other = connect(file)) {
            join(s.append(new Journal.Append("edited", 0, List.of(started("edited")), status(RunState.AWAITING_MODEL))));
            join(s.append(new Journal.Append("edited", 1, List.of(retried(1)), status(RunState.AWAITING_MODEL))));
            join(s.append(new Journal.Append("old", 0, List.of(started("old")), status(RunState.AWAITING_MODEL))));
            // Someone edited the journal by hand: seq 3 exists, seq 2 does not.
            exec(other, "INSERT INTO events(run_id, seq, type, at, body) VALUES ('edited', 3, 'model_retried', 5, '"
                    + io.myriad.core.journal.EventCodec.encode(retried(3)) + "')");

            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            s.onWriterThreadForTest(() -> {
                held.countDown();
                await(release);
            });
            await(held);
            var good1 = s.append(new Journal.Append("good-1", 0, List.of(started("g1")), status(RunState.AWAITING_MODEL)));
            // Its second event collides with the hand-written one (a primary key violation).
            var refused = s.append(new Journal.Append("edited", 2, List.of(retried(2), retried(3)), status(RunState.AWAITING_MODEL)));
            var stale = s.append(new Journal.Append("old", 0, List.of(started("old")), status(RunState.AWAITING_MODEL)));
            var good2 = s.append(new Journal.Append("good-2", 0, List.of(started("g2"), retried(1)), status(RunState.AWAITING_MODEL)));
            release.countDown();

            join(good1);
            join(good2);
            assertThatThrownBy(() -> join(stale)).isInstanceOf(JournalFenceException.class);
            assertThatThrownBy(() -> join(refused))
                    .isInstanceOf(MyriadException.class)
                    .isNotInstanceOf(JournalFenceException.class)
                    .hasMessageContaining("refused by the database and NOT written")
                    .satisfies(e -> assertThat(((MyriadException) e).retriable()).isFalse());
            assertThat(s.read("good-1")).extracting(JournalRecord::event).containsExactly(started("g1"));
            assertThat(s.read("good-2")).extracting(JournalRecord::event).containsExactly(started("g2"), retried(1));
            assertThat(s.read("edited")).extracting(JournalRecord::seq).containsExactly(0L, 1L, 3L);
            assertThat(s.health().ok()).isTrue();
        }
    }

    @Test
    void appendsOfOneRunThatDoNotWaitForEachOtherShareATransaction() throws Exception {
        try (SqliteStore s = SqliteStore.open(dir.resolve("pipelined.db"), SqliteStore.Sync.NORMAL, 64, 64, QUICK)) {
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            s.onWriterThreadForTest(() -> {
                held.countDown();
                await(release);
            });
            await(held);
            // The second append's predecessor is the last event of the first, in the same transaction.
            var first = s.append(new Journal.Append("r", 0, List.of(started("t"), retried(1), retried(2)), status(RunState.AWAITING_MODEL)));
            var second = s.append(new Journal.Append("r", 3, List.of(retried(3), retried(4)), status(RunState.AWAITING_MODEL)));
            var third = s.append(new Journal.Append("r", 5, List.of(retried(5)), status(RunState.AWAITING_MODEL)));
            release.countDown();
            join(first);
            join(second);
            join(third);
            assertThat(s.read("r")).extracting(JournalRecord::seq).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
            assertThat(s.writerStats().transactions()).isEqualTo(1);
        }
    }

    @Test
    void closingWhileStalledGivesUpAfterItsWaitAndFailsWhatWasNotWritten() throws Exception {
        Path file = dir.resolve("close.db");
        var closeSoon = new JournalWriter.Settings(100, 5, 50, 300, () -> { });
        List<CompletableFuture<Void>> futures = new CopyOnWriteArrayList<>();
        SqliteStore s = SqliteStore.open(file, SqliteStore.Sync.NORMAL, 4, 4, closeSoon);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor(); Connection other = connect(file)) {
            join(s.append(new Journal.Append("kept", 0, List.of(started("kept")), status(RunState.AWAITING_MODEL))));
            exec(other, "BEGIN EXCLUSIVE");
            AtomicInteger returned = new AtomicInteger();
            List<Future<?>> producers = new ArrayList<>();
            for (int r = 0; r < 12; r++) {
                String runId = "lost-" + r;
                producers.add(pool.submit(() -> {
                    futures.add(s.append(new Journal.Append(runId, 0, List.of(started(runId)), status(RunState.AWAITING_MODEL))));
                    returned.incrementAndGet();
                }));
            }
            waitUntil(() -> !s.health().ok(), "the journal to stall on the lock");

            // Bounded: the close wait (0.3 s) plus one attempt; a hang would fail here.
            assertTimeoutPreemptively(PATIENCE, s::close);
            for (Future<?> p : producers) {
                p.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            }
            assertThat(returned.get()).isEqualTo(12);
            assertThat(futures).hasSize(12).allSatisfy(f -> assertThatThrownBy(() -> join(f))
                    .isInstanceOf(MyriadException.class)
                    .hasMessageContaining("NOT written"));
            // The appends the writer held when it gave up say why.
            assertThat(futures).anySatisfy(f -> assertThatThrownBy(() -> join(f))
                    .hasMessageContaining("closed while stalled (journal stalled: database is locked"));
            assertThat(s.append(new Journal.Append("late", 0, List.of(started("late")), status(RunState.AWAITING_MODEL))))
                    .failsWithin(Duration.ZERO);
            exec(other, "ROLLBACK");
        }
        try (SqliteStore reopened = SqliteStore.open(file)) {
            assertThat(reopened.read("kept")).hasSize(1);
            assertThat(reopened.size().events()).isEqualTo(1);
        }
    }

    @Test
    void faultsOfTheEnvironmentAreToldApartFromFaultsOfTheAppend() {
        var full = new SQLiteException("[SQLITE_FULL] database or disk is full", SQLiteErrorCode.SQLITE_FULL);
        var wrapped = new BatchUpdateException("batch entry 3: " + full.getMessage(), null, 0, new long[0], full);
        assertThat(StorageFault.of(wrapped)).contains(StorageFault.FULL);
        assertThat(StorageFault.of(new SQLiteException("io", SQLiteErrorCode.SQLITE_IOERR_WRITE))).contains(StorageFault.IO_ERROR);
        assertThat(StorageFault.of(new SQLiteException("busy", SQLiteErrorCode.SQLITE_BUSY))).contains(StorageFault.LOCKED);
        assertThat(StorageFault.of(new SQLiteException("ro", SQLiteErrorCode.SQLITE_READONLY))).contains(StorageFault.READ_ONLY);
        assertThat(StorageFault.of(new SQLiteException("open", SQLiteErrorCode.SQLITE_CANTOPEN))).contains(StorageFault.CANNOT_OPEN);
        assertThat(StorageFault.of(new SQLiteException("pk", SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY))).isEmpty();
        assertThat(StorageFault.of(new SQLiteException("corrupt", SQLiteErrorCode.SQLITE_CORRUPT))).isEmpty();
        assertThat(StorageFault.of(new SQLException("no code"))).isEmpty();
        assertThat(StorageFault.codeName(wrapped)).isEqualTo("SQLITE_FULL");
    }

    @Test
    void aNewStoreIsHealthy() {
        try (SqliteStore s = SqliteStore.open(dir.resolve("new.db"))) {
            assertThat(s.health()).satisfies(h -> {
                assertThat(h.ok()).isTrue();
                assertThat(h.problem()).isEmpty();
                assertThat(h.retries()).isZero();
            });
        }
        assertThatThrownBy(() -> new JournalHealth(false, "", 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new JournalHealth(true, "", 0, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- helpers

    /** Runs that append one after another, each waiting for its previous append, as the run loop does. */
    private static final class Producers {
        final AtomicInteger insideAppend = new AtomicInteger();
        final AtomicInteger finished = new AtomicInteger();
        final String prefix;
        final int runs;
        final int appendsPerRun;
        final int payload;
        final AtomicInteger[] acknowledged;
        final List<Future<?>> futures = new ArrayList<>();

        Producers(SqliteStore s, ExecutorService pool, String prefix, int runs, int appendsPerRun, int payload) {
            this.prefix = prefix;
            this.runs = runs;
            this.appendsPerRun = appendsPerRun;
            this.payload = payload;
            this.acknowledged = new AtomicInteger[runs];
            for (int r = 0; r < runs; r++) {
                int run = r;
                acknowledged[r] = new AtomicInteger();
                futures.add(pool.submit(() -> {
                    long seq = 0;
                    for (int i = 0; i < appendsPerRun; i++) {
                        List<RunEvent> events = expected(run, i);
                        insideAppend.incrementAndGet();
                        CompletableFuture<Void> f;
                        try {
                            f = s.append(new Journal.Append(prefix + run, seq, events, status(RunState.AWAITING_MODEL)));
                        } finally {
                            insideAppend.decrementAndGet();
                        }
                        join(f);
                        seq += events.size();
                        acknowledged[run].incrementAndGet();
                    }
                    finished.incrementAndGet();
                    return null;
                }));
            }
        }

        /** The events of append {@code i} of run {@code run}: two per append after the first. */
        List<RunEvent> expected(int run, int i) {
            if (i == 0) {
                return List.of(started(prefix + run));
            }
            String text = ("run " + run + " append " + i + " ").repeat(payload / 20 + 1);
            return List.of(new RunEvent.ModelRetried(2L * i, i, text, 0), new RunEvent.ModelRetried(2L * i + 1, i, "second", 0));
        }

        List<RunEvent> expectedRun(int run, int appends) {
            List<RunEvent> all = new ArrayList<>();
            for (int i = 0; i < appends; i++) {
                all.addAll(expected(run, i));
            }
            return all;
        }

        void awaitAll() throws Exception {
            for (Future<?> f : futures) {
                f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            }
        }

        void assertAcknowledgedAreStored(SqliteStore s) {
            for (int r = 0; r < runs; r++) {
                int acked = acknowledged[r].get();
                List<RunEvent> stored = s.read(prefix + r).stream().map(JournalRecord::event).toList();
                assertThat(stored).startsWith(expectedRun(r, acked).toArray(RunEvent[]::new));
            }
        }

        void assertJournalHoldsEverythingOnceInOrder(SqliteStore s) {
            for (int r = 0; r < runs; r++) {
                List<JournalRecord> records = s.read(prefix + r);
                assertThat(records).extracting(JournalRecord::event).containsExactlyElementsOf(expectedRun(r, appendsPerRun));
                assertThat(records).extracting(JournalRecord::seq)
                        .containsExactlyElementsOf(java.util.stream.LongStream.range(0, records.size()).boxed().toList());
            }
            assertThat(finished.get()).isEqualTo(runs);
        }
    }

    /** A second connection to the journal's file, as another process would hold. */
    private static Connection connect(Path file) throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
        exec(c, "PRAGMA busy_timeout=30000");
        return c;
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static void waitUntil(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("gave up waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
                fail("gave up waiting for a latch");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
    }

    private static void join(CompletableFuture<Void> f) {
        try {
            f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | CompletionException e) {
            throw (RuntimeException) e.getCause();
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the append did not complete", e);
        }
    }

    private static RunEvent.RunStarted started(String task) {
        return new RunEvent.RunStarted(1_000, "f", "f-1", task, "a", "input of " + task, "m");
    }

    private static RunEvent.ModelRetried retried(int attempt) {
        return new RunEvent.ModelRetried(1_000 + attempt, attempt, "try " + attempt, 0);
    }

    private static RunStatus status(RunState state) {
        return new RunStatus(state, 1, 12, 0, 1_001, "");
    }
}
