package io.myriad.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.javalin.config.RoutesConfig;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.auth.TenantScope;
import io.myriad.core.run.RunState;
import io.myriad.store.RunQuery;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code GET /v1/alerts}: what needs a person now, among what the caller may view: a stalled
 * journal, runs waiting for a decision on a call in doubt, calls waiting for an approval, runs
 * stopped by a budget, hosted fleets that ended badly. Each alert says how many (counted up to
 * {@value #CAP}) and where to look.
 */
public final class AlertsResource implements ApiResource {
    static final int CAP = 1000;

    private final Optional<FleetHost> host;

    public AlertsResource(Optional<FleetHost> host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    @Override
    public void register(RoutesConfig routes, Api api) {
        api.describe("GET", "/v1/alerts", "What needs a person now: a stalled journal, runs in doubt, pending approvals, "
                + "budgets exhausted, hosted fleets that failed");
        routes.get("/v1/alerts", ctx -> {
            Principal who = api.principal(ctx);
            TenantScope scope = who.scopeOf(Permission.VIEW);
            ArrayNode out = api.mapper().createArrayNode();
            if (!api.store().health().ok()) {
                out.addObject().put("level", "critical").put("kind", "journal_stalled")
                        .put("message", api.store().health().problem()).put("count", 1);
            }
            count(api, out, scope, RunState.IN_DOUBT, "critical", "in_doubt",
                    "runs wait for a decision on a tool call whose outcome is unknown (myriad runs resolve)");
            count(api, out, scope, RunState.AWAITING_APPROVAL, "warning", "awaiting_approval",
                    "runs wait for an approval");
            count(api, out, scope, RunState.BUDGET_EXHAUSTED, "warning", "budget_exhausted",
                    "runs were stopped by a budget");
            host.ifPresent(h -> h.deployments().stream()
                    .filter(d -> scope.contains(d.tenant()) && d.exitCode().filter(c -> c != 0 && c != 4).isPresent())
                    .forEach(d -> out.addObject().put("level", "warning").put("kind", "fleet_failed")
                            .put("message", "fleet " + d.tenant() + "/" + d.fleet() + " ended with exit code "
                                    + d.exitCode().get() + " (see <data>/logs/" + d.tenant() + "/" + d.fleet() + ".log)")
                            .put("count", 1).put("fleet", d.fleet()).put("tenant", d.tenant())));
            api.json(ctx, api.mapper().createObjectNode().set("alerts", out));
        });
    }

    private static void count(Api api, ArrayNode out, TenantScope scope, RunState state, String level, String kind,
            String what) {
        int n = api.store().runsPage(RunQuery.first(CAP).state(state), scope).runs().size();
        if (n > 0) {
            out.addObject().put("level", level).put("kind", kind)
                    .put("message", (n >= CAP ? "at least " : "") + n + " " + what).put("count", n)
                    .put("state", state.label());
        }
    }
}
