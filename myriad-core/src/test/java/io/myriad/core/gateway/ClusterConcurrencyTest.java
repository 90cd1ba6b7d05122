package io.myriad.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.cluster.LimitShares;
import io.myriad.core.cluster.Node;
import io.myriad.core.gateway.ModelGatewayTest.ManualProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One gateway per node kept at the node's slice of a cluster-wide limit, against an in-memory store. */
class ClusterConcurrencyTest {
    static final String KEY = LimitShares.concurrencyKey("p");
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    final FakeLimitShares shares = new FakeLimitShares();
    final ManualClock clock = new ManualClock(1_000);

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    /** A node: its provider, gateway and the loop that keeps the gateway at its slice. */
    final class Member {
        final Node node;
        final ManualProvider provider = new ManualProvider();
        final ModelGateway gateway;
        final ClusterConcurrency concurrency;

        Member(String id, int limit) {
            node = new Node(id, 1, 10);
            gateway = ModelGateway.builder().provider(provider).maxConcurrency(64).executor(Runnable::run).timer(timer).build();
            concurrency = ClusterConcurrency.create(shares, node, KEY, limit, gateway, clock);
        }

        void submit(int n) {
            for (int i = 0; i < n; i++) {
                String id = node.id() + "-" + i;
                gateway.submit(new ModelGateway.Call("t", "f", 0, 1, () -> ModelGatewayTest.request(id)));
            }
        }
    }

    /** The invariant: no live node has more calls in flight than the store counts for it, and those add up to at most the limit. */
    void assertSafe(int limit, List<Member> members) {
        assertThat(shares.sumOfLiveSlices()).isLessThanOrEqualTo(limit);
        for (Member m : members) {
            if (shares.slices(KEY).containsKey(m.node.id()) && shares.slices(KEY).get(m.node.id()).alive()) {
                assertThat(m.gateway.inFlight()).as("in flight at %s", m.node.id())
                        .isLessThanOrEqualTo(shares.held(m.node.id()));
                assertThat(m.gateway.maxConcurrency()).isLessThanOrEqualTo(shares.held(m.node.id()));
            }
        }
    }

    void tickAll(int limit, List<Member> members) {
        for (Member m : members) {
            m.concurrency.tick();
            assertSafe(limit, members);
        }
    }

    @Test
    void aGatewayStartsAtZeroAndTwoBusyNodesConvergeToHalfEach() {
        Member a = new Member("a", 6);
        Member b = new Member("b", 6);
        List<Member> both = List.of(a, b);
        assertThat(a.gateway.maxConcurrency()).isZero();
        a.submit(20);
        b.submit(20);
        assertThat(a.provider.arrived).isEmpty();
        for (int round = 0; round < 10; round++) {
            tickAll(6, both);
            a.provider.answerOne();
            b.provider.answerOne();
            assertSafe(6, both);
        }
        assertThat(a.gateway.maxConcurrency()).isEqualTo(3);
        assertThat(b.gateway.maxConcurrency()).isEqualTo(3);
        assertThat(a.gateway.inFlight() + b.gateway.inFlight()).isEqualTo(6);
    }

    @Test
    void loweringReachesTheStoreOnlyOnceTheCallsInFlightFitUnderIt() {
        Member a = new Member("a", 6);
        Member b = new Member("b", 6);
        List<Member> both = List.of(a, b);
        a.submit(20);
        a.concurrency.tick();
        assertThat(a.gateway.inFlight()).isEqualTo(6);
        b.submit(20);
        tickAll(6, List.of(b, a));
        // a's share is now 3 and its gateway admits no more, but its six calls still run: the store keeps 6 for it.
        assertThat(a.gateway.maxConcurrency()).isEqualTo(3);
        assertThat(shares.held("a")).isEqualTo(6);
        assertThat(b.gateway.maxConcurrency()).isZero();
        for (int i = 0; i < 2; i++) {
            a.provider.answerOne();
        }
        tickAll(6, both);
        assertThat(shares.held("a")).isEqualTo(4);
        assertThat(b.gateway.maxConcurrency()).isEqualTo(2);
        a.provider.answerOne();
        tickAll(6, both);
        tickAll(6, both);
        assertThat(shares.held("a")).isEqualTo(3);
        assertThat(b.gateway.maxConcurrency()).isEqualTo(3);
        assertThat(b.gateway.inFlight()).isEqualTo(3);
    }

