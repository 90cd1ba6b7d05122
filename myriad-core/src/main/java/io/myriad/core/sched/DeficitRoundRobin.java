package io.myriad.core.sched;

import java.util.Arrays;

/**
 * Weighted deficit round robin over flows, skipping visits that cannot send anything.
 *
 * <p>Notes. Classic DRR keeps the active flows in a ring; each visit adds the flow's quantum to
 * its deficit and serves head items while their cost fits the deficit. Here the quantum is one
 * cost unit per unit of weight, the finest grain DRR allows, so with costs such as token counts
 * most visits would be dry. Instead of walking the ring, this class computes when each flow's next
 * useful visit falls:
 * <ul>
 *   <li>Time is (round, position). An active flow keeps its position and gets one visit per round,
 *       in position order. A flow that becomes active takes a position after every other flow and
 *       its first visit in the next round: like the tail of the DRR ring it waits for everyone else
 *       once, and leaving and coming back never earns it a second visit in a round.
 *   <li>A waiting flow sits in a heap keyed by (eligible round, position), where the eligible round
 *       is the first visit whose quanta cover the head cost:
 *       {@code visitRound + max(1, ceil((headCost - deficit) / weight)) - 1}. Dry visits are not
 *       simulated; their quanta are added when the flow is visited, or "settled" up to the present
 *       when its head or weight changes while it waits.
 *   <li>The current flow, whose visit is in progress, can always afford its head: it is rotated
 *       into the heap as soon as it cannot, and leaves with its deficit reset to 0 when it empties
 *       (no credit is banked while idle).
 *   <li>Keys only grow, so time is monotonic; when no flow is active, time restarts at zero.
 * </ul>
 * The service order is exactly that of a DRR visiting flow by flow (the tests compare it with such
 * a model). Each operation is O(log active flows) and allocates nothing once the heap has grown.
 *
 * <p>Not thread-safe: guarded by the lock of the owning {@link FairQueue}.
 */
final class DeficitRoundRobin<F extends Flow> {
    private Flow[] heap = new Flow[4];
    private int heapSize;
    private F current;
    private long round;
    private long position = -1;
    private long nextPosition;

    boolean isEmpty() {
        return current == null && heapSize == 0;
    }

    /** The flow the next {@link #next()} returns, without starting its visit; null when empty. */
    @SuppressWarnings("unchecked")
    F peek() {
        return current != null ? current : heapSize == 0 ? null : (F) heap[0];
    }

    /**
     * The flow to serve now, which can afford its head; starts its visit if none is in progress.
     * Null when no flow is active.
     */
    F next() {
        if (current == null && heapSize > 0) {
            F flow = removeFirst();
            flow.deficit += (flow.eligibleRound - flow.visitRound + 1) * flow.weight;
            round = flow.eligibleRound;
            position = flow.position;
            current = flow;
        }
        return current;
    }

    /** Charges the current flow for the item it just sent, which cost {@code cost}. */
    void served(F flow, long cost) {
        if (flow != current) {
            throw new IllegalStateException("only the flow being visited can be served");
        }
        flow.deficit -= cost;
        update(flow);
    }

    /**
     * Brings the schedule up to date after the flow's items changed: it joins when it becomes
     * non-empty, leaves when it empties, and is re-keyed when its head cost changed.
     */
    void update(F flow) {
        if (flow == current) {
            if (flow.isEmpty()) {
                flow.deficit = 0;
                current = null;
            } else if (flow.headCost() > flow.deficit) {
                current = null;
                flow.visitRound = round + 1;
                insert(flow);
            }
        } else if (flow.heapIndex >= 0) {
            settle(flow);
            rekey(flow);
        } else if (!flow.isEmpty()) {
            flow.position = nextPosition++;
            flow.visitRound = round + 1;
            insert(flow);
        }
        if (isEmpty()) {
            round = 0;
            position = -1;
            nextPosition = 0;
        }
    }

    /** Changes the flow's weight; visits already passed keep the quantum they had. */
    void reweight(F flow, int weight) {
        if (flow.heapIndex >= 0) {
            settle(flow);
            flow.weight = weight;
            rekey(flow);
        } else {
            flow.weight = weight;
        }
    }

    /** Credits a waiting flow with the quanta of the dry visits time has already passed. */
    private void settle(Flow flow) {
        long firstAhead = flow.position > position ? round : round + 1;
        if (firstAhead > flow.visitRound) {
            flow.deficit += (firstAhead - flow.visitRound) * flow.weight;
            flow.visitRound = firstAhead;
        }
    }

    private void rekey(Flow flow) {
        computeEligibleRound(flow);
        int i = flow.heapIndex;
        siftUp(i, flow);
        if (flow.heapIndex == i) {
            siftDown(i, flow);
        }
    }

    private static void computeEligibleRound(Flow flow) {
        long shortfall = flow.headCost() - flow.deficit;
        long visits = shortfall <= 0 ? 1 : Math.ceilDiv(shortfall, (long) flow.weight);
        flow.eligibleRound = flow.visitRound + visits - 1;
    }

    private void insert(Flow flow) {
        computeEligibleRound(flow);
        if (heapSize == heap.length) {
            heap = Arrays.copyOf(heap, heapSize * 2);
        }
        siftUp(heapSize++, flow);
    }

    @SuppressWarnings("unchecked")
    private F removeFirst() {
        Flow first = heap[0];
        Flow last = heap[--heapSize];
        heap[heapSize] = null;
        if (heapSize > 0) {
            siftDown(0, last);
        }
        first.heapIndex = -1;
        return (F) first;
    }

    private void siftUp(int i, Flow flow) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Flow p = heap[parent];
            if (!before(flow, p)) {
                break;
            }
            place(i, p);
            i = parent;
        }
        place(i, flow);
    }

    private void siftDown(int i, Flow flow) {
        int half = heapSize >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < heapSize && before(heap[right], heap[child])) {
                child = right;
            }
            if (!before(heap[child], flow)) {
                break;
            }
            place(i, heap[child]);
            i = child;
        }
        place(i, flow);
    }

    private void place(int i, Flow flow) {
        heap[i] = flow;
        flow.heapIndex = i;
    }

    private static boolean before(Flow a, Flow b) {
        return a.eligibleRound < b.eligibleRound
                || (a.eligibleRound == b.eligibleRound && a.position < b.position);
    }
}
