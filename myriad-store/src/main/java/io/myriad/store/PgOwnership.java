package io.myriad.store;

import io.myriad.core.MyriadException;
import io.myriad.core.cluster.Claim;
import io.myriad.core.cluster.LeaseLostException;
import io.myriad.core.cluster.Node;
import io.myriad.core.cluster.NodeStatus;
import io.myriad.core.cluster.Ownership;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Run ownership on PostgreSQL: the {@code nodes} table and the {@code owner_node}, {@code
 * owner_epoch} columns of {@code runs} (cluster migration 1 of {@link PgSchema}).
 *
 * <p>Notes. Time is the server's ({@code clock_timestamp()} in epoch milliseconds), so the
 * nodes' clocks need not agree. A node's heartbeat is one {@code UPDATE} of its row; a run's lease
 * is its owner's heartbeat, so nothing is written per run while it is owned. A claim locks the
 * node's row (claims of one node are serialized, and its capacity is counted under that lock),
 * then takes candidate runs with {@code FOR UPDATE SKIP LOCKED}, raising each one's owner epoch:
 * two nodes claiming at once skip each other's rows, and a row re-read after a concurrent claim
 * committed is re-checked against its new owner. Rows a journal writer has share-locked for an
 * owned append are skipped too, so a takeover never interleaves with the previous owner's last
 * commit ({@link PgAppendSql}). Node epochs come from a sequence and are never reused.
 */
final class PgOwnership implements Ownership {
    private static final String NOW = "(extract(epoch from clock_timestamp()) * 1000)::bigint";
    private static final String NOT_FINAL = " state NOT IN (" + PgSchema.finalStates() + ")";

    private final PgTx tx;
    private final Duration leaseTimeout;
    private final long leaseMillis;

    PgOwnership(DataSource pool, Duration leaseTimeout) {
        this.tx = new PgTx(Objects.requireNonNull(pool, "pool"));
        Objects.requireNonNull(leaseTimeout, "leaseTimeout");
        if (leaseTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("the lease timeout must be at least 1 ms, got " + leaseTimeout);
        }
        this.leaseTimeout = leaseTimeout;
        this.leaseMillis = leaseTimeout.toMillis();
    }

    @Override
    public Duration leaseTimeout() {
        return leaseTimeout;
    }

