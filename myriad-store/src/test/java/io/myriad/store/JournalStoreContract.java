package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.audit.AuditEntry;
import io.myriad.core.audit.AuditLog;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalContract;
import io.myriad.core.journal.JournalFenceException;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.journal.RunRepository.RunRow;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.RunState;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What every store (SQLite, PostgreSQL) guarantees as a journal, a run repository and an audit
 * log: the journal's own contract, and what only a database shared by two stores can show.
 * A store's test supplies a fresh, empty store and a second store on the same database.
 */
abstract class JournalStoreContract<S extends Journal & RunRepository & AuditLog> extends JournalContract {

    /** A new store on a new, empty database; closed by the test. */
    protected abstract S newStore();

    /** A second store on the database of {@code store}, as a second node or process would open it. */
    protected abstract S openAgain(S store);

    @Override
    protected final Journal newJournal() {
        return newStore();
    }

    private static RunEvent.RunStarted startedIn(String execution, String task) {
        return new RunEvent.RunStarted(1_000, "f", execution, task, "a", "input of " + task, "m");
    }

    private static RunStatus status(RunState state, long updatedAt) {
        return new RunStatus(state, 2, 3, 40, 0.5, updatedAt, "d");
    }

    private static void start(Journal j, String execution, String runId) {
        join(j.append(new Journal.Append(runId, 0, List.of(startedIn(execution, runId)), status(RunState.AWAITING_MODEL, 1_000))));
    }

    @Test
    void theRunRowIsWrittenWithTheFirstAppendAndFollowsTheFinalOne() {
        try (S s = newStore()) {
            start(s, "f-1", "f-1:t1");
            assertThat(s.run("f-1:t1")).get().satisfies(row -> {
                assertThat(row.execution()).isEqualTo("f-1");
                assertThat(row.fleet()).isEqualTo("f");
                assertThat(row.task()).isEqualTo("f-1:t1");
                assertThat(row.agent()).isEqualTo("a");
                assertThat(row.seq()).isEqualTo(1);
                assertThat(row.status().state()).isEqualTo(RunState.AWAITING_MODEL);
            });
            join(s.append(new Journal.Append("f-1:t1", 1, List.of(responded("c1"), new RunEvent.ToolCallStarted(1_002, "c1", "fs.read", "k")),
                    status(RunState.ACTING, 1_002))));
            join(s.append(new Journal.Append("f-1:t1", 3, List.of(new RunEvent.ModelRetried(1_003, 1, "x", 0)),
                    new RunStatus(RunState.SUCCEEDED, 7, 8, 900, 1.25, 1_003, "done"))));
            assertThat(s.run("f-1:t1")).get().satisfies(row -> {
                assertThat(row.seq()).isEqualTo(4);
                assertThat(row.status()).isEqualTo(new RunStatus(RunState.SUCCEEDED, 7, 8, 900, 1.25, 1_003, "done"));
            });
            assertThat(s.run("nobody")).isEmpty();
        }
    }

    @Test
    void aSecondStartOfARunLeavesTheFirstUntouched() {
        try (S s = newStore()) {
            start(s, "f-1", "f-1:t1");
            assertThatThrownBy(() -> join(s.append(new Journal.Append("f-1:t1", 0, List.of(startedIn("f-2", "other")),
                    status(RunState.FAILED, 5_000))))).isInstanceOf(JournalFenceException.class);
            assertThat(s.read("f-1:t1")).singleElement().satisfies(r -> assertThat(r.event()).isEqualTo(startedIn("f-1", "f-1:t1")));
            assertThat(s.run("f-1:t1")).get().satisfies(row -> {
                assertThat(row.execution()).isEqualTo("f-1");
                assertThat(row.status().state()).isEqualTo(RunState.AWAITING_MODEL);
            });
        }
    }

