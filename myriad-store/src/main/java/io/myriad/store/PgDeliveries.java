package io.myriad.store;

import io.myriad.core.auth.TenantScope;
import io.myriad.core.delivery.Delivery;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Deliveries on PostgreSQL ({@link DeliverySql}'s rows): replaced by id, listed newest first
 * within the tenants of a scope.
 */
final class PgDeliveries {
    private static final String UPSERT = "INSERT INTO deliveries(" + DeliverySql.COLS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
            + " ON CONFLICT (id) DO UPDATE SET run_id=excluded.run_id, execution=excluded.execution, tenant=excluded.tenant,"
            + " task_id=excluded.task_id, model=excluded.model, verdict=excluded.verdict, reason=excluded.reason,"
            + " explanation=excluded.explanation, branch=excluded.branch, commit_sha=excluded.commit_sha,"
            + " patch_file=excluded.patch_file, patch=excluded.patch, files=excluded.files, steps=excluded.steps,"
            + " created_at=excluded.created_at";

    private final PgTx tx;

    PgDeliveries(PgTx tx) {
        this.tx = tx;
    }

    void record(Delivery delivery) {
        Objects.requireNonNull(delivery, "delivery");
        tx.write("record the delivery " + delivery.id(), c -> {
            try (PreparedStatement ps = c.prepareStatement(UPSERT)) {
                DeliverySql.bind(ps, delivery);
                ps.executeUpdate();
            }
            return null;
        });
    }

    Optional<Delivery> delivery(String id, TenantScope scope) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(scope, "scope");
        return scoped(scope, List.of(new Filter("id", id)), 1).stream().findFirst();
    }

    List<Delivery> deliveries(TenantScope scope, Optional<String> execution, Optional<Delivery.Verdict> verdict, int limit) {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(execution, "execution");
        Objects.requireNonNull(verdict, "verdict");
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be at least 0, not " + limit);
        }
        List<Filter> filters = new ArrayList<>();
        execution.ifPresent(e -> filters.add(new Filter("execution", e)));
        verdict.ifPresent(v -> filters.add(new Filter("verdict", v.label())));
        return scoped(scope, filters, limit);
    }

    private record Filter(String column, String value) {}

    /** At most {@code limit} deliveries of the scope's tenants meeting every filter, newest first; none for no tenant. */
    private List<Delivery> scoped(TenantScope scope, List<Filter> filters, int limit) {
        if (scope.none()) {
            return List.of();
        }
        List<String> where = new ArrayList<>();
        List<String> values = new ArrayList<>();
        if (!scope.all()) {
            where.add("tenant IN (" + String.join(",", Collections.nCopies(scope.tenants().size(), "?")) + ")");
            values.addAll(scope.tenants());
        }
        for (Filter f : filters) {
            where.add(f.column() + "=?");
            values.add(f.value());
        }
        String sql = "SELECT " + DeliverySql.COLS + " FROM deliveries" + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
                + " ORDER BY created_at DESC, id DESC LIMIT ?";
        return tx.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                for (String v : values) {
                    ps.setString(i++, v);
                }
                ps.setInt(i, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    List<Delivery> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(DeliverySql.read(rs));
                    }
                    return out;
                }
            }
        });
    }
}
