package io.myriad.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.TenantScope;
import io.myriad.core.delivery.Delivery;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The platform's verdicts on what coding runs submitted, as {@code myriad deliveries}. A
 * delivery's id holds '/', so one delivery is asked for with a query parameter:
 * {@code GET /v1/delivery?id=ID}. A delivery of a tenant the caller may not view is answered
 * exactly like one that does not exist.
 */
public final class DeliveriesResource implements ApiResource {
    @Override
    public void register(RoutesConfig routes, Api api) {
        api.describe("GET", "/v1/deliveries", "Deliveries the caller may view, newest first, without patches (execution, verdict, limit)");
        routes.get("/v1/deliveries", ctx -> {
            TenantScope scope = Params.scope(api.principal(ctx), Permission.VIEW);
            Optional<Delivery.Verdict> verdict = Params.query(ctx, "verdict").map(Delivery.Verdict::parse);
            ArrayNode out = api.mapper().createArrayNode();
            for (Delivery d : api.store().deliveries(scope, Params.query(ctx, "execution"), verdict, RunsResource.limit(ctx))) {
                out.add(json(api.mapper(), d, false));
            }
            api.json(ctx, api.mapper().createObjectNode().set("deliveries", out));
        });
        api.describe("GET", "/v1/delivery", "One delivery with its checks and patch: ?id=ID (ids hold '/')");
        routes.get("/v1/delivery", ctx -> {
            String id = Params.query(ctx, "id").orElseThrow(() -> ApiError.badRequest("pass the delivery's id: ?id=ID"));
            Delivery d = api.store().delivery(id, api.principal(ctx).scopeOf(Permission.VIEW))
                    .orElseThrow(() -> ApiError.notFound("no delivery " + id + " among the deliveries you may see"));
            api.json(ctx, json(api.mapper(), d, true));
        });
        api.describe("GET", "/v1/deliveries/export", "SWE-bench predictions as JSON lines, the newest per task: verified only, "
                + "or every delivery with a patch with all=true (execution)");
        routes.get("/v1/deliveries/export", ctx -> {
            TenantScope scope = Params.scope(api.principal(ctx), Permission.VIEW);
            boolean all = Params.flag(ctx, "all");
            StringBuilder lines = new StringBuilder();
            for (Delivery d : predictions(api.store().deliveries(scope, Params.query(ctx, "execution"), Optional.empty(),
                    Integer.MAX_VALUE), all)) {
                lines.append(api.mapper().createObjectNode().put("instance_id", d.taskId()).put("model_name_or_path", d.model())
                        .put("model_patch", d.patch())).append('\n');
            }
            ctx.contentType("application/x-ndjson").result(lines.toString());
        });
    }

    /** As {@code myriad deliveries export}: the newest eligible delivery of each task, by task id. */
    public static List<Delivery> predictions(List<Delivery> newestFirst, boolean all) {
        Map<String, Delivery> byTask = new LinkedHashMap<>();
        for (Delivery d : newestFirst) {
            boolean eligible = all ? !d.patch().isBlank() : d.verdict() == Delivery.Verdict.VERIFIED;
            if (eligible) {
                byTask.putIfAbsent(d.taskId(), d);
            }
        }
        return byTask.values().stream().sorted(Comparator.comparing(Delivery::taskId)).toList();
    }

    /** The same fields as {@code myriad deliveries show --json}. */
    public static ObjectNode json(ObjectMapper mapper, Delivery d, boolean withPatch) {
        ObjectNode o = mapper.createObjectNode().put("id", d.id()).put("run", d.runId()).put("execution", d.execution())
                .put("tenant", d.tenant()).put("task", d.taskId()).put("model", d.model()).put("verdict", d.verdict().label())
                .put("reason", d.reason()).put("explanation", d.explanation());
        d.branch().ifPresent(b -> o.put("branch", b));
        d.commit().ifPresent(c -> o.put("commit", c));
        d.patchFile().ifPresent(p -> o.put("patch_file", p));
        ArrayNode files = o.putArray("files");
        d.files().forEach(files::add);
        ArrayNode steps = o.putArray("steps");
        for (Delivery.Check c : d.steps()) {
            steps.addObject().put("phase", c.phase()).put("command", c.command()).put("exit_code", c.exitCode())
                    .put("millis", c.millis()).put("timed_out", c.timedOut()).put("output_tail", c.outputTail());
        }
        o.put("diff", diffSize(d.patch()));
        if (withPatch) {
            o.put("patch", d.patch());
        }
        o.put("created_at", Instant.ofEpochMilli(d.createdAt()).toString());
        return o;
    }

    /** Lines added and removed by a unified diff, as {@code +A/-R}. */
    public static String diffSize(String patch) {
        int added = 0;
        int removed = 0;
        for (String line : patch.split("\n", -1)) {
            if (line.startsWith("+") && !line.startsWith("+++")) {
                added++;
            } else if (line.startsWith("-") && !line.startsWith("---")) {
                removed++;
            }
        }
        return "+" + added + "/-" + removed;
    }
}
