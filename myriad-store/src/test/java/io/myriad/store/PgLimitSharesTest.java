package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.cluster.LeaseLostException;
import io.myriad.core.cluster.LimitShares;
import io.myriad.core.cluster.Node;
import io.myriad.core.cluster.Ownership;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.junit.jupiter.api.Test;

/**
 * A limit shared by three nodes on a real PostgreSQL, each node a {@link PostgresStore} of its own
 * (its own pool) on one schema, as three processes would be.
 */
class PgLimitSharesTest {
    private static final Duration LONG_LEASE = Duration.ofMinutes(5);
    private static final Duration SHORT_LEASE = Duration.ofMillis(1_500);
    private static final String KEY = LimitShares.concurrencyKey("p");
    private static final int LIMIT = 12;

    private static PostgresStore open(String url) {
        return PostgresStore.open(new PostgresStore.Options(url, 4, 16_384, 1_000));
    }

    /** One node following the protocol without real calls: its calls in flight are what the test says. */
    private static final class Member {
        final Node node;
        final Ownership ownership;
        final LimitShares shares;
        int local;
        int inFlight;

        Member(PostgresStore store, String id, Duration lease) {
            ownership = store.ownership(lease);
            shares = store.limitShares(lease);
            node = ownership.join(id, 10);
        }

        LimitShares.Slice update(int demand) {
            LimitShares.Slice s = shares.update(node, KEY, LIMIT, demand, Math.max(local, inFlight));
            local = s.slice();
            return s;
        }
    }

