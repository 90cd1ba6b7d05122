package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalContract;
import io.myriad.core.journal.JournalFenceException;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.run.RunState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite journal keeps the journal contract, and what only a real database can show. */
class SqliteJournalTest extends JournalContract {
    @TempDir
    Path dir;

    private int opened;

    @Override
    protected Journal newJournal() {
        return SqliteStore.open(dir.resolve("j" + (opened++) + ".db"));
    }

    @Test
    void aSecondStoreOnTheSameFileIsFencedLikeAStaleNode() {
        Path file = dir.resolve("shared.db");
        try (SqliteStore a = SqliteStore.open(file); SqliteStore b = SqliteStore.open(file)) {
            join(a.append(new Journal.Append("r", 0, List.of(started("t")), status(RunState.AWAITING_MODEL))));
            join(a.append(new Journal.Append("r", 1, List.of(responded("c1")), status(RunState.ACTING))));
            // b read the run when it had one event, paused, and now wakes up.
            assertThatThrownBy(() -> join(b.append(new Journal.Append("r", 1, List.of(responded("zombie")), status(RunState.ACTING)))))
                    .isInstanceOf(JournalFenceException.class);
            assertThat(b.read("r")).hasSize(2);
            assertThat(b.read("r").get(1).event()).isEqualTo(responded("c1"));
            // b may continue from what is really there.
            join(b.append(new Journal.Append("r", 2, List.of(new RunEvent.ToolCallStarted(5, "c1", "fs.read", "k")), status(RunState.ACTING))));
            assertThat(a.read("r")).hasSize(3);
        }
    }

    @Test
    void anOwnedAppendIsFencedBySequenceOnlyOnOneNode() {
        try (SqliteStore s = SqliteStore.open(dir.resolve("owned.db"))) {
            var owner = new Journal.Owner("node-a", 7);
            join(s.append(new Journal.Append("r", 0, List.of(started("t")), status(RunState.AWAITING_MODEL)).ownedBy(owner)));
            join(s.append(new Journal.Append("r", 1, List.of(responded("c1")), status(RunState.ACTING))
                    .ownedBy(new Journal.Owner("node-b", 1))));
            assertThatThrownBy(() -> join(s.append(new Journal.Append("r", 1, List.of(responded("c2")), status(RunState.ACTING))
                    .ownedBy(owner)))).isInstanceOf(JournalFenceException.class);
            assertThat(s.read("r")).hasSize(2);
        }
    }

    @Test
    void eventsSurviveCloseAndReopen() {
        Path file = dir.resolve("durable.db");
        try (SqliteStore s = SqliteStore.open(file)) {
            join(s.append(new Journal.Append("r", 0, List.of(started("t")), status(RunState.AWAITING_MODEL))));
        }
        try (SqliteStore s = SqliteStore.open(file)) {
            assertThat(s.read("r")).singleElement().satisfies(r -> assertThat(r.event()).isEqualTo(started("t")));
            assertThat(s.run("r")).get().satisfies(row -> {
                assertThat(row.task()).isEqualTo("t");
                assertThat(row.seq()).isEqualTo(1);
                assertThat(row.status().state()).isEqualTo(RunState.AWAITING_MODEL);
            });
        }
    }

    @Test
    void aTinyQueueSlowsProducersButLosesNothing() throws Exception {
        // Capacity 2 and batches of 2: producers must block on a full queue most of the time.
        try (SqliteStore s = SqliteStore.open(dir.resolve("bp.db"), SqliteStore.Sync.NORMAL, 2, 2);
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int r = 0; r < 100; r++) {
                String runId = "r" + r;
                futures.add(pool.submit(() -> {
                    join(s.append(new Journal.Append(runId, 0, List.of(started(runId)), status(RunState.AWAITING_MODEL))));
                    for (int i = 1; i < 10; i++) {
                        join(s.append(new Journal.Append(runId, i, List.of(new RunEvent.ModelRetried(i, i, "x", 0)),
                                status(RunState.AWAITING_MODEL))));
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            assertThat(s.size().events()).isEqualTo(1_000);
        }
    }

    @Test
    void aSlowDiskBlocksProducersAndLosesNothing() throws Exception {
        // Every transaction takes 5 ms more, as on a slow disk; the queue holds 4 appends.
        java.util.concurrent.atomic.AtomicInteger maxBlocked = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger blocked = new java.util.concurrent.atomic.AtomicInteger();
        Runnable slow = () -> {
            maxBlocked.accumulateAndGet(blocked.get(), Math::max);
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        int runs = 40;
        int appends = 15;
        try (SqliteStore s = SqliteStore.openWithSlowWriter(dir.resolve("slow.db"), 4, 4, slow);
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int r = 0; r < runs; r++) {
                String runId = "slow-" + r;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < appends; i++) {
                        List<RunEvent> events = i == 0 ? List.of(started(runId)) : List.of(new RunEvent.ModelRetried(i, i, "x", 0));
                        blocked.incrementAndGet();
                        var f = s.append(new Journal.Append(runId, i, events, status(RunState.AWAITING_MODEL)));
                        blocked.decrementAndGet();
                        join(f);
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            assertThat(s.size().events()).isEqualTo((long) runs * appends);
            for (int r = 0; r < runs; r++) {
                assertThat(s.read("slow-" + r)).extracting(io.myriad.core.journal.JournalRecord::seq)
                        .containsExactlyElementsOf(java.util.stream.LongStream.range(0, appends).boxed().toList());
            }
        }
        // Producers were held in append() by the full queue while the writer was slow.
        assertThat(maxBlocked.get()).isGreaterThan(4);
    }

    @Test
    void closingDrainsAppendsAlreadyQueued() {
        Path file = dir.resolve("drain.db");
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        try (SqliteStore s = SqliteStore.open(file)) {
            for (int r = 0; r < 500; r++) {
                pending.add(s.append(new Journal.Append("r" + r, 0, List.of(started("t" + r)), status(RunState.AWAITING_MODEL))));
            }
        }
        assertThat(pending).allSatisfy(f -> assertThat(f).isCompleted().isNotCompletedExceptionally());
        try (SqliteStore s = SqliteStore.open(file)) {
            assertThat(s.size().events()).isEqualTo(500);
        }
    }

    @Test
    void executionsAreNumberedPerFleetAndResumable() {
        try (SqliteStore s = SqliteStore.open(dir.resolve("exec.db"))) {
            RunRepository.Execution first = s.createExecution("hello", "d1", "hello.yaml", 3, 10);
            assertThat(first.id()).isEqualTo("hello-1");
            assertThat(s.unfinishedExecution("hello")).contains(first);
            s.finishExecution(first.id(), 20);
            assertThat(s.unfinishedExecution("hello")).isEmpty();
            assertThat(s.createExecution("hello", "d1", "hello.yaml", 3, 30).id()).isEqualTo("hello-2");
            assertThat(s.createExecution("other", "d2", "other.yaml", 1, 40).id()).isEqualTo("other-1");
            assertThat(s.executions(10)).extracting(RunRepository.Execution::id).containsExactly("other-1", "hello-2", "hello-1");
        }
    }
}
