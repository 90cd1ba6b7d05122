package io.myriad.store;

import io.myriad.core.budget.BudgetStore.Spend;
import io.myriad.core.budget.Ceilings;
import io.myriad.core.fleet.ModelSpec;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Budgets on PostgreSQL: ceilings and price overrides through {@link BudgetSql}, whose statements
 * PostgreSQL accepts as they are; spend recomputed from the events with PostgreSQL's JSON
 * operators where SQLite uses {@code json_extract}.
 */
final class PgBudgets {
    /** {@link BudgetSql}'s spend query: the same columns, rows and groups. */
    private static final String SPEND = """
            SELECT coalesce(x.tenant, 'default'), r.execution, ev.type, count(*),
                   coalesce(sum((ev.body::jsonb ->> 'costUsd')::double precision), 0),
                   coalesce(sum((ev.body::jsonb -> 'usage' ->> 'promptTokens')::bigint
                              + (ev.body::jsonb -> 'usage' ->> 'completionTokens')::bigint), 0)
            FROM events ev JOIN runs r ON r.run_id = ev.run_id LEFT JOIN executions x ON x.id = r.execution
            WHERE ev.type IN ('model_responded', 'tool_call_completed', 'tool_call_failed')""";

    private final PgTx tx;

    PgBudgets(PgTx tx) {
        this.tx = tx;
    }

    Optional<Ceilings> tenantCeilings(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        return tx.read(c -> BudgetSql.tenantCeilings(c, tenant));
    }

    Map<String, Ceilings> allTenantCeilings() {
        return tx.read(BudgetSql::allTenantCeilings);
    }

    void setTenantCeilings(String tenant, Ceilings ceilings, long at) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(ceilings, "ceilings");
        tx.write("set the budget of tenant " + tenant, c -> {
            BudgetSql.setTenantCeilings(c, tenant, ceilings, at);
            return null;
        });
    }

    void setExecutionCeilings(String execution, Ceilings ceilings) {
        Objects.requireNonNull(execution, "execution");
        Objects.requireNonNull(ceilings, "ceilings");
        tx.write("record the budget of execution " + execution, c -> {
            BudgetSql.setExecutionCeilings(c, execution, ceilings);
            return null;
        });
    }

    Map<String, Ceilings> executionCeilings(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        return tx.read(c -> BudgetSql.executionCeilings(c, tenant));
    }

    Map<String, ModelSpec.Pricing> priceOverrides() {
        return tx.read(BudgetSql::prices);
    }

    void setPrice(String model, ModelSpec.Pricing pricing, long at) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(pricing, "pricing");
        tx.write("set the price of " + model, c -> {
            BudgetSql.setPrice(c, model, pricing, at);
            return null;
        });
    }

    Map<String, Spend> spendByExecution(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        return tx.read(c -> BudgetSql.spend(c, SPEND + " AND coalesce(x.tenant, 'default') = ? GROUP BY 1, 2, 3", tenant, 2));
    }

    Map<String, Spend> spendByTenant() {
        return tx.read(c -> BudgetSql.spend(c, SPEND + " GROUP BY 1, 2, 3", null, 1));
    }
}