    @Test
    void appendsOfOneRunQueuedWithoutWaitingAllLandInOrder() {
        try (S s = newStore()) {
            List<CompletableFuture<Void>> all = new ArrayList<>();
            all.add(s.append(new Journal.Append("p", 0, List.of(startedIn("f-1", "p")), status(RunState.AWAITING_MODEL, 1))));
            for (int i = 1; i < 50; i++) {
                all.add(s.append(new Journal.Append("p", i, List.of(new RunEvent.ModelRetried(i, i, "x", 0)),
                        status(RunState.AWAITING_MODEL, i))));
            }
            all.forEach(JournalContract::join);
            assertThat(s.read("p")).extracting(JournalRecord::seq).containsExactlyElementsOf(
                    java.util.stream.LongStream.range(0, 50).boxed().toList());
        }
    }

    @Test
    void aStaleStoreOnTheSameDatabaseIsFencedLikeAStaleNode() {
        try (S a = newStore(); S b = openAgain(a)) {
            start(a, "f-1", "r");
            join(a.append(new Journal.Append("r", 1, List.of(responded("c1")), status(RunState.ACTING, 2))));
            assertThatThrownBy(() -> join(b.append(new Journal.Append("r", 1, List.of(responded("zombie")), status(RunState.ACTING, 3)))))
                    .isInstanceOf(JournalFenceException.class);
            assertThat(b.read("r")).hasSize(2);
            assertThat(b.read("r").get(1).event()).isEqualTo(responded("c1"));
            join(b.append(new Journal.Append("r", 2, List.of(new RunEvent.ToolCallStarted(5, "c1", "fs.read", "k")), status(RunState.ACTING, 4))));
            assertThat(a.read("r")).hasSize(3);
        }
    }

    @Test
    void twoStoresRacingOnManyRunsWinEachSeqExactlyOnce() throws Exception {
        int runs = 40;
        int rounds = 10;
        try (S a = newStore(); S b = openAgain(a); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            AtomicInteger wins = new AtomicInteger();
            AtomicInteger fenced = new AtomicInteger();
            List<Future<?>> futures = new ArrayList<>();
            for (int r = 0; r < runs; r++) {
                String runId = "f-1:race" + r;
                for (S store : List.of(a, b)) {
                    futures.add(pool.submit(() -> {
                        // Each writer appends at the seq it believes is next, learning it from the journal after a fence.
                        long next = 0;
                        while (next < rounds) {
                            RunEvent e = next == 0 ? startedIn("f-1", runId) : new RunEvent.ModelRetried(next, (int) next, "x", 0);
                            try {
                                join(store.append(new Journal.Append(runId, next, List.of(e), status(RunState.AWAITING_MODEL, next))));
                                wins.incrementAndGet();
                            } catch (JournalFenceException lost) {
                                fenced.incrementAndGet();
                            }
                            next = store.read(runId).size();
                        }
                    }));
                }
            }
            for (Future<?> f : futures) {
                f.get();
            }
            assertThat(wins.get()).isEqualTo(runs * rounds);
            for (int r = 0; r < runs; r++) {
                assertThat(a.read("f-1:race" + r)).extracting(JournalRecord::seq)
                        .containsExactlyElementsOf(java.util.stream.LongStream.range(0, rounds).boxed().toList());
            }
            assertThat(a.runs("f-1")).hasSize(runs);
        }
    }

    @Test
    void executionsAreNumberedPerFleetAndFinish() {
        try (S s = newStore()) {
            assertThat(s.unfinishedExecution("fleet")).isEmpty();
            var first = s.createExecution("fleet", "d1", "src", 3, 100);
            var second = s.createExecution("acme", "fleet", "d2", "src", 4, 200);
            assertThat(first.id()).isEqualTo("fleet-1");
            assertThat(second.id()).isEqualTo("fleet-2");
            assertThat(second.tenant()).isEqualTo("acme");
            assertThat(s.unfinishedExecution("fleet")).contains(first);
            assertThat(s.unfinishedExecution("acme", "fleet")).contains(second);
            s.finishExecution(first.id(), 300);
            assertThat(s.unfinishedExecution("fleet")).isEmpty();
            assertThat(s.execution("fleet-1")).get().satisfies(e -> {
                assertThat(e.finished()).isTrue();
                assertThat(e.finishedAt()).isEqualTo(300);
                assertThat(e.digest()).isEqualTo("d1");
                assertThat(e.tasks()).isEqualTo(3);
            });
            assertThat(s.executions(10)).extracting(RunRepository.Execution::id).containsExactly("fleet-2", "fleet-1");
            assertThat(s.execution("nope")).isEmpty();
        }
    }

