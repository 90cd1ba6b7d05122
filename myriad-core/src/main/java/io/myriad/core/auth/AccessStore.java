package io.myriad.core.auth;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Where tenants and API keys (as hashes, with their grants) are kept. */
public interface AccessStore {

    /** A key as stored: never the key itself. */
    record KeyRow(String id, String name, String hash, Map<String, Set<Role>> grants, long createdAt, String createdBy,
                  long revokedAt) {
        public boolean active() {
            return revokedAt == 0;
        }

        /** The principal this key authenticates. */
        public Principal principal() {
            return new Principal(ApiKeys.principalId(id), name, Principal.Kind.KEY, grants);
        }
    }

    /** A tenant: created explicitly, or by the first fleet that names it. */
    record TenantRow(String name, long createdAt, String createdBy) {}

    /** Whether any key that is not revoked exists: then every caller must present one. */
    boolean hasActiveKeys();

    Optional<KeyRow> keyByHash(String hash);

    Optional<KeyRow> key(String id);

    /** Stores a new key with its grants; fails if the id or hash exists. */
    void createKey(KeyRow key);

    /** Marks the key revoked at {@code at}; false when there is no such active key. */
    boolean revokeKey(String id, long at);

    /** Every key, newest first. */
    List<KeyRow> keys();

    /** Records the tenant unless it exists; true when it was new. */
    boolean createTenant(String name, long at, String by);

    /** Tenants, by name: those created and those that own executions. */
    List<TenantRow> tenants();
}
