package io.myriad.core.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The arithmetic of {@link LimitShares}, the same for every store: the fair targets, and the step
 * a node's held slice may take toward its target.
 */
public final class FairSlices {
    private FairSlices() {
    }

    /**
     * Water-fills {@code limit} among the nodes by their demands: nodes are served from the smallest
     * demand up, each getting the least of its demand and an equal part of what remains, so what a
     * small demand leaves goes to the larger ones. A node with demand 0 gets 0. When the limit is
     * at least the number of nodes with demand, each gets at least 1. Deterministic: every node
     * computes the same targets from the same rows (ties go by node id).
     *
     * @param limit   the limit to share, at least 0
     * @param demands each node's demand, at least 0
     * @return each node's target, by node id; they add up to at most {@code limit}
     */
    public static Map<String, Integer> targets(int limit, Map<String, Integer> demands) {
        if (limit < 0) {
            throw new IllegalArgumentException("a limit must not be negative, got " + limit);
        }
        Objects.requireNonNull(demands, "demands");
        Map<String, Integer> out = new TreeMap<>();
        List<Map.Entry<String, Integer>> wanting = new ArrayList<>();
        for (var e : demands.entrySet()) {
            if (e.getValue() < 0) {
                throw new IllegalArgumentException("a demand must not be negative, got " + e);
            }
            out.put(e.getKey(), 0);
            if (e.getValue() > 0) {
                wanting.add(e);
            }
        }
        wanting.sort(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()));
        int remaining = limit;
        int left = wanting.size();
        for (var e : wanting) {
            int give = Math.min(e.getValue(), remaining / left);
            out.put(e.getKey(), give);
            remaining -= give;
            left--;
        }
        // Rounding leaves less than one unit per node: hand it out one by one, by node id.
        List<String> ids = wanting.stream().map(Map.Entry::getKey).sorted(Comparator.naturalOrder()).toList();
        boolean gave = true;
        while (remaining > 0 && gave) {
            gave = false;
            for (String id : ids) {
                if (remaining > 0 && out.get(id) < demands.get(id)) {
                    out.merge(id, 1, Integer::sum);
                    remaining--;
                    gave = true;
                }
            }
        }
        return out;
    }

    /**
     * One node's step toward its target.
     *
     * @param slice the local limit the node may use now
     * @param held  what the store records for it
     */
    public record Step(int slice, int held) {}

    /**
     * The step of a node that holds {@code held}, wants {@code target}, may have {@code inUse}
     * calls in flight, while the others' live slices leave {@code room} (the limit minus their
     * sum): it may use at most its target and the room, and it keeps holding what it held as far
     * as its calls in flight need it, so a lowering waits for them.
     */
    public static Step step(int target, int room, int held, int inUse) {
        int slice = Math.max(0, Math.min(target, room));
        return new Step(slice, Math.max(slice, Math.min(Math.max(0, inUse), Math.max(0, held))));
    }
}