    @Override
    public Node join(String nodeId, int capacity) {
        Objects.requireNonNull(nodeId, "nodeId");
        if (nodeId.isBlank() || capacity < 1) {
            throw new IllegalArgumentException("a node needs an id and a capacity of at least 1");
        }
        return tx.write("join node " + nodeId, c -> {
            long epoch;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO nodes(node_id, epoch, capacity, joined_at, heartbeat_at)"
                    + " VALUES (?, nextval('node_epochs'), ?, " + NOW + ", " + NOW + ") ON CONFLICT (node_id) DO UPDATE SET"
                    + " epoch = EXCLUDED.epoch, capacity = EXCLUDED.capacity, joined_at = EXCLUDED.joined_at,"
                    + " heartbeat_at = EXCLUDED.heartbeat_at RETURNING epoch")) {
                ps.setString(1, nodeId);
                ps.setInt(2, capacity);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    epoch = rs.getLong(1);
                }
            }
            disown(c, nodeId); // the runs of an earlier incarnation under this id
            return new Node(nodeId, epoch, capacity);
        });
    }

    @Override
    public void heartbeat(Node node) {
        Objects.requireNonNull(node, "node");
        int updated = tx.write("heartbeat of node " + node.id(), c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE nodes SET heartbeat_at = " + NOW
                    + " WHERE node_id = ? AND epoch = ? AND heartbeat_at >= " + NOW + " - ?")) {
                ps.setString(1, node.id());
                ps.setLong(2, node.epoch());
                ps.setLong(3, leaseMillis);
                return ps.executeUpdate();
            }
        });
        if (updated == 0) {
            throw new LeaseLostException(node, "no heartbeat within " + leaseTimeout + ", or it joined again");
        }
    }

    @Override
    public List<Claim> claim(Node node, String execution, int max) {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(execution, "execution");
        if (max < 0) {
            throw new IllegalArgumentException("max must not be negative, got " + max);
        }
        List<Claim> claims = tx.write("claim runs of " + execution + " for node " + node.id(), c -> {
            long now;
            long room;
            try (PreparedStatement ps = c.prepareStatement("SELECT " + NOW + ", capacity, (SELECT count(*) FROM runs"
                    + " WHERE owner_node = n.node_id AND" + NOT_FINAL + ") FROM nodes n"
                    + " WHERE node_id = ? AND epoch = ? AND heartbeat_at >= " + NOW + " - ? FOR UPDATE")) {
                ps.setString(1, node.id());
                ps.setLong(2, node.epoch());
                ps.setLong(3, leaseMillis);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return null;
                    }
                    now = rs.getLong(1);
                    room = rs.getLong(2) - rs.getLong(3);
                }
            }
            List<Claim> out = new ArrayList<>();
            long limit = Math.min(max, room);
            if (limit <= 0) {
                return out;
            }
            // A run in doubt waits for a person (myriad runs resolve): it is claimable again once decided.
            try (PreparedStatement ps = c.prepareStatement("WITH candidates AS (SELECT r.run_id FROM runs r"
                    + " WHERE r.execution = ? AND r." + NOT_FINAL.strip() + " AND r.state <> 'IN_DOUBT'"
                    + " AND (r.owner_node IS NULL OR NOT EXISTS ("
                    + "SELECT 1 FROM nodes n WHERE n.node_id = r.owner_node AND n.heartbeat_at >= ?))"
                    + " ORDER BY r.run_id LIMIT ? FOR UPDATE OF r SKIP LOCKED)"
                    + " UPDATE runs r SET owner_node = ?, owner_epoch = r.owner_epoch + 1 FROM candidates"
                    + " WHERE r.run_id = candidates.run_id RETURNING r.run_id, r.owner_epoch")) {
                ps.setString(1, execution);
                ps.setLong(2, now - leaseMillis);
                ps.setLong(3, limit);
                ps.setString(4, node.id());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Claim(rs.getString(1), node.id(), rs.getLong(2)));
                    }
                }
            }
            out.sort(Comparator.comparing(Claim::runId));
            return out;
        });
        if (claims == null) {
            throw new LeaseLostException(node, "its lease lapsed before it claimed runs of " + execution);
        }
        return claims;
    }

    @Override
    public boolean release(Claim claim) {
        Objects.requireNonNull(claim, "claim");
        return tx.write("release run " + claim.runId(), c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE runs SET owner_node = NULL WHERE run_id = ? AND owner_node = ? AND owner_epoch = ?")) {
                ps.setString(1, claim.runId());
                ps.setString(2, claim.node());
                ps.setLong(3, claim.epoch());
                return ps.executeUpdate() == 1;
            }
        });
    }

    @Override
    public void leave(Node node) {
        Objects.requireNonNull(node, "node");
        tx.write("node " + node.id() + " leaving", c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM nodes WHERE node_id = ? AND epoch = ?")) {
                ps.setString(1, node.id());
                ps.setLong(2, node.epoch());
                if (ps.executeUpdate() == 1) {
                    disown(c, node.id());
                }
            }
            return null;
        });
    }

    @Override
    public List<NodeStatus> nodes() {
        return tx.write("list the nodes", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT node_id, epoch, capacity, joined_at, heartbeat_at, "
                    + NOW + " - heartbeat_at, (SELECT count(*) FROM runs r WHERE r.owner_node = n.node_id AND r."
                    + NOT_FINAL.strip() + ") FROM nodes n ORDER BY node_id");
                 ResultSet rs = ps.executeQuery()) {
                List<NodeStatus> out = new ArrayList<>();
                while (rs.next()) {
                    long lag = rs.getLong(6);
                    out.add(new NodeStatus(new Node(rs.getString(1), rs.getLong(2), rs.getInt(3)), rs.getLong(4), rs.getLong(5),
                            lag, lag <= leaseMillis, rs.getLong(7)));
                }
                return out;
            }
        });
    }

    @Override
    public List<Claim> owners(String execution) {
        Objects.requireNonNull(execution, "execution");
        return tx.write("list the owners of " + execution, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT run_id, owner_node, owner_epoch FROM runs"
                    + " WHERE execution = ? AND owner_node IS NOT NULL AND" + NOT_FINAL + " ORDER BY run_id")) {
                ps.setString(1, execution);
                try (ResultSet rs = ps.executeQuery()) {
                    List<Claim> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(new Claim(rs.getString(1), rs.getString(2), rs.getLong(3)));
                    }
                    return out;
                }
            }
        });
    }

    /** Every run owned under {@code nodeId} becomes unowned; the next claim raises its epoch. */
    private static void disown(Connection c, String nodeId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE runs SET owner_node = NULL WHERE owner_node = ?")) {
            ps.setString(1, nodeId);
            ps.executeUpdate();
        }
    }
}
