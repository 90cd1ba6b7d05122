package io.myriad.core.cluster;

import io.myriad.core.MyriadException;

/**
 * A node's lease lapsed (it went longer than the lease timeout without a heartbeat) or another
 * incarnation joined under its id. Other nodes may already own its runs: it must stop working on
 * them and join again. Retrying the same call cannot help.
 */
public final class LeaseLostException extends MyriadException {
    public LeaseLostException(Node node, String what) {
        super("node " + node.id() + " (epoch " + node.epoch() + ") lost its lease: " + what
                + "; stop its runs and join the cluster again", false);
    }
}
