package io.myriad.store;

import io.myriad.core.MyriadException;
import io.myriad.core.cluster.FairSlices;
import io.myriad.core.cluster.LeaseLostException;
import io.myriad.core.cluster.LimitShares;
import io.myriad.core.cluster.Node;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Limit shares on PostgreSQL: the {@code limit_slices} table (cluster migration 2 of {@link
 * PgSchema}), one row per limit and node, counted while the row's node incarnation holds its lease
 * in {@code nodes} ({@link PgOwnership}).
 *
 * <p>Notes. An update is one transaction: an advisory transaction lock on the key serializes the
 * key's updates; then the {@code nodes} rows of the key's nodes (and the caller's) are
 * share-locked, so no heartbeat commits while the transaction judges liveness, and only then read
 * again with a fresh snapshot and the server's clock. A node judged dead stays dead: its heartbeat
 * fails once it lapsed ({@link PgOwnership#heartbeat}), and a new incarnation has a new epoch, which
 * the row's epoch does not match. The new slice is computed by {@link FairSlices} against the
 * others' live slices, so the live slices never add up to more than the limit; dead rows are
 * deleted on the way. Nothing is read or written per model call.
 */
final class PgLimitShares implements LimitShares {
    private static final String NOW = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

    private final PgTx tx;
    private final Duration leaseTimeout;
    private final long leaseMillis;

    PgLimitShares(DataSource pool, Duration leaseTimeout) {
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

    private record Row(String node, long epoch, int held, int demand, int limit, boolean alive) {}

    @Override
    public Slice update(Node node, String key, int limit, int demand, int inUse) {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(key, "key");
        if (key.isBlank() || limit < 0 || demand < 0 || inUse < 0) {
            throw new IllegalArgumentException("a limit update needs a key and no negative numbers, got " + key
                    + ": limit " + limit + ", demand " + demand + ", in use " + inUse);
        }
        Slice slice = tx.write("update the slice of " + key + " for node " + node.id(), c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT pg_advisory_xact_lock(hashtext('myriad.limit:' || current_schema() || ':' || ?))")) {
                ps.setString(1, key);
                ps.execute();
            }
            // Holds off the heartbeats of the nodes judged below until this transaction ends.
            try (PreparedStatement ps = c.prepareStatement("SELECT node_id FROM nodes WHERE node_id = ? OR node_id IN"
                    + " (SELECT node_id FROM limit_slices WHERE key = ?) ORDER BY node_id FOR SHARE")) {
                ps.setString(1, node.id());
                ps.setString(2, key);
                ps.executeQuery().close();
            }
            boolean meAlive = false;
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM nodes WHERE node_id = ? AND epoch = ?"
                    + " AND heartbeat_at >= " + NOW + " - ?")) {
                ps.setString(1, node.id());
                ps.setLong(2, node.epoch());
                ps.setLong(3, leaseMillis);
                try (ResultSet rs = ps.executeQuery()) {
                    meAlive = rs.next();
                }
            }
            if (!meAlive) {
                return null;
            }
            List<Row> rows = rows(c, key);
            int effective = limit;
            int others = 0;
            int held = 0;
            Map<String, Integer> demands = new HashMap<>();
            List<String> dead = new ArrayList<>();
            for (Row r : rows) {
                if (r.node().equals(node.id())) {
                    held = r.epoch() == node.epoch() ? r.held() : 0;
                } else if (r.alive()) {
                    effective = Math.min(effective, r.limit());
                    others += r.held();
                    demands.put(r.node(), r.demand());
                } else {
                    dead.add(r.node());
                }
            }
            demands.put(node.id(), demand);
            int target = FairSlices.targets(effective, demands).get(node.id());
            FairSlices.Step step = FairSlices.step(target, effective - others, held, inUse);
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM limit_slices WHERE key = ? AND node_id = ?")) {
                for (String d : dead) {
                    ps.setString(1, key);
                    ps.setString(2, d);
                    ps.addBatch();
                }
                if (!dead.isEmpty()) {
                    ps.executeBatch();
                }
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO limit_slices(key, node_id, epoch, held, demand, lim,"
                    + " updated_at) VALUES (?, ?, ?, ?, ?, ?, " + NOW + ") ON CONFLICT (key, node_id) DO UPDATE SET"
                    + " epoch = EXCLUDED.epoch, held = EXCLUDED.held, demand = EXCLUDED.demand, lim = EXCLUDED.lim,"
                    + " updated_at = EXCLUDED.updated_at")) {
                ps.setString(1, key);
                ps.setString(2, node.id());
                ps.setLong(3, node.epoch());
                ps.setLong(4, step.held());
                ps.setLong(5, demand);
                ps.setLong(6, limit);
                ps.executeUpdate();
            }
            return new Slice(key, node.id(), step.slice(), step.held(), target, effective);
        });
        if (slice == null) {
            throw new LeaseLostException(node, "its lease lapsed before it updated its slice of " + key);
        }
        return slice;
    }

    /** The key's rows, each with whether its incarnation's lease holds now (the server's clock). */
    private List<Row> rows(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT s.node_id, s.epoch, s.held, s.demand, s.lim,"
                + " coalesce(n.epoch = s.epoch AND n.heartbeat_at >= " + NOW + " - ?, false)"
                + " FROM limit_slices s LEFT JOIN nodes n ON n.node_id = s.node_id WHERE s.key = ? ORDER BY s.node_id")) {
            ps.setLong(1, leaseMillis);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                List<Row> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new Row(rs.getString(1), rs.getLong(2), rs.getInt(3), rs.getInt(4), rs.getInt(5), rs.getBoolean(6)));
                }
                return out;
            }
        }
    }

    @Override
    public Map<String, Share> slices(String key) {
        Objects.requireNonNull(key, "key");
        return tx.write("list the slices of " + key, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT s.node_id, s.epoch, coalesce(n.capacity, 1), s.held,"
                    + " s.demand, s.lim, s.updated_at, coalesce(n.epoch = s.epoch AND n.heartbeat_at >= " + NOW + " - ?, false)"
                    + " FROM limit_slices s LEFT JOIN nodes n ON n.node_id = s.node_id WHERE s.key = ? ORDER BY s.node_id")) {
                ps.setLong(1, leaseMillis);
                ps.setString(2, key);
                try (ResultSet rs = ps.executeQuery()) {
                    Map<String, Share> out = new TreeMap<>();
                    while (rs.next()) {
                        Node n = new Node(rs.getString(1), rs.getLong(2), Math.max(1, rs.getInt(3)));
                        out.put(n.id(), new Share(n, rs.getInt(4), rs.getInt(5), rs.getInt(6), rs.getLong(7), rs.getBoolean(8)));
                    }
                    return out;
                }
            }
        });
    }
}
