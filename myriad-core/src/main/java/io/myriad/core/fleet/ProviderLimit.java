package io.myriad.core.fleet;

import java.util.Objects;

/**
 * A provider account's limit of model calls in flight at once, shared by every fleet that names
 * the account, on every node of a cluster ({@code provider_limit: {name, concurrency}} in a fleet
 * file). On one node it bounds the fleets of that process together; in a cluster each node leases
 * a slice of it through the store.
 *
 * @param name        the account's name, the same in every fleet that shares it
 * @param concurrency calls in flight at most, for all of them together
 */
public record ProviderLimit(String name, int concurrency) {
    /** No shared limit: each fleet's gateway is bounded by its own concurrency. */
    public static final ProviderLimit NONE = new ProviderLimit("", 0);

    public ProviderLimit {
        Objects.requireNonNull(name, "name");
        if (concurrency < 0) {
            throw new IllegalArgumentException("concurrency is never negative, got " + concurrency);
        }
        if (name.isEmpty() != (concurrency == 0)) {
            throw new IllegalArgumentException("a provider limit needs both a name and a concurrency of at least 1");
        }
    }

    public boolean present() {
        return !name.isEmpty();
    }
}
