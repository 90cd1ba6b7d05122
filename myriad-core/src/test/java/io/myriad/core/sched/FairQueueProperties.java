package io.myriad.core.sched;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the fair queue: it serves exactly the weighted DRR order of a naive step-by-step
 * model, loses and duplicates nothing, keeps priority and FIFO order within a fleet, and shares
 * service among tenants and among fleets by weight within the DRR bound.
 *
 * <p>The bound used throughout: among flows that stay backlogged from the same round, the cost
 * served to each divided by its weight differs from any other's by less than
 * {@code 1 + maxCost / minWeight} (each visit credits one quantum, and a backlogged flow's credit
 * after a visit is below its next item's cost).
 */
class FairQueueProperties {

    /** A tagged item, so the tests can tell where it was queued. */
    record Item(int id, String tenant, String fleet, int priority, long cost) {
    }

    sealed interface Op {
    }

    record Add(String tenant, String fleet, int priority, long cost) implements Op {
    }

    record Poll() implements Op {
    }

    record TenantWeight(String tenant, int weight) implements Op {
    }

    record FleetWeight(String tenant, String fleet, int weight) implements Op {
    }

    // ---- exact DRR semantics -------------------------------------------------------------------

    @Property(tries = 400)
    void servesExactlyTheOrderOfAStepByStepDrr(@ForAll("ops") @Size(max = 300) List<Op> ops) {
        FairQueue<Item> queue = FairQueue.create();
        ReferenceFairQueue<Item> model = new ReferenceFairQueue<>();
        int id = 0;
        for (Op op : ops) {
            switch (op) {
                case Add a -> {
                    Item item = new Item(id++, a.tenant(), a.fleet(), a.priority(), a.cost());
                    queue.add(a.tenant(), a.fleet(), a.priority(), a.cost(), item);
                    model.add(a.tenant(), a.fleet(), a.priority(), a.cost(), item);
                }
                case Poll p -> assertThat(queue.poll()).isEqualTo(model.poll());
                case TenantWeight w -> {
                    queue.setTenantWeight(w.tenant(), w.weight());
                    model.setTenantWeight(w.tenant(), w.weight());
                }
                case FleetWeight w -> {
                    queue.setFleetWeight(w.tenant(), w.fleet(), w.weight());
                    model.setFleetWeight(w.tenant(), w.fleet(), w.weight());
                }
            }
            assertThat(queue.size()).isEqualTo(model.size());
            for (String t : TENANTS) {
                assertThat(queue.size(t)).isEqualTo(model.size(t));
            }
        }
        Optional<Item> next;
        do {
            next = queue.poll();
            assertThat(next).isEqualTo(model.poll());
        } while (next.isPresent());
    }

    // ---- (1) no starvation, conservation -------------------------------------------------------

    @Property(tries = 300)
    void everyItemIsServedExactlyOnce(@ForAll("ops") @Size(max = 400) List<Op> ops) {
        FairQueue<Item> queue = FairQueue.create();
        Set<Integer> queued = new HashSet<>();
        Map<String, Integer> perTenant = new HashMap<>();
        int id = 0;
        for (Op op : ops) {
            switch (op) {
                case Add a -> {
                    queue.add(a.tenant(), a.fleet(), a.priority(), a.cost(),
                            new Item(id, a.tenant(), a.fleet(), a.priority(), a.cost()));
                    queued.add(id++);
                    perTenant.merge(a.tenant(), 1, Integer::sum);
                }
                case Poll p -> queue.poll().ifPresentOrElse(item -> {
                    assertThat(queued.remove(item.id())).as("served once, and only what was queued").isTrue();
                    perTenant.merge(item.tenant(), -1, Integer::sum);
                }, () -> assertThat(queued).isEmpty());
                case TenantWeight w -> queue.setTenantWeight(w.tenant(), w.weight());
                case FleetWeight w -> queue.setFleetWeight(w.tenant(), w.fleet(), w.weight());
            }
            assertThat(queue.size()).isEqualTo(queued.size());
            assertThat(queue.isEmpty()).isEqualTo(queued.isEmpty());
            perTenant.forEach((t, n) -> assertThat(queue.size(t)).isEqualTo(n));
        }
        while (!queued.isEmpty()) {
            Optional<Item> item = queue.poll();
            assertThat(item).as("items remain but the queue returned none").isPresent();
            assertThat(queued.remove(item.orElseThrow().id())).isTrue();
        }
        assertThat(queue.poll()).isEmpty();
        assertThat(queue.size()).isZero();
    }

    // ---- (2) tenants share by weight -----------------------------------------------------------

    @Property(tries = 200)
    void backloggedTenantsShareByWeight(
            @ForAll @Size(min = 2, max = 3) List<@IntRange(min = 1, max = 5) Integer> weights,
            @ForAll("fleetsAndPriorities") List<int[]> shape) {
        assertShares(weights, 1, shape);
    }

    @Property(tries = 200)
    void backloggedTenantsShareCostByWeightWhateverTheCosts(
            @ForAll @Size(min = 2, max = 3) List<@IntRange(min = 1, max = 5) Integer> weights,
            @ForAll @IntRange(min = 1, max = 40) int maxCost,
            @ForAll("fleetsAndPriorities") List<int[]> shape) {
        assertShares(weights, maxCost, shape);
    }

    /** Tenants t0..tn with the given weights, each backlogged; checks the DRR bound on every prefix. */
    private static void assertShares(List<Integer> weights, int maxCost, List<int[]> shape) {
        FairQueue<Item> queue = FairQueue.create();
        int n = weights.size();
        int perTenant = 3000;
        for (int t = 0; t < n; t++) {
            queue.setTenantWeight("t" + t, weights.get(t));
        }
        int id = 0;
        for (int k = 0; k < perTenant; k++) {
            for (int t = 0; t < n; t++) {
                int[] s = shape.get((k + t) % shape.size());
                long cost = 1 + Math.floorMod(k * 31 + t * 7, maxCost);
                queue.add("t" + t, "f" + s[0], s[1], cost, new Item(id++, "t" + t, "f" + s[0], s[1], cost));
            }
        }
        long[] served = new long[n];
        long total = 0;
        int wSum = weights.stream().mapToInt(Integer::intValue).sum();
        while (allBacklogged(queue, n)) {
            Item item = queue.poll().orElseThrow();
            served[Integer.parseInt(item.tenant().substring(1))] += item.cost();
            total += item.cost();
            assertLagWithinDrrBound(served, weights, maxCost, "t");
        }
        assertThat(total).as("the window is long").isGreaterThan(1000);
        if (maxCost == 1) {
            // Shares of the window: |served_i - total * w_i / W| < w_i * (1 + 1 / wMin) <= 2 w_i
            for (int i = 0; i < n; i++) {
                assertThat(Math.abs(served[i] * wSum - total * weights.get(i)))
                        .as("share of t%d", i)
                        .isLessThan(2L * weights.get(i) * wSum);
            }
        }
    }

    /** served_i / w_i - served_j / w_j < 1 + maxCost / wMin for every pair, multiplied out. */
    private static void assertLagWithinDrrBound(long[] served, List<Integer> weights, long maxCost, String flow) {
        long wMin = weights.stream().mapToInt(Integer::intValue).min().orElseThrow();
        for (int i = 0; i < served.length; i++) {
            for (int j = 0; j < served.length; j++) {
                long wi = weights.get(i);
                long wj = weights.get(j);
                long lag = (served[i] * wj - served[j] * wi) * wMin;
                if (lag >= wi * wj * (wMin + maxCost)) { // checked by hand: AssertJ per dequeue is slow
                    assertThat(lag).as("normalised lag of %s%d over %s%d, served %s", flow, i, flow, j,
                            Arrays.toString(served)).isLessThan(wi * wj * (wMin + maxCost));
                }
            }
        }
    }

    private static boolean allBacklogged(FairQueue<Item> queue, int tenants) {
        for (int t = 0; t < tenants; t++) {
            if (queue.size("t" + t) == 0) {
                return false;
            }
        }
        return true;
    }

    // ---- (3) priority then FIFO within a fleet -------------------------------------------------

    @Property(tries = 300)
    void withinAFleetHigherPriorityFirstThenFifo(@ForAll("ops") @Size(max = 400) List<Op> ops) {
        FairQueue<Item> queue = FairQueue.create();
        Map<String, List<Item>> byFleet = new HashMap<>(); // queued items per tenant/fleet, in add order
        int id = 0;
        for (Op op : ops) {
            switch (op) {
                case Add a -> {
                    Item item = new Item(id++, a.tenant(), a.fleet(), a.priority(), a.cost());
                    queue.add(a.tenant(), a.fleet(), a.priority(), a.cost(), item);
                    byFleet.computeIfAbsent(a.tenant() + "/" + a.fleet(), k -> new ArrayList<>()).add(item);
                }
                case Poll p -> queue.poll().ifPresent(item -> {
                    List<Item> fleet = byFleet.get(item.tenant() + "/" + item.fleet());
                    Item expected = fleet.getFirst();
                    for (Item candidate : fleet) {
                        if (candidate.priority() > expected.priority()) {
                            expected = candidate; // first (oldest) of the highest priority
                        }
                    }
                    assertThat(item).isEqualTo(expected);
                    fleet.remove(item);
                });
                case TenantWeight w -> queue.setTenantWeight(w.tenant(), w.weight());
                case FleetWeight w -> queue.setFleetWeight(w.tenant(), w.fleet(), w.weight());
            }
        }
    }

    // ---- (4) the small tenant is not held back by a big one ------------------------------------

    /**
     * Equal weights and unit costs: once the small tenant's items arrive, its i-th item is served
     * within the first 2i dequeues (the big tenant gets one item per round, so does the small one),
     * whatever the big tenant's backlog, fleets and priorities, and however far it has been served.
     */
    @Property(tries = 100)
    void aSmallTenantIsServedAtLeastEveryOtherDequeue(
            @ForAll @IntRange(min = 1, max = 100_000) int bigBacklog,
            @ForAll @IntRange(min = 0, max = 1000) int servedBefore,
            @ForAll @IntRange(min = 1, max = 50) int smallItems,
            @ForAll("fleetsAndPriorities") List<int[]> shape) {
        FairQueue<Item> queue = FairQueue.create();
        int id = 0;
        for (int k = 0; k < bigBacklog; k++) {
            int[] s = shape.get(k % shape.size());
            queue.add("big", "f" + s[0], s[1], 1, new Item(id++, "big", "f" + s[0], s[1], 1));
        }
        for (int k = 0; k < servedBefore; k++) {
            queue.poll();
        }
        for (int k = 0; k < smallItems; k++) {
            int[] s = shape.get(k % shape.size());
            queue.add("small", "f" + s[0], s[1], 1, new Item(id++, "small", "f" + s[0], s[1], 1));
        }
        int servedSmall = 0;
        for (int dequeue = 1; servedSmall < smallItems; dequeue++) {
            if (queue.poll().orElseThrow().tenant().equals("small")) {
                servedSmall++;
            }
            assertThat(dequeue).as("dequeues until small item %d", servedSmall).isLessThanOrEqualTo(2 * (servedSmall + 1));
        }
    }

    // ---- (5) fleets within a tenant share by weight --------------------------------------------

    @Property(tries = 200)
    void fleetsShareTheirTenantsServiceByWeight(
            @ForAll @Size(min = 2, max = 3) List<@IntRange(min = 1, max = 5) Integer> weights,
            @ForAll @IntRange(min = 1, max = 20) int maxCost,
            @ForAll boolean otherTenantBacklogged) {
        FairQueue<Item> queue = FairQueue.create();
        int n = weights.size();
        for (int f = 0; f < n; f++) {
            queue.setFleetWeight("t", "f" + f, weights.get(f));
        }
        int id = 0;
        for (int k = 0; k < 2000; k++) {
            for (int f = 0; f < n; f++) {
                long cost = 1 + Math.floorMod(k * 13 + f * 5, maxCost);
                queue.add("t", "f" + f, k % 3, cost, new Item(id++, "t", "f" + f, k % 3, cost));
            }
            if (otherTenantBacklogged) {
                queue.add("other", "x", 0, maxCost, new Item(id++, "other", "x", 0, maxCost));
            }
        }
        long[] served = new long[n];
        int[] left = new int[n];
        Arrays.fill(left, 2000);
        while (Arrays.stream(left).allMatch(l -> l > 0)) {
            Item item = queue.poll().orElseThrow();
            if (!item.tenant().equals("t")) {
                continue;
            }
            int f = Integer.parseInt(item.fleet().substring(1));
            served[f] += item.cost();
            left[f]--;
            assertLagWithinDrrBound(served, weights, maxCost, "f");
        }
    }

    // ---- generators ----------------------------------------------------------------------------

    private static final List<String> TENANTS = List.of("a", "b", "c", "d");

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<String> tenant = Arbitraries.of(TENANTS);
        Arbitrary<String> fleet = Arbitraries.of("x", "y", "z");
        Arbitrary<Integer> priority = Arbitraries.integers().between(-2, 2);
        Arbitrary<Long> cost = Arbitraries.oneOf(Arbitraries.just(1L), Arbitraries.longs().between(1, 30));
        Arbitrary<Integer> weight = Arbitraries.integers().between(1, 6);
        Arbitrary<Op> add = Combinators.combine(tenant, fleet, priority, cost).as(Add::new);
        Arbitrary<Op> poll = Arbitraries.just(new Poll());
        Arbitrary<Op> tenantWeight = Combinators.combine(tenant, weight).as(TenantWeight::new);
        Arbitrary<Op> fleetWeight = Combinators.combine(tenant, fleet, weight).as(FleetWeight::new);
        return Arbitraries.frequencyOf(
                Tuple.of(10, add),
                Tuple.of(8, poll),
                Tuple.of(1, tenantWeight),
                Tuple.of(1, fleetWeight)).list();
    }

    /** A non-empty cycle of (fleet index, priority) pairs to spread a tenant's items over. */
    @Provide
    Arbitrary<List<int[]>> fleetsAndPriorities() {
        return Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.integers().between(-3, 3))
                .as((f, p) -> new int[] {f, p})
                .list().ofMinSize(1).ofMaxSize(8);
    }
}
