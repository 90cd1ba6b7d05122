package io.myriad.core.auth;

import java.util.Objects;

/**
 * Turns what a caller presents (an API key, or nothing) into a {@link Principal}.
 *
 * <p>An install without keys is a single-user install: the caller is the implicit owner of every
 * tenant and nothing needs setting up. Once a key exists, every caller must present an active
 * key; an unknown or revoked key, or none, is refused with the same care not to say more than
 * needed.
 */
public final class Authenticator {
    private final AccessStore store;

    public Authenticator(AccessStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * @param key       the presented key, or null
     * @param localUser the OS user, named as the implicit owner
     */
    public Principal authenticate(String key, String localUser) {
        if (key == null || key.isBlank()) {
            if (store.hasActiveKeys()) {
                throw new AccessDenied("this install has API keys: pass --api-key KEY or set MYRIAD_API_KEY");
            }
            return Principal.implicitOwner(localUser);
        }
        String k = key.strip();
        if (!ApiKeys.looksLikeKey(k)) {
            throw new AccessDenied("that is not a Myriad API key (keys start with myr_k_)");
        }
        return store.keyByHash(ApiKeys.hash(k)).filter(AccessStore.KeyRow::active).map(AccessStore.KeyRow::principal)
                .orElseThrow(() -> new AccessDenied("unknown or revoked API key"));
    }
}
