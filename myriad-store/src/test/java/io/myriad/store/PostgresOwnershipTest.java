package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.cluster.Claim;
import io.myriad.core.cluster.LeaseLostException;
import io.myriad.core.cluster.Node;
import io.myriad.core.cluster.NodeStatus;
import io.myriad.core.cluster.Ownership;
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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Run ownership on a real PostgreSQL: each "node" is a {@link PostgresStore} of its own (its own
 * pool and journal writer) on one schema, as two processes would be.
 */
class PostgresOwnershipTest {
    private static final Duration LONG_LEASE = Duration.ofMinutes(5);
    private static final Duration SHORT_LEASE = Duration.ofMillis(1_500);

    private static RunStatus status(RunState state) {
        return new RunStatus(state, 1, 1, 10, 0.1, 1_000, "");
    }

    private static PostgresStore open(String url) {
        return PostgresStore.open(new PostgresStore.Options(url, 4, 16_384, 1_000));
    }

    /** Starts {@code n} unowned runs of execution {@code x-1}, as the node that accepted the tasks would. */
    private static List<String> startRuns(PostgresStore store, int n) {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String task = "t" + String.format("%04d", i);
            ids.add("x-1:" + task);
            done.add(store.append(new Journal.Append("x-1:" + task, 0,
                    List.of(new RunEvent.RunStarted(1_000, "x", "x-1", task, "a", "in", "m")), status(RunState.NEW))));
        }
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).join();
        return ids;
    }

    private static Journal.Append step(String runId, long seq, String by) {
        return new Journal.Append(runId, seq, List.of(new RunEvent.ModelRetried(2_000 + seq, 1, "by " + by, 0)),
                status(RunState.AWAITING_MODEL));
    }

    private static List<Claim> claimAll(Ownership ownership, Node node, int batch) {
        List<Claim> mine = new ArrayList<>();
        while (true) {
            List<Claim> got = ownership.claim(node, "x-1", batch);
            if (got.isEmpty()) {
                return mine;
            }
            mine.addAll(got);
        }
    }

    @Test
    void twoNodesClaimingAThousandRunsAtOnceNeverClaimTheSameRun() throws Exception {
        String url = PgTestServer.freshUrl();
        try (PostgresStore a = open(url); PostgresStore b = open(url)) {
            List<String> runs = startRuns(a, 1_000);
            Ownership oa = a.ownership(LONG_LEASE);
            Ownership ob = b.ownership(LONG_LEASE);
            Node na = oa.join("node-a", 1_000);
            Node nb = ob.join("node-b", 1_000);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                CountDownLatch go = new CountDownLatch(1);
                Future<List<Claim>> fa = pool.submit(() -> {
                    go.await();
                    return claimAll(oa, na, 7);
                });
                Future<List<Claim>> fb = pool.submit(() -> {
                    go.await();
                    return claimAll(ob, nb, 7);
                });
                go.countDown();
                List<Claim> ca = fa.get();
                List<Claim> cb = fb.get();
                Set<String> ida = new HashSet<>(ca.stream().map(Claim::runId).toList());
                Set<String> idb = new HashSet<>(cb.stream().map(Claim::runId).toList());
                assertThat(ida).hasSize(ca.size()).doesNotContainAnyElementsOf(idb);
                assertThat(idb).hasSize(cb.size());
                Set<String> all = new HashSet<>(ida);
                all.addAll(idb);
                assertThat(all).containsExactlyInAnyOrderElementsOf(runs);
                assertThat(ca).allSatisfy(c -> assertThat(c.epoch()).isEqualTo(1));
                List<Claim> owners = oa.owners("x-1");
                assertThat(owners).hasSize(1_000);
                assertThat(owners.stream().filter(c -> c.node().equals("node-a")).map(Claim::runId)).containsExactlyInAnyOrderElementsOf(ida);
                assertThat(oa.nodes()).extracting(NodeStatus::runsOwned).containsExactly((long) ca.size(), (long) cb.size());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void claimsRespectCapacityAndANewNodePicksUpTheRestWithoutARestart() {
        String url = PgTestServer.freshUrl();
        try (PostgresStore a = open(url); PostgresStore c = open(url)) {
            startRuns(a, 20);
            Ownership oa = a.ownership(LONG_LEASE);
            Node na = oa.join("node-a", 5);
            assertThat(oa.claim(na, "x-1", 3)).hasSize(3);
            assertThat(oa.claim(na, "x-1", 100)).hasSize(2); // capacity 5 reached
            assertThat(oa.claim(na, "x-1", 100)).isEmpty();
            assertThat(oa.claim(na, "x-1", 0)).isEmpty();

            Ownership oc = c.ownership(LONG_LEASE);
            Node nc = oc.join("node-c", 100);
            List<Claim> picked = oc.claim(nc, "x-1", 100);
            assertThat(picked).hasSize(15);
            assertThat(oc.claim(nc, "x-1", 100)).isEmpty();
            assertThat(oa.owners("x-1")).hasSize(20);
            assertThat(oa.owners("x-1").stream().filter(o -> o.node().equals("node-a"))).hasSize(5);

            // A run that finishes frees its owner's capacity; a final run is never claimed.
            Claim done = oa.owners("x-1").getFirst();
            a.append(new Journal.Append(done.runId(), 1, List.of(new RunEvent.RunSucceeded(3_000, "ok")), status(RunState.SUCCEEDED))
                    .ownedBy(done.owner())).join();
            String newOwner = done.node().equals("node-a") ? "node-a" : "node-c";
            Node owner = newOwner.equals("node-a") ? na : nc;
            Ownership os = newOwner.equals("node-a") ? oa : oc;
            assertThat(os.nodes().stream().filter(n -> n.node().id().equals(newOwner)).findFirst().orElseThrow().runsOwned())
                    .isEqualTo(newOwner.equals("node-a") ? 4 : 14);
            assertThat(os.claim(owner, "x-1", 100)).isEmpty(); // nothing unowned left: the final run is not claimable
        }
    }

    @Test
    void aNodeThatStopsHeartBeatingLosesItsRunsAndItsLateAppendsAreFenced() throws Exception {
        String url = PgTestServer.freshUrl();
        try (PostgresStore a = open(url); PostgresStore b = open(url)) {
            List<String> runs = startRuns(a, 10);
            Ownership oa = a.ownership(SHORT_LEASE);
            Ownership ob = b.ownership(SHORT_LEASE);
            Node na = oa.join("node-a", 100);
            List<Claim> claimsA = oa.claim(na, "x-1", 100);
            assertThat(claimsA).hasSize(10);
            for (Claim c : claimsA) {
                a.append(step(c.runId(), 1, "a").ownedBy(c.owner())).join();
            }
            Node nb = ob.join("node-b", 100);
            assertThat(ob.claim(nb, "x-1", 100)).as("node-a's lease holds").isEmpty();

            // node-a pauses (a long GC, a partition): no heartbeat. node-b keeps beating.
            long until = System.nanoTime() + SHORT_LEASE.toNanos() + 500_000_000L;
            while (System.nanoTime() < until) {
                ob.heartbeat(nb);
                Thread.sleep(200);
            }
            assertThat(ob.nodes()).filteredOn(n -> n.node().id().equals("node-a")).singleElement()
                    .satisfies(n -> assertThat(n.alive()).isFalse());
            List<Claim> claimsB = ob.claim(nb, "x-1", 100);
            assertThat(claimsB).extracting(Claim::runId).containsExactlyElementsOf(runs);
            assertThat(claimsB).allSatisfy(c -> assertThat(c.epoch()).isEqualTo(2));

            // node-a wakes up and writes as if nothing happened: its next seq is still free, yet it is fenced.
            for (Claim c : claimsA) {
                assertThatThrownBy(() -> a.append(step(c.runId(), 2, "a").ownedBy(c.owner())).join())
                        .isInstanceOf(CompletionException.class).cause().isInstanceOf(JournalFenceException.class)
                        .hasMessageContaining("no longer owns the run");
            }
            assertThatThrownBy(() -> oa.heartbeat(na)).isInstanceOf(LeaseLostException.class);
            assertThatThrownBy(() -> oa.claim(na, "x-1", 1)).isInstanceOf(LeaseLostException.class);
            assertThat(oa.release(claimsA.getFirst())).isFalse();

            for (Claim c : claimsB) {
                b.append(step(c.runId(), 2, "b").ownedBy(c.owner())).join();
            }
            for (String run : runs) {
                List<JournalRecord> history = b.read(run);
                assertThat(history).extracting(JournalRecord::seq).containsExactly(0L, 1L, 2L);
                assertThat(((RunEvent.ModelRetried) history.get(1).event()).error()).isEqualTo("by a");
                assertThat(((RunEvent.ModelRetried) history.get(2).event()).error()).isEqualTo("by b");
            }
            // The zombie's writes stay fenced at any seq, batched or not.
            List<CompletableFuture<Void>> late = new ArrayList<>();
            for (Claim c : claimsA) {
                late.add(a.append(step(c.runId(), 3, "a").ownedBy(c.owner())));
            }
            for (CompletableFuture<Void> f : late) {
                assertThatThrownBy(f::join).cause().isInstanceOf(JournalFenceException.class);
            }
            assertThat(b.read(runs.getFirst())).hasSize(3);
        }
    }

    @Test
    void aTakeoverRacingTheZombiesAppendsLetsNoneCommitAfterIt() throws Exception {
        String url = PgTestServer.freshUrl();
        try (PostgresStore a = open(url); PostgresStore b = open(url)) {
            List<String> runs = startRuns(a, 20);
            Ownership oa = a.ownership(Duration.ofMillis(300));
            Ownership ob = b.ownership(Duration.ofMillis(300));
            Node na = oa.join("node-a", 100);
            List<Claim> claimsA = oa.claim(na, "x-1", 100);
            Node nb = ob.join("node-b", 100);
            // node-a stops heart-beating but keeps appending to every run, one step after another.
            var stop = new java.util.concurrent.atomic.AtomicBoolean();
            var acceptedAfterTakeover = new java.util.concurrent.atomic.AtomicInteger();
            var takenOver = new java.util.concurrent.atomic.AtomicBoolean();
            ExecutorService zombie = Executors.newVirtualThreadPerTaskExecutor();
            List<Future<?>> writers = new ArrayList<>();
            for (Claim c : claimsA) {
                writers.add(zombie.submit(() -> {
                    long seq = 1;
                    while (!stop.get()) {
                        boolean after = takenOver.get();
                        try {
                            a.append(step(c.runId(), seq, "a").ownedBy(c.owner())).join();
                            seq++;
                            if (after) {
                                acceptedAfterTakeover.incrementAndGet();
                            }
                        } catch (CompletionException e) {
                            assertThat(e.getCause()).isInstanceOf(JournalFenceException.class);
                            return;
                        }
                    }
                }));
            }
            List<Claim> claimsB = new ArrayList<>();
            while (claimsB.size() < runs.size()) {
                ob.heartbeat(nb);
                claimsB.addAll(ob.claim(nb, "x-1", 100)); // rows share-locked by an append in flight are skipped, and taken next time
                Thread.sleep(20);
            }
            takenOver.set(true);
            for (Future<?> w : writers) {
                w.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
            stop.set(true);
            zombie.shutdown();
            assertThat(acceptedAfterTakeover).hasValue(0);
            for (Claim c : claimsB) {
                long next = b.read(c.runId()).size();
                b.append(step(c.runId(), next, "b").ownedBy(c.owner())).join();
                List<JournalRecord> history = b.read(c.runId());
                assertThat(history).extracting(JournalRecord::seq)
                        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(0, next).boxed().toList());
                assertThat(((RunEvent.ModelRetried) history.getLast().event()).error()).isEqualTo("by b");
            }
        }
    }

    @Test
    void aReleasedRunIsClaimedAgainUnderAHigherEpochAndTheOldClaimIsFenced() {
        String url = PgTestServer.freshUrl();
        try (PostgresStore a = open(url); PostgresStore b = open(url)) {
            startRuns(a, 1);
            Ownership oa = a.ownership(LONG_LEASE);
            Ownership ob = b.ownership(LONG_LEASE);
            Node na = oa.join("node-a", 10);
            Node nb = ob.join("node-b", 10);
            Claim first = oa.claim(na, "x-1", 1).getFirst();
            assertThat(oa.release(first)).isTrue();
            assertThat(oa.release(first)).isFalse();
            Claim second = ob.claim(nb, "x-1", 1).getFirst();
            assertThat(second.epoch()).isEqualTo(first.epoch() + 1);
            assertThatThrownBy(() -> a.append(step(first.runId(), 1, "a").ownedBy(first.owner())).join())
                    .cause().isInstanceOf(JournalFenceException.class);
            b.append(step(second.runId(), 1, "b").ownedBy(second.owner())).join();
            // An append without an owner is fenced by sequence number only, as on SQLite.
            a.append(step(second.runId(), 2, "unowned")).join();
            assertThatThrownBy(() -> a.append(step(second.runId(), 2, "unowned")).join())
                    .cause().isInstanceOf(JournalFenceException.class);
            assertThat(a.read(second.runId())).hasSize(3);
        }
    }

    @Test
    void aNodeThatJoinsAgainGetsANewEpochAndItsEarlierIncarnationIsFenced() {
        String url = PgTestServer.freshUrl();
        try (PostgresStore a = open(url)) {
            startRuns(a, 3);
            Ownership oa = a.ownership(LONG_LEASE);
            Node old = oa.join("node-a", 10);
            List<Claim> oldClaims = oa.claim(old, "x-1", 10);
            assertThat(oldClaims).hasSize(3);
            Node again = oa.join("node-a", 10);
            assertThat(again.epoch()).isGreaterThan(old.epoch());
            assertThat(oa.owners("x-1")).isEmpty();
            assertThatThrownBy(() -> oa.heartbeat(old)).isInstanceOf(LeaseLostException.class);
            assertThatThrownBy(() -> a.append(step(oldClaims.getFirst().runId(), 1, "old").ownedBy(oldClaims.getFirst().owner())).join())
                    .cause().isInstanceOf(JournalFenceException.class);
            List<Claim> newClaims = oa.claim(again, "x-1", 10);
            assertThat(newClaims).hasSize(3).allSatisfy(c -> assertThat(c.epoch()).isEqualTo(2));
            oa.heartbeat(again);

            oa.leave(again);
            assertThat(oa.nodes()).isEmpty();
            assertThat(oa.owners("x-1")).isEmpty();
            Node third = oa.join("node-a", 10);
            assertThat(third.epoch()).isGreaterThan(again.epoch()); // never reused, even after leaving
        }
    }

    @Test
    void aRunStartedByANodeIsOwnedByIt() {
        String url = PgTestServer.freshUrl();
        try (PostgresStore a = open(url)) {
            Ownership oa = a.ownership(LONG_LEASE);
            Node na = oa.join("node-a", 10);
            var owner = new Journal.Owner(na.id(), 1);
            a.append(new Journal.Append("x-1:t", 0, List.of(new RunEvent.RunStarted(1_000, "x", "x-1", "t", "a", "in", "m")),
                    status(RunState.NEW)).ownedBy(owner)).join();
            assertThat(oa.owners("x-1")).containsExactly(new Claim("x-1:t", "node-a", 1));
            assertThat(oa.claim(na, "x-1", 10)).isEmpty();
            a.append(step("x-1:t", 1, "a").ownedBy(owner)).join();
            assertThat(oa.nodes()).singleElement().satisfies(n -> {
                assertThat(n.runsOwned()).isEqualTo(1);
                assertThat(n.alive()).isTrue();
                assertThat(n.lagMillis()).isBetween(0L, LONG_LEASE.toMillis());
            });
        }
    }
}
