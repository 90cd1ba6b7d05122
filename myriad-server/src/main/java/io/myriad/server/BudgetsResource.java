package io.myriad.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.budget.BudgetStore;
import io.myriad.core.budget.Ceilings;
import io.myriad.core.budget.Resource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * Spend against ceilings per tenant and execution ({@code GET /v1/budgets}, the document of
 * {@code myriad budgets --json}), and a tenant's ceilings ({@code PUT /v1/budgets/{tenant}}, as
 * {@code myriad budgets set}: the ceilings given replace the earlier ones; audited as
 * {@code budget.set}).
 */
public final class BudgetsResource implements ApiResource {
    private static final Set<String> FIELDS = Set.of("usd", "tokens", "steps", "tool_calls", "warn_at");

    @Override
    public void register(RoutesConfig routes, Api api) {
        api.describe("GET", "/v1/budgets", "Spend against ceilings per tenant and execution (tenant)");
        routes.get("/v1/budgets", ctx -> {
            ArrayNode doc = document(api.mapper(), api.store(), api.principal(ctx), Params.query(ctx, "tenant"));
            api.json(ctx, api.mapper().createObjectNode().set("tenants", doc));
        });
        api.describe("PUT", "/v1/budgets/{tenant}", "Sets a tenant's ceilings: body {usd?, tokens?, steps?, tool_calls?, warn_at?}; "
                + "a ceiling not given is removed (manage-budgets permission)");
        routes.put("/v1/budgets/{tenant}", ctx -> {
            String tenant = Params.tenantName(ctx.pathParam("tenant"));
            ObjectNode body = api.body(ctx, FIELDS);
            Principal who = api.principal(ctx);
            who.require(Permission.MANAGE_BUDGETS, tenant);
            Ceilings c = new Ceilings(whole(body, "tokens"), number(body, "usd"), whole(body, "steps"), whole(body, "tool_calls"),
                    Optional.empty(), number(body, "warn_at").orElse(Ceilings.DEFAULT_WARN_AT));
            long now = System.currentTimeMillis();
            api.store().setTenantCeilings(tenant, c, now);
            api.store().appendAudit(List.of(new AuditEntry(now, tenant, who.actor(), "budget.set", "tenant:" + tenant,
                    api.mapper().createObjectNode().put("ceilings", c.describe()).toString()))).join();
            api.json(ctx, api.mapper().createObjectNode().put("tenant", tenant).put("ceilings", c.describe()));
        });
    }

    private static OptionalLong whole(ObjectNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return OptionalLong.empty();
        }
        if (!n.canConvertToExactIntegral() || !n.isNumber() || !n.canConvertToLong()) {
            throw ApiError.badRequest("'" + field + "' must be a whole number of at most " + Long.MAX_VALUE);
        }
        return OptionalLong.of(n.asLong());
    }

    private static OptionalDouble number(ObjectNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return OptionalDouble.empty();
        }
        if (!n.isNumber()) {
            throw ApiError.badRequest("'" + field + "' must be a number");
        }
        return OptionalDouble.of(n.asDouble());
    }

    /**
     * What {@code myriad budgets} prints and {@code GET /v1/budgets} answers: each tenant {@code who}
     * may view (or only {@code only}), its ceilings, its spend against them, and each execution's.
     */
    public static ArrayNode document(ObjectMapper mapper, io.myriad.store.Store store, io.myriad.core.auth.Principal who,
            Optional<String> only) {
        Map<String, BudgetStore.Spend> spent = store.spendByTenant();
        Map<String, Ceilings> ceilings = store.allTenantCeilings();
        TreeSet<String> tenants = new TreeSet<>();
        if (only.isPresent()) {
            who.require(Permission.VIEW, only.get());
            tenants.add(only.get());
        } else {
            tenants.addAll(spent.keySet());
            tenants.addAll(ceilings.keySet());
            tenants.removeIf(who.scope(Permission.VIEW).negate());
        }
        ArrayNode doc = mapper.createArrayNode();
        for (String t : tenants) {
            ObjectNode tn = doc.addObject().put("tenant", t);
            Ceilings c = ceilings.getOrDefault(t, Ceilings.NONE);
            tn.put("ceilings", c.describe());
            tn.set("spend", report(mapper, spent.getOrDefault(t, BudgetStore.Spend.ZERO), c));
            ArrayNode fleets = tn.putArray("executions");
            Map<String, BudgetStore.Spend> byExecution = store.spendByExecution(t);
            Map<String, Ceilings> execCeilings = store.executionCeilings(t);
            TreeSet<String> executions = new TreeSet<>(byExecution.keySet());
            executions.addAll(execCeilings.keySet());
            for (String ex : executions) {
                fleets.addObject().put("execution", ex).set("spend", report(mapper,
                        byExecution.getOrDefault(ex, BudgetStore.Spend.ZERO), execCeilings.getOrDefault(ex, Ceilings.NONE)));
            }
        }
        return doc;
    }

    private static ArrayNode report(ObjectMapper mapper, BudgetStore.Spend s, Ceilings c) {
        ArrayNode rows = mapper.createArrayNode();
        row(rows, Resource.USD, s.usd(), c.usd().isPresent() ? c.usd().getAsDouble() : -1, c.warnAt());
        row(rows, Resource.TOKENS, s.tokens(), c.tokens().orElse(-1), c.warnAt());
        row(rows, Resource.STEPS, s.steps(), c.steps().orElse(-1), c.warnAt());
        row(rows, Resource.TOOL_CALLS, s.toolCalls(), c.toolCalls().orElse(-1), c.warnAt());
        c.wall().ifPresent(w -> rows.addObject().put("resource", "wall").put("ceiling", w.toMillis()));
        return rows;
    }

    private static void row(ArrayNode rows, Resource r, double spent, double ceiling, double warnAt) {
        ObjectNode n = rows.addObject().put("resource", r.label()).put("spent", spent);
        if (ceiling < 0) {
            n.putNull("ceiling");
            return;
        }
        double pct = ceiling == 0 ? (spent > 0 ? 100 : 0) : 100 * spent / ceiling;
        boolean warn = ceiling == 0 ? spent > 0 : spent >= warnAt * ceiling;
        n.put("ceiling", ceiling).put("percent", Math.round(pct * 10) / 10.0).put("warning", warn);
    }
}