    @Test
    void callsAdmittedWhileAnUpdateIsOnItsWayAreCoveredByTheHeldSlice() {
        Member a = new Member("a", 6);
        Member b = new Member("b", 6);
        List<Member> both = List.of(a, b);
        a.submit(6);
        a.concurrency.tick();
        for (int i = 0; i < 4; i++) {
            a.provider.answerOne();
        }
        assertThat(a.gateway.inFlight()).isEqualTo(2);
        b.submit(20);
        b.concurrency.tick();
        // While a reports a demand of 2, four more calls reach its gateway, still at its limit of 6.
        shares.during(node -> {
            if (node.id().equals("a")) {
                a.submit(4);
            }
        });
        a.concurrency.tick();
        shares.during(node -> { });
        assertThat(a.gateway.inFlight()).isEqualTo(6);
        assertSafe(6, both);
        assertThat(shares.held("a")).isEqualTo(6);
        assertThat(a.gateway.maxConcurrency()).isEqualTo(2);
    }

    @Test
    void aLostLeaseDropsTheLimitToZeroForGood() {
        Member a = new Member("a", 4);
        a.submit(10);
        a.concurrency.tick();
        assertThat(a.gateway.inFlight()).isEqualTo(4);
        shares.kill("a");
        assertThat(a.concurrency.tick()).isEmpty();
        assertThat(a.concurrency.lost()).isTrue();
        assertThat(a.gateway.maxConcurrency()).isZero();
        while (a.provider.answerOne()) {
            // the calls in flight finish; nothing new is sent
        }
        assertThat(a.provider.arrived).hasSize(4);
        assertThat(a.concurrency.tick()).isEmpty();
        assertThat(a.gateway.maxConcurrency()).isZero();
    }

    @Test
    void anUnreachableStoreKeepsTheSliceForALeaseTimeoutThenDropsToZero() {
        Member a = new Member("a", 4);
        a.submit(10);
        assertThat(a.concurrency.tick()).isPresent();
        shares.down(true);
        clock.advance(1_000);
        assertThat(a.concurrency.tick()).isEmpty();
        assertThat(a.gateway.maxConcurrency()).isEqualTo(4);
        clock.advance(500);
        assertThat(a.concurrency.tick()).isEmpty();
        assertThat(a.gateway.maxConcurrency()).isZero();
        assertThat(a.concurrency.lost()).isFalse();
        shares.down(false);
        assertThat(a.concurrency.tick()).isPresent();
        assertThat(a.gateway.maxConcurrency()).isEqualTo(4);
    }

    @Test
    void underRandomDemandAnswersTicksAndDeathsNoLiveNodeRunsMoreThanItsSlice() {
        Random random = new Random(7);
        int limit = 10;
        List<Member> members = new ArrayList<>();
        for (String id : List.of("a", "b", "c", "d")) {
            members.add(new Member(id, limit));
        }
        // Calls arrive while an update is on its way to the store: the gateway admits them under its current limit.
        shares.during(node -> {
            if (random.nextInt(3) == 0) {
                members.stream().filter(x -> x.node.equals(node)).findFirst().orElseThrow().submit(random.nextInt(4));
            }
        });
        int sent = 0;
        for (int step = 0; step < 20_000; step++) {
            Member m = members.get(random.nextInt(members.size()));
            switch (random.nextInt(4)) {
                case 0 -> m.submit(random.nextInt(4));
                case 1 -> m.provider.answerOne();
                case 2 -> m.concurrency.tick();
                default -> {
                    if (random.nextInt(2_000) == 0) {
                        shares.kill(m.node.id());
                    }
                }
            }
            assertSafe(limit, members);
            int live = 0;
            for (Member x : members) {
                if (!shares.dead(x.node.id())) {
                    live += x.gateway.inFlight();
                }
            }
            assertThat(live).as("calls in flight at live nodes").isLessThanOrEqualTo(limit);
            sent = Math.max(sent, live);
        }
        assertThat(sent).as("the test reached the limit at some point").isEqualTo(limit);
    }
}
