package io.myriad.core.budget;

import io.myriad.core.fleet.ModelSpec;
import java.util.Map;
import java.util.Optional;

/**
 * Where tenant ceilings and price overrides are kept, and where spend is read back from the
 * journal. A journal adapter implements it in the same database as the events, so spend is
 * recomputed from exactly what was journaled: it survives restarts and crashes.
 */
public interface BudgetStore {

    /** A tenant's ceilings; empty when none were set. */
    Optional<Ceilings> tenantCeilings(String tenant);

    /** Every tenant's ceilings, by tenant. */
    Map<String, Ceilings> allTenantCeilings();

    /** Stores a tenant's ceilings (replacing earlier ones). */
    void setTenantCeilings(String tenant, Ceilings ceilings, long at);

    /** Records the ceilings a fleet execution runs under (from its fleet file), for reports. */
    void setExecutionCeilings(String execution, Ceilings ceilings);

    /** The recorded ceilings of the executions of {@code tenant}, by execution id, oldest first. */
    Map<String, Ceilings> executionCeilings(String tenant);

    /** The stored price overrides, by model name. */
    Map<String, ModelSpec.Pricing> priceOverrides();

    /** Stores the price of {@code model}. */
    void setPrice(String model, ModelSpec.Pricing pricing, long at);

    /** The spend journaled for each execution of {@code tenant}, by execution id. */
    Map<String, Spend> spendByExecution(String tenant);

    /** The spend journaled by every tenant, by tenant. */
    Map<String, Spend> spendByTenant();

    /**
     * Spend counted from the journal: tokens and cost of journaled model responses, and steps
     * (responses plus tool calls with a journaled outcome).
     */
    record Spend(long tokens, double usd, long steps, long toolCalls) {
        public static final Spend ZERO = new Spend(0, 0, 0, 0);

        /** In the ledger's units (dollars rounded up to the nano-dollar). */
        public Amount amount() {
            return new Amount(tokens, Amount.nanos(usd), steps, toolCalls);
        }

        public Spend plus(Spend o) {
            return new Spend(tokens + o.tokens, usd + o.usd, steps + o.steps, toolCalls + o.toolCalls);
        }
    }
}