    /** The held slices of live nodes, read in one statement as any other client would. */
    private static int sumOfLiveSlices(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(s.held), 0) FROM limit_slices s JOIN nodes n"
                     + " ON n.node_id = s.node_id AND n.epoch = s.epoch WHERE s.key = ?"
                     + " AND n.heartbeat_at >= (extract(epoch from clock_timestamp()) * 1000)::bigint - ?")) {
            ps.setString(1, KEY);
            ps.setLong(2, LONG_LEASE.toMillis());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static Map<String, Integer> rounds(List<Member> members, Map<String, Integer> demands, int rounds) {
        Map<String, Integer> slices = new HashMap<>();
        for (int i = 0; i < rounds; i++) {
            for (Member m : members) {
                slices.put(m.node.id(), m.update(demands.get(m.node.id())).slice());
            }
        }
        return slices;
    }

    @Test
    void threeBusyNodesGetFourEachAndTheStoreHoldsTwelve() throws Exception {
        String url = PgTestServer.freshUrl();
        try (PostgresStore s1 = open(url); PostgresStore s2 = open(url); PostgresStore s3 = open(url)) {
            List<Member> members = List.of(new Member(s1, "a", LONG_LEASE), new Member(s2, "b", LONG_LEASE),
                    new Member(s3, "c", LONG_LEASE));
            // The first to ask, alone in the table, gets all twelve; the others wait for room.
            assertThat(members.get(0).update(50).slice()).isEqualTo(12);
            assertThat(members.get(1).update(50).slice()).isZero();
            Map<String, Integer> slices = rounds(members, Map.of("a", 50, "b", 50, "c", 50), 3);
            assertThat(slices).containsExactlyInAnyOrderEntriesOf(Map.of("a", 4, "b", 4, "c", 4));
            Map<String, LimitShares.Share> rows = s1.limitShares(LONG_LEASE).slices(KEY);
            assertThat(rows).containsOnlyKeys("a", "b", "c");
            assertThat(rows.values()).allSatisfy(r -> {
                assertThat(r.held()).isEqualTo(4);
                assertThat(r.alive()).isTrue();
                assertThat(r.demand()).isEqualTo(50);
            });
            assertThat(sumOfLiveSlices(url)).isEqualTo(12);
        }
    }

    @Test
    void aNodeWithoutDemandLeavesItsShareToTheOthers() throws Exception {
        String url = PgTestServer.freshUrl();
        try (PostgresStore store = open(url)) {
            List<Member> members = List.of(new Member(store, "a", LONG_LEASE), new Member(store, "b", LONG_LEASE),
                    new Member(store, "c", LONG_LEASE));
            Map<String, Integer> slices = rounds(members, Map.of("a", 50, "b", 0, "c", 50), 3);
            assertThat(slices).containsExactlyInAnyOrderEntriesOf(Map.of("a", 6, "b", 0, "c", 6));
            assertThat(sumOfLiveSlices(url)).isEqualTo(12);
            // b wants calls again: the others lower first, and b gets its four once they have.
            slices = rounds(members, Map.of("a", 50, "b", 50, "c", 50), 3);
            assertThat(slices).containsExactlyInAnyOrderEntriesOf(Map.of("a", 4, "b", 4, "c", 4));
        }
    }

    @Test
    void aLoweringWaitsForTheCallsInFlight() throws Exception {
        String url = PgTestServer.freshUrl();
        try (PostgresStore store = open(url)) {
            Member a = new Member(store, "a", LONG_LEASE);
            Member b = new Member(store, "b", LONG_LEASE);
            assertThat(a.update(50).slice()).isEqualTo(12);
            a.inFlight = 12;
            assertThat(b.update(50).slice()).isZero();
            LimitShares.Slice s = a.update(50);
            assertThat(s.slice()).isEqualTo(6);
            assertThat(s.held()).isEqualTo(12);
            assertThat(b.update(50).slice()).isZero();
            a.inFlight = 8;
            assertThat(a.update(50).held()).isEqualTo(8);
            assertThat(b.update(50).slice()).isEqualTo(4);
            a.inFlight = 5;
            assertThat(a.update(50).held()).isEqualTo(6);
            assertThat(b.update(50).slice()).isEqualTo(6);
            assertThat(sumOfLiveSlices(url)).isEqualTo(12);
        }
    }

    @Test
    void theSliceOfANodeThatStopsHeartBeatingGoesToTheOthersAfterTheLease() throws Exception {
        String url = PgTestServer.freshUrl();
        try (PostgresStore s1 = open(url); PostgresStore s2 = open(url); PostgresStore s3 = open(url)) {
            Member a = new Member(s1, "a", SHORT_LEASE);
            Member b = new Member(s2, "b", SHORT_LEASE);
            Member c = new Member(s3, "c", SHORT_LEASE);
            List<Member> all = List.of(a, b, c);
            Map<String, Integer> busy = Map.of("a", 50, "b", 50, "c", 50);
            assertThat(rounds(all, busy, 3)).containsExactlyInAnyOrderEntriesOf(Map.of("a", 4, "b", 4, "c", 4));
            c.ownership.heartbeat(c.node);
            long stoppedAt = System.nanoTime();
            // c stops; a and b go on heart-beating and asking for more, and get none while c's lease holds.
            boolean handedOver = false;
            while (System.nanoTime() - stoppedAt < 4_000_000_000L && !handedOver) {
                for (Member m : List.of(a, b)) {
                    m.ownership.heartbeat(m.node);
                    m.update(50);
                }
                long elapsedMillis = (System.nanoTime() - stoppedAt) / 1_000_000;
                if (elapsedMillis < SHORT_LEASE.toMillis() - 200) {
                    assertThat(a.local).isEqualTo(4);
                    assertThat(b.local).isEqualTo(4);
                }
                handedOver = a.local == 6 && b.local == 6;
                Thread.sleep(100);
            }
            assertThat(handedOver).as("a and b got c's slice").isTrue();
            assertThat((System.nanoTime() - stoppedAt) / 1_000_000).isGreaterThanOrEqualTo(SHORT_LEASE.toMillis() - 200);
            assertThat(a.shares.slices(KEY)).doesNotContainKey("c");
            assertThatThrownBy(() -> c.update(50)).isInstanceOf(LeaseLostException.class);
            assertThatThrownBy(() -> c.ownership.heartbeat(c.node)).isInstanceOf(LeaseLostException.class);
            // c joins again: a new incarnation starts from nothing and waits for room.
            Member again = new Member(s3, "c", SHORT_LEASE);
            assertThat(again.update(50).slice()).isZero();
        }
    }

    @Test
    void threeNodesChangingTheirDemandsAtOnceNeverHoldMoreThanTheLimit() throws Exception {
        String url = PgTestServer.freshUrl();
        List<PostgresStore> stores = List.of(open(url), open(url), open(url));
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Member> members = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                members.add(new Member(stores.get(i), "n" + i, LONG_LEASE));
            }
            // Updates share the read lock: while the checker holds the write lock, no update is on its
            // way and what each node was told is what the store holds.
            ReentrantReadWriteLock told = new ReentrantReadWriteLock();
            Map<String, Integer> held = new HashMap<>();
            Map<String, Integer> inFlight = new HashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger updates = new AtomicInteger();
            AtomicInteger reads = new AtomicInteger();
            AtomicInteger fullReads = new AtomicInteger();
            long until = System.nanoTime() + 4_000_000_000L;
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Member m = members.get(i);
                Random random = new Random(i);
                done.add(threads.submit(() -> {
                    int demand = random.nextInt(20);
                    while (System.nanoTime() < until) {
                        if (random.nextInt(4) == 0) {
                            demand = random.nextInt(random.nextBoolean() ? 3 : 20);
                        }
                        // Some calls end, and new ones start up to the local limit while the update is on its way.
                        m.inFlight = random.nextInt(m.inFlight + 1);
                        m.inFlight = Math.max(m.inFlight, Math.min(demand, m.local));
                        told.readLock().lock();
                        try {
                            LimitShares.Slice s = m.update(demand);
                            assertThat(s.held()).isGreaterThanOrEqualTo(s.slice());
                            assertThat(s.held()).as("held covers the calls in flight").isGreaterThanOrEqualTo(m.inFlight);
                            synchronized (held) {
                                held.put(m.node.id(), s.held());
                                inFlight.put(m.node.id(), m.inFlight);
                            }
                        } finally {
                            told.readLock().unlock();
                        }
                        updates.incrementAndGet();
                    }
                    return null;
                }));
            }
            Future<?> reader = threads.submit(() -> {
                while (!stop.get()) {
                    int sum = sumOfLiveSlices(url);
                    assertThat(sum).as("live slices in the store").isLessThanOrEqualTo(LIMIT);
                    reads.incrementAndGet();
                    if (sum == LIMIT) {
                        fullReads.incrementAndGet();
                    }
                    told.writeLock().lock();
                    try {
                        synchronized (held) {
                            int total = held.values().stream().mapToInt(Integer::intValue).sum();
                            assertThat(total).as("slices the nodes were told they hold").isLessThanOrEqualTo(LIMIT);
                            assertThat(total).isEqualTo(sumOfLiveSlices(url));
                            int calls = inFlight.values().stream().mapToInt(Integer::intValue).sum();
                            assertThat(calls).as("calls in flight across the cluster").isLessThanOrEqualTo(LIMIT);
                        }
                    } finally {
                        told.writeLock().unlock();
                    }
                }
                return null;
            });
            for (Future<?> f : done) {
                f.get();
            }
            stop.set(true);
            reader.get();
            assertThat(updates.get()).isGreaterThan(300);
            assertThat(reads.get()).isGreaterThan(30);
            assertThat(fullReads.get()).as("the limit was in full use at times").isGreaterThan(0);
        } finally {
            threads.shutdownNow();
            for (PostgresStore s : stores) {
                s.close();
            }
        }
    }
}
