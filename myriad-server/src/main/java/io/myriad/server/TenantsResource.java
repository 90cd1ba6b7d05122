package io.myriad.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.auth.AccessDenied;
import io.myriad.core.auth.AccessStore;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/** Tenants, as {@code myriad tenants}: the ones the caller may view; administrators create them. */
public final class TenantsResource implements ApiResource {
    @Override
    public void register(RoutesConfig routes, Api api) {
        api.describe("GET", "/v1/tenants", "The tenants the caller may view");
        routes.get("/v1/tenants", ctx -> {
            Principal who = api.principal(ctx);
            ArrayNode out = api.mapper().createArrayNode();
            for (AccessStore.TenantRow t : api.store().tenants()) {
                if (who.can(Permission.VIEW, t.name())) {
                    out.addObject().put("name", t.name()).put("created_at", Instant.ofEpochMilli(t.createdAt()).toString())
                            .put("created_by", t.createdBy());
                }
            }
            api.json(ctx, api.mapper().createObjectNode().set("tenants", out));
        });
        api.describe("POST", "/v1/tenants", "Creates a tenant: body {name} (administrators only); 201 when created, 200 when it exists");
        routes.post("/v1/tenants", ctx -> {
            ObjectNode body = api.body(ctx, Set.of("name"));
            String name = Params.tenantName(Params.required(body, "name"));
            Principal who = api.principal(ctx);
            if (!who.canEverywhere(Permission.MANAGE_ACCESS)) {
                throw new AccessDenied(who.name() + " may not create tenants: that needs an administrator key");
            }
            long now = System.currentTimeMillis();
            boolean created = api.store().createTenant(name, now, who.actor());
            if (created) {
                api.store().appendAudit(List.of(new AuditEntry(now, name, who.actor(), "access.tenant_created", name,
                        api.mapper().createObjectNode().toString()))).join();
                ctx.status(201);
            }
            api.json(ctx, api.mapper().createObjectNode().put("name", name).put("created", created));
        });
    }
}
