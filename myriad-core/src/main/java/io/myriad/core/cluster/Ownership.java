package io.myriad.core.cluster;

import java.time.Duration;
import java.util.List;

/**
 * Which node of a cluster works on which run: the port behind cluster mode.
 *
 * <p>A node joins with a capacity and gets a new {@link Node} incarnation (its epoch). It keeps
 * itself alive with one {@link #heartbeat} per interval, not one per run: every run it owns is
 * leased through that heartbeat. It {@link #claim claims} runnable runs (not final, and unowned
 * or owned by a node whose last heartbeat is older than the {@link #leaseTimeout}); each claim
 * gives the run a new owner epoch, and the node makes its appends with that {@link Claim#owner()}
 * so the journal fences them once another node has taken the run over. Owners are kept until the
 * run is final, the node {@link #release releases} it, or the node's lease lapses and another
 * node claims it. Liveness is judged by the store's clock, not the nodes' own, so the nodes'
 * clocks need not agree.
 *
 * <p>Implementations are thread-safe. Every method may throw a retriable {@code MyriadException}
 * when the store cannot be reached.
 */
public interface Ownership {

    /**
     * Registers {@code nodeId} with its capacity (the most non-final runs it owns at once) and
     * returns its new incarnation. A node that joins again under the same id gets a higher epoch
     * and gives up the runs of its earlier incarnation: they are unowned until claimed again, and
     * the earlier incarnation's appends to them are fenced.
     */
    Node join(String nodeId, int capacity);

    /**
     * Renews the node's lease on itself and on every run it owns (one write).
     *
     * @throws LeaseLostException when the lease lapsed (the node must stop its runs and join again)
     *                            or another incarnation joined under the same id
     */
    void heartbeat(Node node);

    /**
     * Claims at most {@code max} runnable runs of an execution for the node, skipping runs another
     * node is claiming at the same moment, and never taking the node above its capacity. Two
     * nodes claiming at once never get the same run.
     *
     * @throws LeaseLostException when the node's own lease lapsed
     */
    List<Claim> claim(Node node, String execution, int max);

    /** Gives a run back (unowned, claimable at once); false when the claim was no longer the run's owner. */
    boolean release(Claim claim);

    /** Leaves the cluster: the node's runs become unowned at once and its row is removed. */
    void leave(Node node);

    /** The nodes, with their heartbeats, lag and the runs they own: what {@code myriad cluster status} shows. */
    List<NodeStatus> nodes();

    /** The owned runs of an execution, in run id order. */
    List<Claim> owners(String execution);

    /** How long a node may go without heart-beating before its runs can be taken over. */
    Duration leaseTimeout();
}
