package io.myriad.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.myriad.core.audit.AuditRecord;
import io.myriad.core.audit.AuditVerification;
import io.myriad.core.auth.Permission;
import java.io.IOException;
import java.time.Instant;

/**
 * The hash-chained audit log, as {@code myriad audit ls} and {@code verify}: both need the
 * read-audit permission; the listing holds the records of the tenants where the caller has it.
 */
public final class AuditResource implements ApiResource {
    @Override
    public void register(RoutesConfig routes, Api api) {
        api.describe("GET", "/v1/audit", "The latest audit records, newest first (limit; read-audit permission)");
        routes.get("/v1/audit", ctx -> {
            var scope = Params.scope(api.principal(ctx), Permission.READ_AUDIT);
            ArrayNode out = api.mapper().createArrayNode();
            for (AuditRecord r : api.store().latestAudit(RunsResource.limit(ctx), scope)) {
                out.add(json(api.mapper(), r));
            }
            api.json(ctx, api.mapper().createObjectNode().set("records", out));
        });
        api.describe("GET", "/v1/audit/verify", "Recomputes the whole chain: intact, or the first record edited, removed, "
                + "inserted or moved (read-audit permission)");
        routes.get("/v1/audit/verify", ctx -> {
            Params.scope(api.principal(ctx), Permission.READ_AUDIT);
            long t0 = System.nanoTime();
            AuditVerification v = api.store().verifyAudit();
            ObjectNode o = api.mapper().createObjectNode().put("records", v.records()).put("head", v.head())
                    .put("intact", v.firstBreak().isEmpty()).put("millis", (System.nanoTime() - t0) / 1_000_000);
            v.firstBreak().ifPresentOrElse(b -> o.putObject("first_break").put("seq", b.seq())
                    .put("kind", b.kind().name().toLowerCase(java.util.Locale.ROOT)).put("message", b.message()),
                    () -> o.putNull("first_break"));
            api.json(ctx, o);
        });
    }

    /** The same fields as {@code myriad audit export}. */
    static ObjectNode json(ObjectMapper mapper, AuditRecord r) {
        var e = r.entry();
        ObjectNode o = mapper.createObjectNode().put("seq", r.seq()).put("at", Instant.ofEpochMilli(e.at()).toString())
                .put("at_ms", e.at()).put("tenant", e.tenant()).put("actor", e.actor()).put("action", e.action())
                .put("subject", e.subject());
        JsonNode details;
        try {
            details = mapper.readTree(e.details());
        } catch (IOException notJson) {
            details = null;
        }
        if (details != null) {
            o.set("details", details);
        } else {
            o.put("details", e.details());
        }
        return o.put("details_raw", e.details()).put("prev", r.prev()).put("hash", r.hash());
    }
}
