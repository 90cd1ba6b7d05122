package io.myriad.core.cluster;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * A limit shared by the nodes of a cluster, such as a provider's "at most N model calls in
 * flight": each node leases a slice of it, so the limit holds for the cluster as a whole while a
 * node admits its calls locally, without asking the store for each one.
 *
 * <p>Invariant: for every key, the slices <em>held</em> by the nodes whose lease is alive (their
 * heartbeat within {@link Ownership#leaseTimeout()}, judged by the store's clock) add up to at most
 * the limit. The slice of a node whose lease lapsed, or that left, is free for the others.
 *
 * <p>Target: the limit is shared out among the live nodes by water-filling on their demands
 * ({@link FairSlices#targets}): a node that wants nothing gets nothing, what one node leaves unused
 * goes to those that want more, and when the limit is at least the number of nodes with demand,
 * each of them gets at least 1. A node gets its target as soon as the others' held slices leave
 * room for it; until then it gets what room there is, and more at a later update.
 *
 * <p>Protocol (run by {@code ClusterConcurrency} for a model gateway, once per heartbeat
 * interval):
 * <ol>
 *   <li>The node reads its demand (calls waiting and in flight) and {@code inUse}: the most calls
 *       it may have in flight until it applies the answer, that is the larger of its current local
 *       limit and its calls in flight.
 *   <li>It calls {@link #update}. A raise is recorded before the node uses it, in a transaction
 *       that serializes the key's updates and checks the others' live slices plus the new one
 *       against the limit. A lowering is two-phase: the store never records less than {@code
 *       inUse} (as far as the node held it before), so the held slice always covers the calls the
 *       node may have in flight.
 *   <li>It sets its local limit to {@link Slice#slice()}. When that lowered the limit, the
 *       calls in flight finish, and a later update (whose {@code inUse} is then lower) gives the
 *       difference back to the cluster.
 *   <li>When {@link #update} throws {@link LeaseLostException}, the node sets its local limit to 0
 *       at once: the others may already use its slice.
 * </ol>
 * Raises therefore reach the store before the node uses them, and lowerings reach the store only
 * after the node stopped using them. The one exposure left is a node whose lease lapses before it
 * notices: its calls in flight, and those it admits until its next update, may run alongside the
 * slice handed to others (at most one update interval, the same exposure as a zombie's runs).
 *
 * <p>Implementations are thread-safe. Every method may throw a retriable {@code MyriadException}
 * when the store cannot be reached.
 */
public interface LimitShares {

    /**
     * What one {@link #update} gave the node.
     *
     * @param key    the limit's key
     * @param node   the node's id
     * @param slice  the local limit the node may use from now on
     * @param held   what the store now records for the node: at least {@code slice}, and more while
     *               a lowering waits for the calls in flight to finish
     * @param target the node's fair share, which it reaches once the others make room
     * @param limit  the limit in force for the cluster (the smallest any live node asked for)
     */
    record Slice(String key, String node, int slice, int held, int target, int limit) {
        public Slice {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(node, "node");
            if (slice < 0 || held < slice || target < 0 || limit < 0) {
                throw new IllegalArgumentException("a slice needs 0 <= slice <= held and a target and limit of at"
                        + " least 0, got slice " + slice + ", held " + held + ", target " + target + ", limit " + limit);
            }
        }
    }

    /**
     * One node's row for a limit, as the store sees it: what {@code myriad cluster status} shows.
     *
     * @param node      the node's incarnation that holds the slice
     * @param held      the slice the store counts for the node
     * @param demand    the demand it reported last
     * @param limit     the limit it asked for last
     * @param updatedAt its last update, epoch milliseconds of the store's clock
     * @param alive     whether its lease holds: only then does {@code held} count against the limit
     */
    record Share(Node node, int held, int demand, int limit, long updatedAt, boolean alive) {
        public Share {
            Objects.requireNonNull(node, "node");
        }
    }

    /**
     * Records the node's demand for limit {@code key}, moves its held slice toward its fair share as
     * the invariant allows, and returns the slice it may use now. See the protocol above.
     *
     * @param node   the node's current incarnation (from {@link Ownership#join})
     * @param key    the limit, for example {@code "provider:openai:concurrency"}
     * @param limit  the limit for the cluster as a whole (every node should pass the same; the store
     *               enforces the smallest any live node passed)
     * @param demand the calls the node wants in flight (waiting plus in flight); 0 wants none
     * @param inUse  the most calls the node may have in flight until it applies the answer (the larger
     *               of its local limit and its calls in flight): the store never lowers the node's
     *               held slice below it
     * @throws LeaseLostException       when the node's lease lapsed or another incarnation joined under its id
     * @throws IllegalArgumentException when a number is negative or the key blank
     */
    Slice update(Node node, String key, int limit, int demand, int inUse);

    /** The rows of limit {@code key} by node id, live or not (until an update clears the dead ones). */
    Map<String, Share> slices(String key);

    /** How long a node may go without heart-beating before its slices count no more. */
    Duration leaseTimeout();

    /** The key of a model provider's concurrency limit: {@code provider:<name>:concurrency}. */
    static String concurrencyKey(String provider) {
        Objects.requireNonNull(provider, "provider");
        return "provider:" + provider + ":concurrency";
    }
}
