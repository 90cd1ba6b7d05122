package io.myriad.store;

import io.myriad.core.auth.AccessStore.KeyRow;
import io.myriad.core.auth.AccessStore.TenantRow;
import io.myriad.core.auth.Role;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * API keys, their grants and tenants on PostgreSQL, as {@link SqliteStore} keeps them (schema 4).
 * A key's rows are read and their connection given back before its grants are read: a read that
 * waits for a second connection while holding one deadlocks once the pool is exhausted.
 */
final class PgAccess {
    private static final String KEY_COLS = "id, name, hash, created_at, created_by, revoked_at";

    private final PgTx tx;

    PgAccess(PgTx tx) {
        this.tx = tx;
    }

    boolean hasActiveKeys() {
        return tx.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at=0)");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        });
    }

    Optional<KeyRow> keyByHash(String hash) {
        return keyRows(rawKeys("SELECT " + KEY_COLS + " FROM api_keys WHERE hash=?", hash)).stream().findFirst();
    }

    Optional<KeyRow> key(String id) {
        return keyRows(rawKeys("SELECT " + KEY_COLS + " FROM api_keys WHERE id=?", id)).stream().findFirst();
    }

    List<KeyRow> keys() {
        return keyRows(rawKeys("SELECT " + KEY_COLS + " FROM api_keys ORDER BY created_at DESC, id", null));
    }

    private record RawKey(String id, String name, String hash, long createdAt, String createdBy, long revokedAt) {}

    private List<RawKey> rawKeys(String sql, String param) {
        return tx.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                if (param != null) {
                    ps.setString(1, param);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    List<RawKey> raws = new ArrayList<>();
                    while (rs.next()) {
                        raws.add(new RawKey(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getString(5),
                                rs.getLong(6)));
                    }
                    return raws;
                }
            }
        });
    }

    /** The keys with their grants, read after the keys' own connection was given back. */
    private List<KeyRow> keyRows(List<RawKey> raws) {
        List<KeyRow> out = new ArrayList<>(raws.size());
        for (RawKey r : raws) {
            Map<String, Set<Role>> grants = tx.read(c -> {
                Map<String, Set<Role>> g = new TreeMap<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT tenant, role FROM grants WHERE key_id=? ORDER BY tenant, role")) {
                    ps.setString(1, r.id());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            g.computeIfAbsent(rs.getString(1), t -> EnumSet.noneOf(Role.class)).add(Role.valueOf(rs.getString(2)));
                        }
                    }
                }
                return g;
            });
            out.add(new KeyRow(r.id(), r.name(), r.hash(), grants, r.createdAt(), r.createdBy(), r.revokedAt()));
        }
        return out;
    }

    /** The key and its grants, in one transaction. */
    void createKey(KeyRow key) {
        tx.write("store the key " + key.id(), c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO api_keys(" + KEY_COLS + ") VALUES (?,?,?,?,?,?)")) {
                ps.setString(1, key.id());
                ps.setString(2, key.name());
                ps.setString(3, key.hash());
                ps.setLong(4, key.createdAt());
                ps.setString(5, key.createdBy());
                ps.setLong(6, key.revokedAt());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO grants(key_id, tenant, role) VALUES (?,?,?)")) {
                for (var g : key.grants().entrySet()) {
                    for (Role role : g.getValue()) {
                        ps.setString(1, key.id());
                        ps.setString(2, g.getKey());
                        ps.setString(3, role.name());
                        ps.addBatch();
                    }
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    /** Whether this call revoked the key (false when unknown or already revoked). */
    boolean revokeKey(String id, long at) {
        return tx.write("revoke the key " + id, c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE api_keys SET revoked_at=? WHERE id=? AND revoked_at=0")) {
                ps.setLong(1, at);
                ps.setString(2, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Whether this call created the tenant (false when it was registered before). */
    boolean createTenant(String name, long at, String by) {
        return tx.write("record the tenant " + name, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO tenants(name, created_at, created_by) VALUES (?,?,?) ON CONFLICT (name) DO NOTHING")) {
                ps.setString(1, name);
                ps.setLong(2, at);
                ps.setString(3, by);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Registered tenants and the tenants of executions, by name (code-point order). */
    List<TenantRow> tenants() {
        return tx.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT name, min(created_at), min(created_by COLLATE "C") FROM (
                      SELECT name, created_at, created_by FROM tenants
                      UNION ALL SELECT tenant, min(started_at), '' FROM executions GROUP BY tenant) t
                    GROUP BY name ORDER BY name COLLATE "C"
                    """);
                 ResultSet rs = ps.executeQuery()) {
                List<TenantRow> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new TenantRow(rs.getString(1), rs.getLong(2), rs.getString(3)));
                }
                return out;
            }
        });
    }
}
