package io.myriad.core.delivery;

import io.myriad.core.auth.TenantScope;
import java.util.List;
import java.util.Optional;

/**
 * Where the verdicts on coding runs' submissions are kept. Thread-safe.
 */
public interface Deliveries {

    /**
     * Records {@code delivery}, durably; a record with the same id (the same {@code submit} call,
     * made again by recovery) is replaced.
     */
    void record(Delivery delivery);

    /** The delivery with {@code id}, when its tenant is in {@code scope}. */
    Optional<Delivery> delivery(String id, TenantScope scope);

    /**
     * Deliveries whose tenant is in {@code scope}, newest first.
     *
     * @param execution only this execution's, when present
     * @param verdict   only with this verdict, when present
     * @param limit     at most this many
     */
    List<Delivery> deliveries(TenantScope scope, Optional<String> execution, Optional<Delivery.Verdict> verdict, int limit);
}
