package io.myriad.store;

import io.myriad.core.auth.TenantScope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The statement of a listing limited to the tenants in a scope, in both dialects: at most
 * {@code limit} rows of a select whose tenant column is in the scope and that meet every
 * {@code column = value} filter, in a given order. The caller answers an empty scope with no
 * rows, without a statement.
 */
final class ScopedSql {
    private ScopedSql() {}

    /** A condition {@code column = value} of a scoped listing. */
    record Filter(String column, String value) {}

    static RunQuerySql.Sql of(TenantScope scope, String select, String tenantColumn, List<Filter> filters, String orderBy,
            int limit) {
        List<String> where = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        if (!scope.all()) {
            where.add(tenantColumn + " IN (" + String.join(",", Collections.nCopies(scope.tenants().size(), "?")) + ")");
            args.addAll(scope.tenants());
        }
        for (Filter f : filters) {
            where.add(f.column() + "=?");
            args.add(f.value());
        }
        args.add(limit);
        return new RunQuerySql.Sql(select + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where)) + " ORDER BY "
                + orderBy + " LIMIT ?", args);
    }
}