    @Test
    void executionsCreatedAtOnceFromTwoStoresGetDistinctNumbers() throws Exception {
        try (S a = newStore(); S b = openAgain(a); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<RunRepository.Execution>> made = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                S store = i % 2 == 0 ? a : b;
                made.add(pool.submit(() -> store.createExecution("fleet", "d", "src", 1, 1)));
            }
            List<String> ids = new ArrayList<>();
            for (var f : made) {
                ids.add(f.get().id());
            }
            assertThat(ids).doesNotHaveDuplicates().hasSize(20);
        }
    }

    @Test
    void runsOfAnExecutionByPrefixAreOneRangeInCodePointOrder() {
        try (S s = newStore()) {
            var ex = s.createExecution("f", "d", "src", 3, 1);
            String e = ex.id();
            for (String run : List.of(":t1", ":t1~b", ":t1~a", ":t1~a~x", ":t10", ":t2", ":T1~z", ":t1}")) {
                start(s, e, e + run);
            }
            start(s, "other-1", "other-1:t1~a");
            assertThat(s.runs(e, e + ":t1~")).extracting(RunRow::runId)
                    .containsExactly(e + ":t1~a", e + ":t1~a~x", e + ":t1~b");
            assertThat(s.runs(e)).extracting(RunRow::runId)
                    .containsExactly(e + ":T1~z", e + ":t1", e + ":t10", e + ":t1}", e + ":t1~a", e + ":t1~a~x", e + ":t1~b", e + ":t2");
            assertThat(s.runs(e, "")).hasSize(8);
            assertThat(s.runs(e)).allSatisfy(row -> assertThat(row.tenant()).isEqualTo("default"));
            assertThat(s.recentRuns(3)).hasSize(3);
        }
    }

    @Test
    void manyRunsKeepTheirRowsAndEvents() throws Exception {
        int runs = 300;
        try (S s = newStore(); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int r = 0; r < runs; r++) {
                String runId = "f-9:r" + r;
                futures.add(pool.submit(() -> {
                    start(s, "f-9", runId);
                    for (int i = 1; i < 6; i++) {
                        join(s.append(new Journal.Append(runId, i, List.of(new RunEvent.ModelRetried(i, i, "x", 0)),
                                status(i == 5 ? RunState.FAILED : RunState.AWAITING_MODEL, i))));
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            List<RunRow> rows = s.runs("f-9");
            assertThat(rows).hasSize(runs);
            assertThat(rows).allSatisfy(row -> {
                assertThat(row.seq()).isEqualTo(6);
                assertThat(row.status().state()).isEqualTo(RunState.FAILED);
            });
        }
    }

    @Test
    void auditRecordsAreChainedAcrossStores() {
        try (S a = newStore(); S b = openAgain(a)) {
            join(a.appendAudit(List.of(new AuditEntry(1, "default", "alice", "kill", "run r", "{}"))));
            join(b.appendAudit(List.of(new AuditEntry(2, "default", "bob", "pause", "fleet f", "{}"))));
            join(a.appendAudit(List.of(new AuditEntry(3, "default", "carol", "resume", "fleet f", "{}"))));
            assertThat(a.latestAudit(10)).extracting(r -> r.seq()).containsExactly(3L, 2L, 1L);
            assertThat(b.verifyAudit().firstBreak()).isEmpty();
            assertThat(b.verifyAudit().records()).isEqualTo(3);
        }
    }
}
