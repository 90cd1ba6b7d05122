package io.myriad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.budget.BudgetLedger;
import io.myriad.core.budget.BudgetStore;
import io.myriad.core.budget.Ceilings;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.journal.RunRepository;
import io.myriad.store.Store;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The budgets of one {@code myriad run}: the tenant's stored ceilings, the fleet file's
 * {@code budget}, the agents' {@code max_usd} / {@code max_tool_calls}, and the spend already
 * journaled by the tenant (every execution: a tenant's ceiling is cumulative) and by this
 * execution (a fleet's ceiling covers one execution, resumes included).
 */
final class BudgetSetup {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BudgetSetup() {}

    /** A ledger when any ceiling applies to this execution; empty otherwise (no admission at all). */
    static Optional<BudgetLedger> ledger(Store store, FleetSpec fleet, RunRepository.Execution execution,
                                         PrintWriter err) {
        String tenant = execution.tenant();
        Optional<Ceilings> tenantCeilings = store.tenantCeilings(tenant).filter(c -> !c.none());
        boolean runCeilings = fleet.agents().values().stream()
                .anyMatch(a -> a.limits().maxUsd().isPresent() || a.limits().maxToolCalls().isPresent());
        store.setExecutionCeilings(execution.id(), fleet.budget());
        if (tenantCeilings.isEmpty() && fleet.budget().none() && !runCeilings) {
            return Optional.empty();
        }
        BudgetLedger ledger = BudgetLedger.create(w -> {
            err.println("myriad: budget warning: " + w.message());
            err.flush();
            store.appendAudit(List.of(new AuditEntry(System.currentTimeMillis(), w.tenant(), "system:budgets",
                    "budget.warning", w.level().label() + ":" + w.owner(), JSON.createObjectNode()
                            .put("resource", w.resource().label()).put("spent", w.spent()).put("ceiling", w.ceiling())
                            .put("warn_at", w.warnAt()).toString())));
        });
        ledger.tenant(tenant, tenantCeilings.orElse(Ceilings.NONE));
        Map<String, BudgetStore.Spend> byExecution = store.spendByExecution(tenant);
        BudgetStore.Spend total = byExecution.values().stream().reduce(BudgetStore.Spend.ZERO, BudgetStore.Spend::plus);
        ledger.restore(tenant, null, total.amount());
        ledger.execution(tenant, execution.id(), fleet.budget(), execution.startedAt());
        ledger.restore(tenant, execution.id(), byExecution.getOrDefault(execution.id(), BudgetStore.Spend.ZERO).amount());
        err.println("budget: tenant " + tenant + " " + tenantCeilings.map(Ceilings::describe).orElse("no ceilings")
                + " (spent " + String.format(java.util.Locale.ROOT, "$%.4f", total.usd()) + ", " + total.tokens()
                + " tokens so far); fleet " + fleet.budget().describe());
        return Optional.of(ledger);
    }

    /** Brings the ledger up to the spend the store holds (every node's), for a cluster; quiet when the store is unreachable. */
    static void sync(Store store, BudgetLedger ledger, RunRepository.Execution execution) {
        try {
            Map<String, BudgetStore.Spend> byExecution = store.spendByExecution(execution.tenant());
            BudgetStore.Spend total = byExecution.values().stream().reduce(BudgetStore.Spend.ZERO, BudgetStore.Spend::plus);
            ledger.sync(execution.tenant(), null, total.amount());
            ledger.sync(execution.tenant(), execution.id(), byExecution.getOrDefault(execution.id(), BudgetStore.Spend.ZERO).amount());
        } catch (RuntimeException e) {
            // The next second tries again; meanwhile this node's own spend is counted as always.
        }
    }
}
