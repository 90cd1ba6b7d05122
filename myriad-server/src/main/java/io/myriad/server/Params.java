package io.myriad.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.myriad.core.auth.AccessDenied;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.auth.TenantScope;
import io.myriad.core.journal.RunRepository;
import io.myriad.store.Store;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What handlers share: query parameters, body fields, and how the caller reaches a run or an
 * execution. As in the CLI, something of a tenant the caller may not view is answered exactly
 * like something that does not exist (404); something it may view but not act on is a 403.
 */
final class Params {
    /** A tenant's name, as fleet files and the CLI accept it. */
    static final Pattern TENANT_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    private Params() {}

    static Optional<String> query(Context ctx, String name) {
        String v = ctx.queryParam(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
    }

    static boolean flag(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null) {
            return false;
        }
        return switch (v) {
            case "", "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw ApiError.badRequest(name + " must be true or false, got '" + v + "'");
        };
    }

    /** A text field of a body, when present; anything but a string is refused. */
    static Optional<String> text(ObjectNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isTextual()) {
            throw ApiError.badRequest("'" + field + "' must be a string");
        }
        return Optional.of(n.asText());
    }

    static String required(ObjectNode body, String field) {
        return text(body, field).filter(s -> !s.isBlank())
                .orElseThrow(() -> ApiError.badRequest("'" + field + "' is required"));
    }

    static String tenantName(String name) {
        if (!TENANT_NAME.matcher(name).matches()) {
            throw ApiError.badRequest("expected a tenant name of 1 to 64 lowercase letters, digits, '.', '_' or '-', got '"
                    + name + "'");
        }
        return name;
    }

    /** The run, when the caller may view it, after checking {@code needed} in its tenant. */
    static RunRepository.RunRow run(Store store, Principal who, String runId, Permission needed) {
        RunRepository.RunRow row = store.run(runId).filter(r -> who.can(Permission.VIEW, r.tenant()))
                .orElseThrow(() -> ApiError.notFound("no run " + runId + " among the runs you may see"));
        who.require(needed, row.tenant());
        return row;
    }

    /** The execution, when the caller may view it. */
    static RunRepository.Execution execution(Store store, Principal who, String executionId) {
        return store.execution(executionId).filter(e -> who.can(Permission.VIEW, e.tenant()))
                .orElseThrow(() -> ApiError.notFound("no execution " + executionId + " among those you may see"));
    }

    /** The tenants where the caller holds {@code permission}; refused when it holds it nowhere. */
    static TenantScope scope(Principal who, Permission permission) {
        TenantScope scope = who.scopeOf(permission);
        if (scope.none()) {
            who.require(permission, Principal.DEFAULT_TENANT);
        }
        return scope;
    }

    static AccessDenied denied(Principal who, String what) {
        return new AccessDenied(who.name() + " may not " + what);
    }
}
