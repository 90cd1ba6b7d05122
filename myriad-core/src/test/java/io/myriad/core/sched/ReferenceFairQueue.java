package io.myriad.core.sched;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A deliberately naive model of {@link FairQueue} for the tests: weighted DRR that visits flows
 * one visit at a time (adding one quantum per visit, dry or not) instead of computing when a
 * flow can next send, and scans lists instead of keeping heaps. Slow, but obviously DRR.
 */
final class ReferenceFairQueue<T> {

    /** One DRR participant: a tenant or a fleet. */
    abstract static class Flow {
        int weight = 1;
        long deficit;
        long nextRound;
        long position;

        abstract boolean isEmpty();

        abstract long headCost();
    }

    record Entry(int priority, long seq, long cost, Object item) {
    }

    static final class Fleet extends Flow {
        final List<Entry> items = new ArrayList<>();

        Entry head() {
            Entry best = items.getFirst();
            for (Entry e : items) {
                if (e.priority() > best.priority()
                        || (e.priority() == best.priority() && e.seq() < best.seq())) {
                    best = e;
                }
            }
            return best;
        }

        @Override
        boolean isEmpty() {
            return items.isEmpty();
        }

        @Override
        long headCost() {
            return head().cost();
        }
    }

    static final class Tenant extends Flow {
        final Map<String, Fleet> fleets = new LinkedHashMap<>();
        final Drr<Fleet> drr = new Drr<>();
        int size;

        @Override
        boolean isEmpty() {
            return size == 0;
        }

        @Override
        long headCost() {
            return drr.peek().headCost();
        }
    }

    /** Weighted DRR, one visit at a time. Time is (round, position); see DeficitRoundRobin. */
    static final class Drr<F extends Flow> {
        final List<F> waiting = new ArrayList<>();
        F current;
        long round;
        long position = -1;
        long nextPosition;

        F peek() {
            return current != null ? current : visitUntilAffordable(false);
        }

        F next() {
            if (current == null) {
                current = visitUntilAffordable(true);
            }
            return current;
        }

        private F visitUntilAffordable(boolean commit) {
            if (waiting.isEmpty()) {
                return null;
            }
            Map<F, long[]> scratch = new HashMap<>(); // flow -> {deficit, nextRound}
            for (F f : waiting) {
                scratch.put(f, new long[] {f.deficit, f.nextRound});
            }
            while (true) {
                F min = null;
                for (F f : waiting) {
                    long[] s = scratch.get(f);
                    if (min == null || s[1] < scratch.get(min)[1]
                            || (s[1] == scratch.get(min)[1] && f.position < min.position)) {
                        min = f;
                    }
                }
                long[] s = scratch.get(min);
                s[0] += min.weight; // one visit: one quantum
                if (min.headCost() <= s[0]) {
                    if (commit) {
                        for (F f : waiting) {
                            f.deficit = scratch.get(f)[0];
                            f.nextRound = scratch.get(f)[1];
                        }
                        round = s[1];
                        position = min.position;
                        waiting.remove(min);
                    }
                    return min;
                }
                s[1]++; // a dry visit
            }
        }

        void changed(F f) {
            if (f == current) {
                if (f.isEmpty()) {
                    f.deficit = 0;
                    current = null;
                } else if (f.headCost() > f.deficit) {
                    current = null;
                    f.nextRound = round + 1;
                    waiting.add(f);
                }
            } else if (!waiting.contains(f) && !f.isEmpty()) {
                f.deficit = 0;
                f.position = nextPosition++;
                f.nextRound = round + 1;
                waiting.add(f);
            }
        }
    }

    private final Map<String, Tenant> tenants = new HashMap<>();
    private final Drr<Tenant> drr = new Drr<>();
    private long seq;
    private int size;

    void add(String tenant, String fleet, int priority, long cost, T item) {
        Tenant t = tenants.computeIfAbsent(tenant, k -> new Tenant());
        Fleet f = t.fleets.computeIfAbsent(fleet, k -> new Fleet());
        f.items.add(new Entry(priority, seq++, cost, item));
        t.size++;
        size++;
        t.drr.changed(f);
        drr.changed(t);
    }

    @SuppressWarnings("unchecked")
    Optional<T> poll() {
        Tenant t = drr.next();
        if (t == null) {
            return Optional.empty();
        }
        Fleet f = t.drr.next();
        Entry e = f.head();
        f.items.remove(e);
        t.size--;
        size--;
        f.deficit -= e.cost();
        t.drr.changed(f);
        t.deficit -= e.cost();
        drr.changed(t);
        return Optional.of((T) e.item());
    }

    void setTenantWeight(String tenant, int weight) {
        tenants.computeIfAbsent(tenant, k -> new Tenant()).weight = weight;
    }

    void setFleetWeight(String tenant, String fleet, int weight) {
        Tenant t = tenants.computeIfAbsent(tenant, k -> new Tenant());
        t.fleets.computeIfAbsent(fleet, k -> new Fleet()).weight = weight;
        if (!t.isEmpty()) {
            drr.changed(t);
        }
    }

    int size() {
        return size;
    }

    int size(String tenant) {
        Tenant t = tenants.get(tenant);
        return t == null ? 0 : t.size;
    }
}
