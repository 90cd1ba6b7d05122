package io.myriad.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.auth.AccessDenied;
import io.myriad.core.auth.AccessStore;
import io.myriad.core.auth.ApiKeys;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.auth.Role;
import io.myriad.store.Store;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * API keys, as {@code myriad keys}: listed (never the keys themselves) for the tenants whose
 * access the caller manages, created (the key is in the answer once, only its hash is kept),
 * revoked. Each change is audited as the CLI audits it.
 */
public final class KeysResource implements ApiResource {
    @Override
    public void register(RoutesConfig routes, Api api) {
        api.describe("GET", "/v1/keys", "The keys of the tenants whose access the caller manages, with their roles and "
                + "revoked_at (manage-access permission)");
        routes.get("/v1/keys", ctx -> {
            Principal who = api.principal(ctx);
            Params.scope(who, Permission.MANAGE_ACCESS);
            ArrayNode out = api.mapper().createArrayNode();
            for (AccessStore.KeyRow k : api.store().keys()) {
                if (manages(who, k)) {
                    ObjectNode o = out.addObject().put("id", k.id()).put("name", k.name()).put("grants", describe(k.grants()))
                            .put("created_at", Instant.ofEpochMilli(k.createdAt()).toString()).put("created_by", k.createdBy())
                            .put("active", k.active());
                    if (k.active()) {
                        o.putNull("revoked_at");
                    } else {
                        o.put("revoked_at", Instant.ofEpochMilli(k.revokedAt()).toString());
                    }
                    ObjectNode g = o.putObject("roles");
                    k.grants().forEach((t, rs) -> {
                        ArrayNode a = g.putArray(t);
                        rs.forEach(r -> a.add(r.label()));
                    });
                }
            }
            api.json(ctx, api.mapper().createObjectNode().set("keys", out));
        });
        api.describe("POST", "/v1/keys", "Creates a key: body {name, tenant, role | roles} or {name, admin: true}; the key is "
                + "answered once (manage-access permission)");
        routes.post("/v1/keys", ctx -> {
            ObjectNode body = api.body(ctx, Set.of("name", "tenant", "role", "roles", "admin"));
            Principal who = api.principal(ctx);
            String name = Params.required(body, "name").strip();
            if (name.length() > 64) {
                throw ApiError.badRequest("'name': 1 to 64 characters");
            }
            boolean admin = body.path("admin").asBoolean(false);
            Set<Role> roles = EnumSet.noneOf(Role.class);
            Params.text(body, "role").ifPresent(r -> roles.add(Role.parse(r)));
            JsonNode many = body.get("roles");
            if (many != null && !many.isNull()) {
                if (!many.isArray()) {
                    throw ApiError.badRequest("'roles' must be an array of role names");
                }
                many.forEach(r -> roles.add(Role.parse(r.asText())));
            }
            String tenant = Params.text(body, "tenant").orElse(null);
            Map<String, Set<Role>> grants = new TreeMap<>();
            if (admin) {
                if (tenant != null || !roles.isEmpty()) {
                    throw ApiError.badRequest("admin holds every role in every tenant: leave out tenant and role");
                }
                grants.put(Principal.ALL_TENANTS, EnumSet.of(Role.OWNER));
                if (!who.canEverywhere(Permission.MANAGE_ACCESS)) {
                    throw new AccessDenied(who.name() + " may not create administrator keys: that needs an administrator key");
                }
            } else {
                if (tenant == null || roles.isEmpty()) {
                    throw ApiError.badRequest("a key needs admin: true, or a tenant and at least one role");
                }
                grants.put(Params.tenantName(tenant), roles);
                who.require(Permission.MANAGE_ACCESS, tenant);
            }
            Store s = api.store();
            if (!admin && !s.hasActiveKeys()) {
                throw ApiError.badRequest("the first key of an install must be an administrator's: once a key exists, "
                        + "every request needs one, and nobody could create keys for other tenants");
            }
            long now = System.currentTimeMillis();
            if (!admin) {
                s.createTenant(tenant, now, who.actor());
            }
            ApiKeys.Issued issued = ApiKeys.issue();
            var row = new AccessStore.KeyRow(issued.id(), name, issued.hash(), grants, now, who.actor(), 0);
            s.createKey(row);
            s.appendAudit(List.of(new AuditEntry(now, admin ? Principal.ALL_TENANTS : tenant, who.actor(), "access.key_created",
                    ApiKeys.principalId(issued.id()), api.mapper().createObjectNode().put("name", row.name())
                            .put("grants", describe(grants)).toString()))).join();
            ctx.status(201);
            api.json(ctx, api.mapper().createObjectNode().put("id", issued.id()).put("name", name)
                    .put("grants", describe(grants)).put("key", issued.key()));
        });
        api.describe("DELETE", "/v1/keys/{id}", "Revokes a key at once (manage-access permission in each of its tenants)");
        routes.delete("/v1/keys/{id}", ctx -> {
            Principal who = api.principal(ctx);
            String id = ctx.pathParam("id");
            Store s = api.store();
            AccessStore.KeyRow key = s.key(id).filter(k -> manages(who, k))
                    .orElseThrow(() -> ApiError.notFound("no key " + id + " among the keys you manage"));
            if (!key.active()) {
                throw ApiError.conflict("key " + id + " is already revoked");
            }
            boolean adminKey = key.grants().containsKey(Principal.ALL_TENANTS);
            if (adminKey) {
                long otherAdmins = s.keys().stream().filter(k -> k.active() && !k.id().equals(id)
                        && k.grants().containsKey(Principal.ALL_TENANTS)).count();
                long others = s.keys().stream().filter(k -> k.active() && !k.id().equals(id)).count();
                if (otherAdmins == 0 && others > 0) {
                    throw ApiError.conflict("key " + id + " is the last administrator key: create another before revoking it");
                }
            }
            long now = System.currentTimeMillis();
            s.revokeKey(id, now);
            String tenant = adminKey || key.grants().size() != 1 ? Principal.ALL_TENANTS : key.grants().keySet().iterator().next();
            s.appendAudit(List.of(new AuditEntry(now, tenant, who.actor(), "access.key_revoked", ApiKeys.principalId(id),
                    api.mapper().createObjectNode().put("name", key.name()).toString()))).join();
            api.json(ctx, api.mapper().createObjectNode().put("id", id).put("name", key.name()).put("revoked", true));
        });
    }

    /** Whether {@code who} manages access in every tenant the key holds roles in. */
    static boolean manages(Principal who, AccessStore.KeyRow key) {
        return who.managesAll(key.grants());
    }

    static String describe(Map<String, Set<Role>> grants) {
        return Principal.describe(grants);
    }
}
