package io.myriad.core.auth;

import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Who is acting: a person or an API key, and the roles it holds per tenant. A grant on the
 * tenant {@link #ALL_TENANTS} holds in every tenant (the install's administrators, and the
 * implicit owner of a single-user install).
 *
 * @param id     stable identity, recorded in the journal and the audit log ({@code key:k_3f9a},
 *               {@code local:alice})
 * @param name   what people call it, for messages
 * @param kind   person, key, or the implicit local owner
 * @param grants roles by tenant
 */
public record Principal(String id, String name, Kind kind, Map<String, Set<Role>> grants) {

    /** The tenant of every install, and of fleets that do not name one. */
    public static final String DEFAULT_TENANT = "default";

    /** A grant on this tenant holds in every tenant. */
    public static final String ALL_TENANTS = "*";

    public enum Kind {
        /** No principal is configured: the single local user owns everything. */
        IMPLICIT_OWNER,
        /** Authenticated by an API key. */
        KEY
    }

    public Principal {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Map<String, Set<Role>> copy = new LinkedHashMap<>();
        grants.forEach((tenant, roles) -> {
            if (!roles.isEmpty()) {
                copy.put(tenant, Collections.unmodifiableSet(EnumSet.copyOf(roles)));
            }
        });
        grants = Collections.unmodifiableMap(copy);
    }

    /** The owner of every tenant on an install that has no keys yet; {@code user} is the OS user. */
    public static Principal implicitOwner(String user) {
        return new Principal("local:" + user, user, Kind.IMPLICIT_OWNER, Map.of(ALL_TENANTS, Set.of(Role.OWNER)));
    }

    /** Whether this principal's roles in {@code tenant} grant {@code permission}. */
    public boolean can(Permission permission, String tenant) {
        return granted(grants.get(tenant), permission) || granted(grants.get(ALL_TENANTS), permission);
    }

    /** Whether {@code permission} is granted in every tenant. */
    public boolean canEverywhere(Permission permission) {
        return granted(grants.get(ALL_TENANTS), permission);
    }

    /**
     * Throws {@link AccessDenied} unless {@code permission} is granted in {@code tenant}; the
     * message says which roles would grant it.
     */
    public void require(Permission permission, String tenant) {
        if (!can(permission, tenant)) {
            String roles = EnumSet.allOf(Role.class).stream().filter(r -> r.grants(permission)).map(Role::label)
                    .collect(Collectors.joining(" or "));
            throw new AccessDenied(name + " may not " + permission.label() + " in tenant " + tenant
                    + ": that needs the role " + roles + " there");
        }
    }

    /** Tests a tenant for {@code permission}: the filter every listing applies to its rows. */
    public Predicate<String> scope(Permission permission) {
        return tenant -> can(permission, tenant);
    }

    /**
     * The tenants named in this principal's grants where {@code permission} holds (without
     * {@link #ALL_TENANTS}); with {@link #canEverywhere}, every tenant qualifies as well.
     */
    public Set<String> tenants(Permission permission) {
        return grants.entrySet().stream().filter(e -> !e.getKey().equals(ALL_TENANTS) && granted(e.getValue(), permission))
                .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The tenants where {@code permission} holds, for queries. */
    public TenantScope scopeOf(Permission permission) {
        return canEverywhere(permission) ? TenantScope.ALL : TenantScope.only(tenants(permission));
    }

    /** The record in the journal and audit log of who did something: {@code id}. */
    public String actor() {
        return id;
    }

    private static boolean granted(Set<Role> roles, Permission permission) {
        if (roles == null) {
            return false;
        }
        for (Role r : roles) {
            if (r.grants(permission)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether this principal manages access in every tenant {@code grants} hold roles in: what
     * listing, creating or revoking a key with those grants requires.
     */
    public boolean managesAll(java.util.Map<String, java.util.Set<Role>> grants) {
        if (canEverywhere(Permission.MANAGE_ACCESS)) {
            return true;
        }
        return !grants.containsKey(ALL_TENANTS) && grants.keySet().stream().allMatch(t -> can(Permission.MANAGE_ACCESS, t));
    }

    /** {@code acme: operator, approver; beta: viewer}, or {@code every tenant: owner}. */
    public static String describe(java.util.Map<String, java.util.Set<Role>> grants) {
        return grants.entrySet().stream()
                .map(e -> (e.getKey().equals(ALL_TENANTS) ? "every tenant" : e.getKey()) + ": "
                        + e.getValue().stream().map(Role::label).collect(java.util.stream.Collectors.joining(", ")))
                .collect(java.util.stream.Collectors.joining("; "));
    }
}
