package io.myriad.core.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FairQueueTest {

    private static String drain(FairQueue<String> queue, int n) {
        StringBuilder order = new StringBuilder();
        for (int i = 0; i < n; i++) {
            order.append(queue.poll().orElseThrow());
        }
        return order.toString();
    }

    @Test
    void anEmptyQueuePollsNothing() {
        FairQueue<String> queue = FairQueue.create();
        assertThat(queue.poll()).isEmpty();
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.size()).isZero();
        assertThat(queue.size("nobody")).isZero();
    }

    @Test
    void countsItemsInAllAndPerTenant() {
        FairQueue<String> queue = FairQueue.create();
        queue.add("a", "x", 0, 1, "a1");
        queue.add("a", "y", 0, 1, "a2");
        queue.add("b", "x", 0, 1, "b1");
        assertThat(queue.size()).isEqualTo(3);
        assertThat(queue.size("a")).isEqualTo(2);
        assertThat(queue.size("b")).isEqualTo(1);
        assertThat(queue.isEmpty()).isFalse();
    }

    @Test
    void rejectsNullArguments() {
        FairQueue<String> queue = FairQueue.create();
        assertThatNullPointerException().isThrownBy(() -> queue.add(null, "f", 0, 1, "i")).withMessage("tenant");
        assertThatNullPointerException().isThrownBy(() -> queue.add("t", null, 0, 1, "i")).withMessage("fleet");
        assertThatNullPointerException().isThrownBy(() -> queue.add("t", "f", 0, 1, null)).withMessage("item");
        assertThatNullPointerException().isThrownBy(() -> queue.size(null));
        assertThatNullPointerException().isThrownBy(() -> queue.setTenantWeight(null, 1));
        assertThatNullPointerException().isThrownBy(() -> queue.setFleetWeight(null, "f", 1));
        assertThatNullPointerException().isThrownBy(() -> queue.setFleetWeight("t", null, 1));
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void rejectsWeightsBelowOne() {
        FairQueue<String> queue = FairQueue.create();
        for (int weight : new int[] {0, -1, Integer.MIN_VALUE}) {
            assertThatThrownBy(() -> queue.setTenantWeight("t", weight))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight must be positive");
            assertThatThrownBy(() -> queue.setFleetWeight("t", "f", weight))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight must be positive");
        }
        assertThat(queue.tracked()).isZero();
    }

    @Test
    void rejectsCostsOutOfRange() {
        FairQueue<String> queue = FairQueue.create();
        for (long cost : new long[] {0, -1, Long.MIN_VALUE, FairQueue.MAX_COST + 1, Long.MAX_VALUE}) {
            assertThatThrownBy(() -> queue.add("t", "f", 0, cost, "i"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cost must be between 1");
        }
        assertThat(queue.isEmpty()).isTrue();
        queue.add("t", "f", 0, FairQueue.MAX_COST, "max");
        assertThat(queue.poll()).contains("max");
    }

    @Test
    void equalTenantsAlternate() {
        FairQueue<String> queue = FairQueue.create();
        for (int i = 0; i < 4; i++) {
            queue.add("a", "x", 0, 1, "a");
        }
        for (int i = 0; i < 3; i++) {
            queue.add("b", "x", 0, 1, "b");
        }
        assertThat(drain(queue, 7)).isEqualTo("ababab" + "a");
    }

    @Test
    void weightsThreeToOneServeThreeToOne() {
        FairQueue<String> queue = FairQueue.create();
        queue.setTenantWeight("a", 3);
        for (int i = 0; i < 30; i++) {
            queue.add("a", "x", 0, 1, "a");
            queue.add("b", "x", 0, 1, "b");
        }
        assertThat(drain(queue, 16)).isEqualTo("aaab".repeat(4));
    }

    @Test
    void fleetWeightsSplitTheTenantsShare() {
        FairQueue<String> queue = FairQueue.create();
        queue.setFleetWeight("a", "x", 2);
        for (int i = 0; i < 30; i++) {
            queue.add("a", "x", 0, 1, "x");
            queue.add("a", "y", 0, 1, "y");
            queue.add("b", "z", 0, 1, "z");
        }
        // Tenants alternate; within a, fleet x gets two for each of y's.
        assertThat(drain(queue, 12)).isEqualTo("xzxzyz".repeat(2));
    }

    @Test
    void priorityFirstThenFifoWithinAFleet() {
        FairQueue<String> queue = FairQueue.create();
        queue.add("t", "f", 0, 1, "low1");
        queue.add("t", "f", 5, 1, "high1");
        queue.add("t", "f", 0, 1, "low2");
        queue.add("t", "f", 5, 1, "high2");
        queue.add("t", "f", -3, 1, "lowest");
        queue.add("t", "f", 2, 1, "mid");
        List<String> order = new ArrayList<>();
        queue.poll().ifPresent(order::add);
        queue.add("t", "f", 9, 1, "urgent");
        while (!queue.isEmpty()) {
            order.add(queue.poll().orElseThrow());
        }
        assertThat(order).containsExactly("high1", "urgent", "high2", "mid", "low1", "low2", "lowest");
    }

    @Test
    void aTenantWithAMillionItemsDoesNotDelayATenantWithTen() {
        FairQueue<String> queue = FairQueue.create();
        for (int i = 0; i < 1_000_000; i++) {
            queue.add("big", "fleet-" + (i % 7), i % 3, 1, "big");
        }
        drain(queue, 12_345);
        for (int i = 0; i < 10; i++) {
            queue.add("small", "only", 0, 1, "small-" + i);
        }
        List<Integer> smallAt = new ArrayList<>();
        for (int dequeue = 1; smallAt.size() < 10; dequeue++) {
            if (queue.poll().orElseThrow().startsWith("small")) {
                smallAt.add(dequeue);
            }
        }
        assertThat(smallAt).containsExactly(2, 4, 6, 8, 10, 12, 14, 16, 18, 20);
        assertThat(queue.size()).isEqualTo(1_000_000 - 12_345 - 10);
        assertThat(queue.size("small")).isZero();
    }

    @Test
    void anIdleTenantBanksNoCredit() {
        FairQueue<String> queue = FairQueue.create();
        queue.setTenantWeight("b", 4);
        for (int i = 0; i < 1000; i++) {
            queue.add("a", "x", 0, 1, "a");
        }
        queue.add("b", "x", 0, 1, "b");
        assertThat(drain(queue, 2)).isEqualTo("ab"); // b empties with 3 units of its quantum unused
        drain(queue, 500);
        for (int i = 0; i < 12; i++) {
            queue.add("b", "x", 0, 1, "b");
        }
        // Four per turn as its weight says, not seven from credit kept while idle.
        assertThat(drain(queue, 10)).isEqualTo("abbbbabbbb");
    }

    @Test
    void aTenantThatCannotAffordItsItemDoesNotBlockOthers() {
        FairQueue<String> queue = FairQueue.create();
        queue.add("tokens", "x", 0, 8_000, "big-call");
        queue.add("tokens", "x", 0, 8_000, "big-call");
        for (int i = 0; i < 9; i++) {
            queue.add("requests", "x", 0, 1_000, "r");
        }
        // Each round credits one cost unit per weight: requests can afford a call every 1,000 rounds
        // (rounds 1,000 to 7,000), tokens its first at round 8,000, visited before requests as the
        // older tenant, then requests at 8,000 and 9,000, and tokens again only at 16,000.
        assertThat(drain(queue, 11)).isEqualTo("rrrrrrr" + "big-call" + "rr" + "big-call");
    }

    @Test
    void theLargestCostIsServedWithoutVisitingEveryRound() {
        FairQueue<String> queue = FairQueue.create();
        queue.add("whale", "x", 0, FairQueue.MAX_COST, "W");
        queue.add("whale", "x", 0, FairQueue.MAX_COST, "W");
        for (int i = 0; i < 5; i++) {
            queue.add("minnow", "x", 0, 1, "m");
        }
        // 2^40 rounds pass before the whale can afford one item; they are skipped, not visited.
        assertThat(drain(queue, 7)).isEqualTo("mmmmmWW");
    }

    @Test
    void aWeightOutlivesTheTenantsIdleTime() {
        FairQueue<String> queue = FairQueue.create();
        queue.setTenantWeight("a", 3);
        queue.add("a", "x", 0, 1, "a");
        drain(queue, 1);
        for (int i = 0; i < 10; i++) {
            queue.add("a", "x", 0, 1, "a");
            queue.add("b", "x", 0, 1, "b");
        }
        assertThat(drain(queue, 8)).isEqualTo("aaabaaab");
    }

    @Test
    void aNewWeightAppliesFromTheTenantsNextTurn() {
        FairQueue<String> queue = FairQueue.create();
        for (int i = 0; i < 20; i++) {
            queue.add("a", "x", 0, 1, "a");
            queue.add("b", "x", 0, 1, "b");
        }
        assertThat(drain(queue, 4)).isEqualTo("abab");
        queue.setTenantWeight("b", 2);
        assertThat(drain(queue, 6)).isEqualTo("abbabb");
        queue.setTenantWeight("b", 1);
        assertThat(drain(queue, 4)).isEqualTo("abab");
    }

    @Test
    void forgetsTenantsAndFleetsThatAreIdleAndUnconfigured() {
        FairQueue<String> queue = FairQueue.create();
        for (int i = 0; i < 100; i++) {
            queue.add("tenant-" + i, "fleet-" + i, 0, 1, "item");
        }
        queue.setFleetWeight("configured", "f", 4);
        assertThat(queue.tracked()).isEqualTo(202);
        drain(queue, 100);
        assertThat(queue.tracked()).as("only the configured tenant and fleet").isEqualTo(2);
        queue.setFleetWeight("configured", "f", 1);
        assertThat(queue.tracked()).as("back to defaults, nothing to keep").isZero();
    }

    @Test
    void producersAndConsumersOnManyThreadsLoseAndDuplicateNothing() throws InterruptedException {
        FairQueue<Integer> queue = FairQueue.create();
        int producers = 4;
        int perProducer = 20_000;
        ConcurrentLinkedQueue<Integer> received = new ConcurrentLinkedQueue<>();
        AtomicInteger remaining = new AtomicInteger(producers * perProducer);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int base = p * perProducer;
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < perProducer; i++) {
                    queue.add("tenant-" + (i % 5), "fleet-" + (i % 3), i % 2, 1 + i % 4, base + i);
                }
            }));
        }
        for (int c = 0; c < 4; c++) {
            threads.add(Thread.ofVirtual().start(() -> {
                while (remaining.get() > 0) {
                    queue.poll().ifPresentOrElse(item -> {
                        received.add(item);
                        remaining.decrementAndGet();
                    }, Thread::yield);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        Set<Integer> distinct = new HashSet<>(received);
        assertThat(received).hasSize(producers * perProducer);
        assertThat(distinct).hasSize(producers * perProducer);
        assertThat(queue.isEmpty()).isTrue();
    }
}
