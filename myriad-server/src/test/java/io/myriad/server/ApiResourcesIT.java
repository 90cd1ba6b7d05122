package io.myriad.server;

import static io.myriad.server.ApiFixture.code;
import static io.myriad.server.ApiFixture.json;
import static io.myriad.server.ApiFixture.texts;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every resource over HTTP against a real store: a success and a failure each, tenant isolation
 * (tenant alpha's keys get 404, the body of a nonexistent id, for beta's run, approval,
 * execution and delivery, and never see beta's rows in a listing), and role checks.
 */
class ApiResourcesIT {
    @TempDir
    Path dir;

    private ApiFixture f;

    @BeforeEach
    void start() {
        f = new ApiFixture(dir);
    }

    @AfterEach
    void stop() {
        f.close();
    }

    /** A 404 whose body is that of {@code missing}'s 404, once the ids are swapped. */
    private void assertLikeMissing(HttpResponse<String> r, String id, HttpResponse<String> missing, String missingId) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(r.body().replace(id, "ID")).isEqualTo(missing.body().replace(missingId, "ID"));
    }

    @Test
    void runsListOnlyTheCallersTenantFilteredAndPaged() {
        JsonNode alpha = json(f.get(f.alphaOwner, "/v1/runs")).path("runs");
        assertThat(texts(alpha, "id")).containsExactlyInAnyOrder("fa-1:t1", "fa-1:t2", "fa-1:t3");
        assertThat(json(f.get(f.admin, "/v1/runs")).path("runs")).hasSize(5);
        assertThat(texts(json(f.get(f.alphaViewer, "/v1/runs?state=awaiting_approval")).path("runs"), "id"))
                .containsExactly("fa-1:t2");
        assertThat(texts(json(f.get(f.admin, "/v1/runs?fleet=fb&agent=writer")).path("runs"), "id"))
                .containsExactlyInAnyOrder("fb-1:t1", "fb-1:t2");
        assertThat(texts(json(f.get(f.admin, "/v1/runs?q=t3")).path("runs"), "id")).containsExactly("fa-1:t3");

        List<String> seen = new ArrayList<>();
        String path = "/v1/runs?limit=2";
        int pages = 0;
        while (path != null) {
            JsonNode page = json(f.get(f.admin, path));
            page.path("runs").forEach(r -> seen.add(r.path("id").asText()));
            path = page.path("next").isNull() ? null : "/v1/runs?limit=2&cursor=" + page.path("next").asText();
            pages++;
        }
        assertThat(pages).isEqualTo(3);
        assertThat(seen).hasSize(5).doesNotHaveDuplicates();

        assertThat(code(f.get(f.admin, "/v1/runs?cursor=%25%25"))).isEqualTo("bad_request");
        assertThat(code(f.get(f.admin, "/v1/runs?state=sleeping"))).isEqualTo("bad_request");
        assertThat(code(f.get(f.admin, "/v1/runs?limit=0"))).isEqualTo("bad_request");
        assertLikeMissing(f.get(f.alphaOwner, "/v1/runs/fb-1:t1"), "fb-1:t1", f.get(f.alphaOwner, "/v1/runs/zz-9:t1"), "zz-9:t1");
        assertLikeMissing(f.get(f.alphaOwner, "/v1/runs/fb-1:t1/events"), "fb-1:t1",
                f.get(f.alphaOwner, "/v1/runs/zz-9:t1/events"), "zz-9:t1");
        assertThat(json(f.get(f.alphaOwner, "/v1/runs/fa-1:t2/events")).path("events")).hasSize(3);
    }

    @Test
    void resolveDecidesOnACallInDoubtWithTheResolvePermission() {
        String retry = "{\"decision\":\"retry\",\"comment\":\"no charge seen\"}";
        var viewer = f.post(f.alphaViewer, "/v1/runs/fa-1:t3/resolve", retry);
        assertThat(viewer.statusCode()).isEqualTo(403);
        assertThat(code(viewer)).isEqualTo("forbidden");
        assertThat(code(f.post(f.alphaOperator, "/v1/runs/fa-1:t3/resolve", "{\"decision\":\"maybe\"}"))).isEqualTo("bad_request");
        assertThat(code(f.post(f.alphaOperator, "/v1/runs/fa-1:t3/resolve", "{\"decision\":\"done\"}"))).isEqualTo("bad_request");

        var ok = f.post(f.alphaOperator, "/v1/runs/fa-1:t3/resolve", retry);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(json(ok).path("by").asText()).startsWith("key:");
        assertThat(f.store.run("fa-1:t3").orElseThrow().status().state().label()).isNotEqualTo("in_doubt");

        var again = f.post(f.alphaOperator, "/v1/runs/fa-1:t3/resolve", retry);
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(code(again)).isEqualTo("conflict");
        assertLikeMissing(f.post(f.alphaOperator, "/v1/runs/fb-1:t1/resolve", retry), "fb-1:t1",
                f.post(f.alphaOperator, "/v1/runs/zz-9:t1/resolve", retry), "zz-9:t1");
    }

    @Test
    void executionsWithCountsByState() {
        JsonNode list = json(f.get(f.alphaViewer, "/v1/executions")).path("executions");
        assertThat(texts(list, "id")).containsExactly("fa-1");
        JsonNode fa = json(f.get(f.alphaViewer, "/v1/executions/fa-1"));
        assertThat(fa.path("runs").asLong()).isEqualTo(3);
        assertThat(fa.path("finished_runs").asLong()).isEqualTo(1);
        assertThat(fa.path("states").path("succeeded").asLong()).isEqualTo(1);
        assertThat(fa.path("states").path("awaiting_approval").asLong()).isEqualTo(1);
        assertThat(json(f.get(f.admin, "/v1/executions")).path("executions")).hasSize(2);
        assertLikeMissing(f.get(f.alphaOwner, "/v1/executions/fb-1"), "fb-1", f.get(f.alphaOwner, "/v1/executions/zz-9"), "zz-9");
    }

    @Test
    void approvalsAreListedShownAndDecidedByApproversOnly() {
        JsonNode pending = json(f.get(f.alphaViewer, "/v1/approvals")).path("approvals");
        assertThat(texts(pending, "id")).containsExactly("fa-1:t2#c1");
        assertThat(pending.get(0).path("tool").asText()).isEqualTo("fs.write");
        assertThat(json(f.get(f.admin, "/v1/approvals?execution=fb-1")).path("approvals")).hasSize(1);
        assertLikeMissing(f.get(f.alphaOwner, "/v1/approvals/fb-1:t1"), "fb-1:t1", f.get(f.alphaOwner, "/v1/approvals/zz-9:t1"), "zz-9:t1");

        var viewer = f.post(f.alphaViewer, "/v1/approvals/fa-1:t2/approve", "{}");
        assertThat(viewer.statusCode()).isEqualTo(403);
        assertThat(code(viewer)).isEqualTo("forbidden");
        assertLikeMissing(f.post(f.alphaApprover, "/v1/approvals/fb-1:t1/approve", "{}"), "fb-1:t1",
                f.post(f.alphaApprover, "/v1/approvals/zz-9:t1/approve", "{}"), "zz-9:t1");
        assertThat(code(f.post(f.alphaApprover, "/v1/approvals/fa-1:t1/approve", "{}"))).isEqualTo("not_found");

        var ok = f.post(f.alphaApprover, "/v1/approvals/fa-1:t2/approve", "{\"comment\":\"fine\"}");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(json(ok).path("approved").asBoolean()).isTrue();
        JsonNode shown = json(f.get(f.alphaViewer, "/v1/approvals/fa-1:t2"));
        assertThat(shown.path("decision").path("approved").asBoolean()).isTrue();
        assertThat(shown.path("decision").path("comment").asText()).isEqualTo("fine");
        assertThat(shown.path("decision").path("by").asText()).startsWith("key:");
        assertThat(code(f.post(f.alphaApprover, "/v1/approvals/fa-1:t2/deny", "{}"))).isEqualTo("conflict");
        assertThat(json(f.get(f.alphaViewer, "/v1/approvals")).path("approvals")).isEmpty();

        var denied = f.post(f.betaOwner, "/v1/approvals/fb-1:t1/deny", "{\"comment\":\"no\"}");
        assertThat(denied.statusCode()).as(denied.body()).isEqualTo(200);
        assertThat(json(denied).path("approved").asBoolean()).isFalse();
    }

    @Test
    void deliveriesAreListedShownAndExported() {
        JsonNode list = json(f.get(f.alphaViewer, "/v1/deliveries")).path("deliveries");
        assertThat(texts(list, "id")).containsExactly("fa-1/t1/1");
        assertThat(list.get(0).has("patch")).isFalse();
        assertThat(json(f.get(f.admin, "/v1/deliveries?verdict=verified")).path("deliveries")).hasSize(2);
        assertThat(json(f.get(f.admin, "/v1/deliveries?verdict=refused")).path("deliveries")).isEmpty();
        assertThat(code(f.get(f.admin, "/v1/deliveries?verdict=great"))).isEqualTo("bad_request");

        JsonNode one = json(f.get(f.alphaViewer, "/v1/delivery?id=fa-1/t1/1"));
        assertThat(one.path("patch").asText()).contains("+new");
        assertThat(one.path("diff").asText()).isEqualTo("+1/-1");
        assertLikeMissing(f.get(f.alphaOwner, "/v1/delivery?id=fb-1/t2/1"), "fb-1/t2/1",
                f.get(f.alphaOwner, "/v1/delivery?id=zz-9/t2/1"), "zz-9/t2/1");
        assertThat(code(f.get(f.alphaOwner, "/v1/delivery"))).isEqualTo("bad_request");

        var export = f.get(f.alphaViewer, "/v1/deliveries/export");
        assertThat(export.statusCode()).isEqualTo(200);
        assertThat(export.headers().firstValue("Content-Type").orElse("")).startsWith("application/x-ndjson");
        String[] lines = export.body().split("\n");
        assertThat(lines).hasSize(1);
        assertThat(lines[0]).contains("\"instance_id\":\"t1\"").contains("\"model_patch\"");
        assertThat(f.get(f.admin, "/v1/deliveries/export?all=true").body().split("\n")).hasSize(2);
        assertThat(code(f.get(f.admin, "/v1/deliveries/export?all=perhaps"))).isEqualTo("bad_request");
    }

    @Test
    void auditNeedsTheReadAuditPermissionAndVerifiesTheChain() {
        assertThat(f.send(f.alphaOwner, "PUT", "/v1/budgets/alpha", "{\"usd\": 5}").statusCode()).isEqualTo(200);
        assertThat(f.send(f.betaOwner, "PUT", "/v1/budgets/beta", "{\"usd\": 7}").statusCode()).isEqualTo(200);
        var records = json(f.get(f.alphaAuditor, "/v1/audit?limit=1000")).path("records");
        assertThat(texts(records, "tenant")).containsExactly("alpha");
        assertThat(texts(records, "action")).contains("budget.set");
        var all = json(f.get(f.admin, "/v1/audit?limit=1000")).path("records");
        assertThat(texts(all, "tenant")).contains("alpha", "beta");
        assertThat(all.size()).isGreaterThan(records.size());
        var viewer = f.get(f.alphaViewer, "/v1/audit");
        assertThat(viewer.statusCode()).isEqualTo(403);
        assertThat(code(viewer)).isEqualTo("forbidden");

        JsonNode verified = json(f.get(f.alphaAuditor, "/v1/audit/verify"));
        assertThat(verified.path("intact").asBoolean()).isTrue();
        assertThat(verified.path("records").asLong()).isEqualTo(all.size());
        assertThat(f.get(f.alphaViewer, "/v1/audit/verify").statusCode()).isEqualTo(403);
    }

    @Test
    void budgetsShowSpendAgainstCeilingsAndOwnersSetThem() {
        var set = f.send(f.alphaOwner, "PUT", "/v1/budgets/alpha", "{\"usd\": 5, \"tokens\": 1000, \"warn_at\": 0.5}");
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        JsonNode tenants = json(f.get(f.alphaViewer, "/v1/budgets")).path("tenants");
        assertThat(texts(tenants, "tenant")).containsExactly("alpha");
        JsonNode usd = tenants.get(0).path("spend").get(0);
        assertThat(usd.path("resource").asText()).isEqualTo("usd");
        assertThat(usd.path("ceiling").asDouble()).isEqualTo(5.0);
        assertThat(usd.path("spent").asDouble()).isPositive();
        assertThat(tenants.get(0).path("executions").get(0).path("execution").asText()).isEqualTo("fa-1");

        assertThat(code(f.send(f.alphaViewer, "PUT", "/v1/budgets/alpha", "{\"usd\": 1}"))).isEqualTo("forbidden");
        assertThat(code(f.send(f.alphaOwner, "PUT", "/v1/budgets/beta", "{\"usd\": 1}"))).isEqualTo("forbidden");
        assertThat(code(f.send(f.alphaOwner, "PUT", "/v1/budgets/alpha", "{\"dollars\": 1}"))).isEqualTo("unknown_field");
        assertThat(code(f.send(f.alphaOwner, "PUT", "/v1/budgets/alpha", "{\"usd\": \"lots\"}"))).isEqualTo("bad_request");
        assertThat(code(f.get(f.alphaOwner, "/v1/budgets?tenant=beta"))).isEqualTo("forbidden");
    }

    @Test
    void tenantsAreListedByVisibilityAndCreatedByAdministrators() {
        assertThat(texts(json(f.get(f.alphaOwner, "/v1/tenants")).path("tenants"), "name")).containsExactly("alpha");
        assertThat(texts(json(f.get(f.admin, "/v1/tenants")).path("tenants"), "name")).containsExactly("alpha", "beta");
        var created = f.post(f.admin, "/v1/tenants", "{\"name\":\"gamma\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(json(f.post(f.admin, "/v1/tenants", "{\"name\":\"gamma\"}")).path("created").asBoolean()).isFalse();
        assertThat(code(f.post(f.alphaOwner, "/v1/tenants", "{\"name\":\"delta\"}"))).isEqualTo("forbidden");
        assertThat(code(f.post(f.admin, "/v1/tenants", "{\"name\":\"Not A Name\"}"))).isEqualTo("bad_request");
        assertThat(f.store.latestAudit(10).stream().map(r -> r.entry().action())).contains("access.tenant_created");
    }

    @Test
    void controlsNeedTheControlPermissionAndAreAudited() {
        var approver = f.post(f.alphaApprover, "/v1/kill", "{\"run\":\"fa-1:t2\",\"reason\":\"stop\"}");
        assertThat(approver.statusCode()).isEqualTo(403);
        assertThat(code(approver)).isEqualTo("forbidden");
        assertThat(code(f.post(f.alphaViewer, "/v1/kill", "{\"fleet\":\"fa\",\"tenant\":\"alpha\"}"))).isEqualTo("forbidden");
        assertThat(code(f.post(f.alphaOperator, "/v1/kill", "{\"reason\":\"nothing named\"}"))).isEqualTo("bad_request");
        assertThat(code(f.post(f.alphaOperator, "/v1/kill", "{\"all\":true}"))).isEqualTo("forbidden");
        assertLikeMissing(f.post(f.alphaOperator, "/v1/kill", "{\"run\":\"fb-1:t1\"}"), "fb-1:t1",
                f.post(f.alphaOperator, "/v1/kill", "{\"run\":\"zz-9:t1\"}"), "zz-9:t1");

        var killed = f.post(f.alphaOperator, "/v1/kill", "{\"run\":\"fa-1:t2\",\"reason\":\"stop\"}");
        assertThat(killed.statusCode()).as(killed.body()).isEqualTo(200);
        assertThat(json(killed).path("cancelled")).extracting(JsonNode::asText).containsExactly("fa-1:t2");
        assertThat(f.store.run("fa-1:t2").orElseThrow().status().state().label()).isEqualTo("cancelled");
        assertThat(f.store.run("fb-1:t1").orElseThrow().status().state().label()).isEqualTo("awaiting_approval");

        var paused = json(f.post(f.alphaOperator, "/v1/pause", "{\"fleet\":\"fa\",\"tenant\":\"alpha\"}"));
        assertThat(paused.path("changed").asBoolean()).isTrue();
        assertThat(f.store.pause("alpha", "fa")).isPresent();
        assertThat(json(f.post(f.alphaOperator, "/v1/pause", "{\"fleet\":\"fa\",\"tenant\":\"alpha\"}")).path("changed").asBoolean())
                .isFalse();
        assertThat(code(f.post(f.alphaOperator, "/v1/pause", "{\"fleet\":\"fb\",\"tenant\":\"beta\"}"))).isEqualTo("forbidden");
        assertThat(code(f.post(f.alphaOperator, "/v1/resume", "{\"tenant\":\"alpha\"}"))).isEqualTo("bad_request");
        assertThat(json(f.post(f.alphaOperator, "/v1/resume", "{\"fleet\":\"fa\",\"tenant\":\"alpha\"}")).path("changed").asBoolean())
                .isTrue();
        assertThat(f.store.pause("alpha", "fa")).isEmpty();
        assertThat(f.store.latestAudit(10).stream().map(r -> r.entry().action()))
                .contains("control.kill", "control.pause", "control.resume");
    }

    @Test
    void keysAreManagedWithinTheTenantsTheCallerManages() {
        assertThat(json(f.get(f.admin, "/v1/keys")).path("keys")).hasSize(7);
        JsonNode alphas = json(f.get(f.alphaOwner, "/v1/keys")).path("keys");
        assertThat(texts(alphas, "name")).containsExactlyInAnyOrder("ann", "vic", "apu", "opal", "aud");
        assertThat(code(f.get(f.alphaViewer, "/v1/keys"))).isEqualTo("forbidden");

        var created = f.post(f.alphaOwner, "/v1/keys", "{\"name\":\"val\",\"role\":\"viewer\",\"tenant\":\"alpha\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String key = json(created).path("key").asText();
        String id = json(created).path("id").asText();
        assertThat(json(f.get(key, "/v1/whoami")).path("name").asText()).isEqualTo("val");
        assertThat(code(f.post(f.alphaOwner, "/v1/keys", "{\"name\":\"x\",\"role\":\"viewer\",\"tenant\":\"beta\"}")))
                .isEqualTo("forbidden");
        assertThat(code(f.post(f.alphaOwner, "/v1/keys", "{\"name\":\"x\",\"admin\":true}"))).isEqualTo("forbidden");
        assertThat(code(f.post(f.alphaOwner, "/v1/keys", "{\"name\":\"x\",\"role\":\"wizard\",\"tenant\":\"alpha\"}")))
                .isEqualTo("bad_request");

        assertThat(code(f.send(f.alphaOwner, "DELETE", "/v1/keys/" + f.betaOwnerId, null))).isEqualTo("not_found");
        assertThat(f.send(f.alphaOwner, "DELETE", "/v1/keys/" + id, null).statusCode()).isEqualTo(200);
        assertThat(code(f.send(f.alphaOwner, "DELETE", "/v1/keys/" + id, null))).isEqualTo("conflict");
        var revoked = f.get(key, "/v1/whoami");
        assertThat(revoked.statusCode()).isEqualTo(401);
        assertThat(f.store.latestAudit(10).stream().map(r -> r.entry().action()))
                .contains("access.key_created", "access.key_revoked");
    }
}
