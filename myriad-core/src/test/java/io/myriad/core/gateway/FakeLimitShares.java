package io.myriad.core.gateway;

import io.myriad.core.MyriadException;
import io.myriad.core.cluster.FairSlices;
import io.myriad.core.cluster.LeaseLostException;
import io.myriad.core.cluster.LimitShares;
import io.myriad.core.cluster.Node;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** {@link LimitShares} in memory, for one key; the test says which nodes are dead and when the store is down. */
final class FakeLimitShares implements LimitShares {
    private record Row(Node node, int held, int demand, int limit) {}

    private final Map<String, Row> rows = new TreeMap<>();
    private final Set<String> dead = new HashSet<>();
    private boolean down;
    /** Runs inside every update, as the gateway's own threads would run beside it. */
    private java.util.function.Consumer<Node> during = n -> { };

    synchronized void during(java.util.function.Consumer<Node> during) {
        this.during = during;
    }

    synchronized void kill(String nodeId) {
        dead.add(nodeId);
    }

    synchronized boolean dead(String nodeId) {
        return dead.contains(nodeId);
    }

    synchronized void down(boolean down) {
        this.down = down;
    }

    /** What the store counts for a node (0 when dead or unknown). */
    synchronized int held(String nodeId) {
        Row r = rows.get(nodeId);
        return r == null || dead.contains(nodeId) ? 0 : r.held();
    }

    synchronized int sumOfLiveSlices() {
        return rows.values().stream().filter(r -> !dead.contains(r.node().id())).mapToInt(Row::held).sum();
    }

    @Override
    public synchronized Slice update(Node node, String key, int limit, int demand, int inUse) {
        if (down) {
            throw new MyriadException("the store is down", true);
        }
        if (dead.contains(node.id())) {
            throw new LeaseLostException(node, "the test killed it");
        }
        during.accept(node);
        int effective = limit;
        Map<String, Integer> demands = new HashMap<>();
        int others = 0;
        for (Row r : rows.values()) {
            if (!dead.contains(r.node().id()) && !r.node().id().equals(node.id())) {
                effective = Math.min(effective, r.limit());
                demands.put(r.node().id(), r.demand());
                others += r.held();
            }
        }
        demands.put(node.id(), demand);
        int target = FairSlices.targets(effective, demands).get(node.id());
        Row mine = rows.get(node.id());
        FairSlices.Step step = FairSlices.step(target, effective - others, mine == null ? 0 : mine.held(), inUse);
        rows.put(node.id(), new Row(node, step.held(), demand, limit));
        return new Slice(key, node.id(), step.slice(), step.held(), target, effective);
    }

    @Override
    public synchronized Map<String, Share> slices(String key) {
        Map<String, Share> out = new TreeMap<>();
        rows.forEach((id, r) -> out.put(id, new Share(r.node(), r.held(), r.demand(), r.limit(), 0, !dead.contains(id))));
        return out;
    }

    @Override
    public Duration leaseTimeout() {
        return Duration.ofMillis(1_500);
    }
}
