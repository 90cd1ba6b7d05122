package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.cluster.ClusterIntake;
import io.myriad.core.cluster.ClusterMember;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalFenceException;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.RunState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;

/**
 * The engine's side of cluster mode on a real PostgreSQL: two {@link ClusterMember}s (each on a
 * store of its own, as two processes) claim through {@link ClusterIntake}s; one stops
 * heart-beating (its timer is stopped, as a paused process's would be) and must stop writing the
 * moment its lease lapses locally, while the other takes its runs over and continues them.
 */
class ClusterMemberTest {
    private static final Duration LEASE = Duration.ofMillis(1_500);
    private static final Duration BEAT = Duration.ofMillis(300);

    private static RunStatus status(RunState state) {
        return new RunStatus(state, 1, 1, 10, 0.1, 1_000, "");
    }

    private static PostgresStore open(String url) {
        return PostgresStore.open(new PostgresStore.Options(url, 4, 16_384, 1_000));
    }

    private static void startRuns(PostgresStore store, int n) {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String task = "t" + String.format("%03d", i);
            done.add(store.append(new Journal.Append("x-1:" + task, 0,
                    List.of(new RunEvent.RunStarted(1_000, "x", "x-1", task, "a", "in", "m")), status(RunState.NEW))));
        }
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).join();
    }

    private static ClusterIntake intake(ClusterMember m, int concurrency) {
        return new ClusterIntake(m, "x-1", concurrency, runId -> Optional.of(new TaskSpec(runId.substring(4), "a", "in", 0)),
                () -> false, line -> { });
    }

    private static Journal.Append step(String runId, long seq) {
        return new Journal.Append(runId, seq, List.of(new RunEvent.ModelRetried(2_000 + seq, 1, "step", 0)),
                status(RunState.AWAITING_MODEL));
    }

    @Test
    void aNodeThatStopsHeartBeatingStopsWritingAndTheOtherTakesItsRunsOver() throws Exception {
        String url = PgTestServer.freshUrl();
        ScheduledExecutorService timerA = Executors.newSingleThreadScheduledExecutor();
        ScheduledExecutorService timerB = Executors.newSingleThreadScheduledExecutor();
        List<String> logA = new CopyOnWriteArrayList<>();
        try (PostgresStore a = open(url); PostgresStore b = open(url)) {
            startRuns(a, 20);
            ClusterMember ma = ClusterMember.join(a.ownership(LEASE), "a", 1_000, BEAT, timerA, logA::add);
            ClusterMember mb = ClusterMember.join(b.ownership(LEASE), "b", 1_000, BEAT, timerB, line -> { });
            // Room bounds each claim: a takes 8, b 8, and the 4 left stay unowned.
            List<TaskSpec> byA = intake(ma, 8).poll();
            List<TaskSpec> byB = intake(mb, 8).poll();
            assertThat(byA).hasSize(8);
            assertThat(byB).hasSize(8);
            Set<String> both = new HashSet<>();
            byA.forEach(t -> both.add(t.id()));
            byB.forEach(t -> both.add(t.id()));
            assertThat(both).hasSize(16);

            Journal ja = ma.journal(a);
            String runA = "x-1:" + byA.get(0).id();
            ja.append(step(runA, 1)).join();
            assertThat(ma.fence(runA)).isPositive();
            // b cannot write a's run through its membership: it does not own it.
            assertThatThrownBy(() -> mb.journal(b).append(step(runA, 2)).join()).hasCauseInstanceOf(JournalFenceException.class);

            // a stops heart-beating, as a paused process: after the lease it refuses its own appends at once.
            timerA.shutdownNow();
            Thread.sleep(LEASE.toMillis() + 200);
            assertThat(ma.valid()).isFalse();
            assertThatThrownBy(() -> ja.append(step(runA, 2)).join()).isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(JournalFenceException.class);

            // b takes a's runs over (and the unowned ones), with a higher fence.
            long fenceBefore = ma.fence(runA);
            ClusterIntake ib = intake(mb, 100);
            List<TaskSpec> taken = ib.poll();
            assertThat(taken).extracting(TaskSpec::id).containsAll(byA.stream().map(TaskSpec::id).toList());
            assertThat(mb.fence(runA)).isGreaterThan(fenceBefore);
            mb.journal(b).append(step(runA, 2)).join();

            // a's store-level write with its old owner is fenced by the database too: no fork.
            assertThatThrownBy(() -> a.append(step(runA, 3).ownedBy(new Journal.Owner("a", fenceBefore))).join())
                    .hasCauseInstanceOf(JournalFenceException.class);
            List<JournalRecord> history = b.read(runA);
            assertThat(history).extracting(JournalRecord::seq).containsExactly(0L, 1L, 2L);
            ma.close();
            mb.close();
        } finally {
            timerA.shutdownNow();
            timerB.shutdownNow();
        }
    }

    @Test
    void aNodeThatLostItsLeaseJoinsAgainAndForgetsWhatItOwned() throws Exception {
        String url = PgTestServer.freshUrl();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        List<String> log = new CopyOnWriteArrayList<>();
        try (PostgresStore a = open(url)) {
            startRuns(a, 4);
            ClusterMember m = ClusterMember.join(a.ownership(LEASE), "a", 1_000, BEAT, timer, log::add);
            ClusterIntake in = intake(m, 4);
            assertThat(in.poll()).hasSize(4);
            long epoch = m.node().epoch();
            // Simulate a pause longer than the lease: the heartbeat thread is held up.
            timer.execute(() -> {
                try {
                    Thread.sleep(LEASE.toMillis() + 500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (m.rejoins() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(m.rejoins()).isEqualTo(1);
            assertThat(m.node().epoch()).isGreaterThan(epoch);
            assertThat(m.owned()).isZero();
            assertThat(log).anyMatch(l -> l.contains("lost its lease"));
            assertThat(m.valid()).isTrue();
            // Its four runs are unowned now, and the steps still going here can no longer append to them.
            assertThat(m.fence("x-1:t000")).isZero();
            assertThatThrownBy(() -> m.journal(a).append(step("x-1:t000", 1)).join())
                    .hasCauseInstanceOf(JournalFenceException.class);
            // Until those steps are let go, the node has no room and hands nothing over twice.
            assertThat(in.outstanding()).isEqualTo(4);
            assertThat(in.poll()).isEmpty();
            // One is let go (its step found it fenced): the node claims it again, under its new epoch.
            in.abandoned("x-1:t000");
            assertThat(in.poll()).extracting(TaskSpec::id).containsExactly("t000");
            assertThat(m.fence("x-1:t000")).isPositive();
            m.journal(a).append(step("x-1:t000", 1)).join();
            m.close();
        } finally {
            timer.shutdownNow();
        }
    }
}
