package io.myriad.core.auth;

import java.util.Set;
import java.util.TreeSet;

/**
 * The tenants a listing may show: every tenant, or a named few. Stores turn it into a
 * {@code WHERE tenant IN (...)} so that a principal's query never reads another tenant's rows.
 */
public record TenantScope(boolean all, Set<String> tenants) {
    public static final TenantScope ALL = new TenantScope(true, Set.of());

    public TenantScope {
        tenants = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(tenants)); // in name order, always
    }

    public static TenantScope only(Set<String> tenants) {
        return new TenantScope(false, tenants);
    }

    public boolean contains(String tenant) {
        return all || tenants.contains(tenant);
    }

    /** No tenant at all: the listing is empty. */
    public boolean none() {
        return !all && tenants.isEmpty();
    }
}
