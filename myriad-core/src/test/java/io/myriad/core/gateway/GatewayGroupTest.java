package io.myriad.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The gateways sharing one provider account split its limit by demand and never exceed it together. */
class GatewayGroupTest {

    /** A gateway as the group sees it: calls in flight, calls waiting, and its limit. */
    private static final class FakeGateway implements Throttle {
        int inFlight;
        int queued;
        int limit = 64;

        @Override
        public int inFlight() {
            return inFlight;
        }

        @Override
        public int queued() {
            return queued;
        }

        @Override
        public int maxConcurrency() {
            return limit;
        }

        @Override
        public void maxConcurrency(int n) {
            limit = n;
        }

        /** Sends what its limit allows, as a gateway's pump would. */
        void pump() {
            while (queued > 0 && inFlight < limit) {
                queued--;
                inFlight++;
            }
        }
    }

    @Test
    void twoBackloggedTenantsGetEqualSharesAndAnIdleOneNone() {
        GatewayGroup group = new GatewayGroup("acct", 12);
        FakeGateway a = new FakeGateway();
        FakeGateway b = new FakeGateway();
        FakeGateway idle = new FakeGateway();
        group.add(a);
        group.add(b);
        group.add(idle);
        assertThat(a.limit + b.limit + idle.limit).isZero(); // nothing is sent before a share is given
        a.queued = 100;
        b.queued = 100;
        group.rebalance();
        assertThat(a.limit).isEqualTo(6);
        assertThat(b.limit).isEqualTo(6);
        assertThat(idle.limit).isZero();
    }

    @Test
    void aShareTakenBackGoesToAnotherOnlyOnceItsCallsDrained() {
        GatewayGroup group = new GatewayGroup("acct", 10);
        FakeGateway a = new FakeGateway();
        FakeGateway b = new FakeGateway();
        group.add(a);
        group.add(b);
        a.queued = 100;
        group.rebalance();
        a.pump();
        assertThat(a.inFlight).isEqualTo(10);
        b.queued = 100;
        group.rebalance(); // a is lowered to 5 at once; b may not take 5 while a's 10 are still out
        assertThat(a.limit).isEqualTo(5);
        assertThat(b.limit).isZero();
        a.inFlight = 5; // five of a's calls ended
        group.rebalance();
        assertThat(b.limit).isEqualTo(5);
    }

    @Test
    void callsInFlightNeverExceedTheLimitUnderRandomDemandAndLimitChanges() {
        Random random = new Random(7);
        GatewayGroup group = new GatewayGroup("acct", 20);
        List<FakeGateway> gateways = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            FakeGateway g = new FakeGateway();
            gateways.add(g);
            group.add(g);
        }
        int limit = 20;
        int peak = 0;
        int previousInUse = group.inUse();
        for (int step = 0; step < 20_000; step++) {
            FakeGateway g = gateways.get(random.nextInt(gateways.size()));
            switch (random.nextInt(4)) {
                case 0 -> g.queued += random.nextInt(10);
                case 1 -> g.inFlight = Math.max(0, g.inFlight - random.nextInt(4)); // calls end
                case 2 -> group.rebalance();
                default -> {
                    if (random.nextInt(50) == 0) {
                        limit = random.nextInt(30);
                        group.maxConcurrency(limit);
                    }
                }
            }
            gateways.forEach(FakeGateway::pump);
            int inFlight = gateways.stream().mapToInt(x -> x.inFlight).sum();
            int inUse = group.inUse();
            // What the group may have out (reported to the cluster as its held slice) covers every call in
            // flight, and never grows beyond the limit: a lowered gateway's calls drain, the others wait.
            assertThat(inUse).as("step " + step).isGreaterThanOrEqualTo(inFlight)
                    .isLessThanOrEqualTo(Math.max(limit, previousInUse));
            previousInUse = inUse;
            peak = Math.max(peak, inFlight);
            if (step % 1000 == 999) {
                // With the limit steady, the group drains back under it once calls end.
                gateways.forEach(x -> x.inFlight = 0);
                group.rebalance();
                gateways.forEach(FakeGateway::pump);
                assertThat(gateways.stream().mapToInt(x -> x.inFlight).sum()).isLessThanOrEqualTo(limit);
                previousInUse = group.inUse();
            }
        }
        assertThat(peak).isPositive();
    }
}
