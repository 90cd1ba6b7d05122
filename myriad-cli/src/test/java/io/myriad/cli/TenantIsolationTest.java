package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenant A's principals reach for tenant B's runs, executions, journal, audit records, keys and
 * spend through every command: nothing of B is listed, read, changed or spent, and a run of B
 * is reported exactly like a run that does not exist. Roles are checked inside a tenant too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantIsolationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private String data;
    private String admin;
    private String alphaOwner;
    private String alphaViewer;
    private String alphaAuditor;
    private String alphaOperator;
    private String betaOwner;
    private String betaOwnerId;
    private String betaApproval;
    private Path alphaFleet;
    private Path betaFleet;

    private static String fleet(String name, String tenant, String extra) {
        return """
                fleet: %s
                tenant: %s
                model: {sim: {scenario: tools, tool_calls: 1, latency: 1ms, seed: 3}}
                agents:
                  writer:
                    instructions: write a note, then answer
                    tools: [fs.write]
                tasks: ["one", "two", "three"]
                """.formatted(name, tenant) + extra;
    }

    @BeforeAll
    void twoTenantsWithTheirFleetsAndKeys(@TempDir Path dir) throws Exception {
        data = dir.resolve("data").toString();
        alphaFleet = dir.resolve("alpha.yaml");
        betaFleet = dir.resolve("beta.yaml");
        Files.writeString(alphaFleet, fleet("fa", "alpha", ""));
        // Beta's writes wait for a person: its runs hold approvals for alpha to reach for.
        Files.writeString(betaFleet, fleet("fb", "beta", "policy:\n  - {id: ask, effect: needs_approval, tool: fs.write}\n"));

        var first = Cli.run("keys", "create", "--name", "admin", "--admin", "--data", data);
        assertThat(first.exit()).as(first.err()).isZero();
        admin = keyOf(first);
        alphaOwner = create("ann", "alpha", "owner");
        alphaViewer = create("vic", "alpha", "viewer");
        alphaAuditor = create("aud", "alpha", "auditor");
        alphaOperator = create("opal", "alpha", "operator");
        var b = Cli.run("keys", "create", "--name", "bea", "--tenant", "beta", "--role", "owner", "--data", data, "--api-key", admin);
        betaOwner = keyOf(b);
        betaOwnerId = b.out().split(" ")[1];

        var ra = Cli.run("run", alphaFleet.toString(), "--data", data, "--api-key", alphaOperator);
        assertThat(ra.exit()).as(ra.err()).isZero();
        var rb = Cli.run("run", betaFleet.toString(), "--data", data, "--api-key", betaOwner);
        assertThat(rb.exit()).as(rb.err()).isEqualTo(Main.EXIT_NEEDS_DECISION);
        var pending = as(betaOwner, "approvals", "ls", "--json");
        assertThat(JSON.readTree(pending.lastLine())).hasSize(3);
        betaApproval = JSON.readTree(pending.lastLine()).get(0).path("id").asText();
        assertThat(betaApproval).startsWith("fb-1:");
    }

    private String create(String name, String tenant, String role) {
        var r = Cli.run("keys", "create", "--name", name, "--tenant", tenant, "--role", role, "--data", data, "--api-key", admin);
        assertThat(r.exit()).as(r.err()).isZero();
        return keyOf(r);
    }

    private static String keyOf(Cli.Result created) {
        return created.out().split("\n")[1].strip();
    }

    private Cli.Result as(String key, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--data", data, "--api-key", key));
        return Cli.run(all.toArray(String[]::new));
    }

    private long betaEvents() {
        try (SqliteStore s = SqliteStore.open(Path.of(data, "myriad.db"))) {
            return s.runs("fb-1").stream().mapToLong(r -> s.read(r.runId()).size()).sum();
        }
    }

    @Test
    void listingsShowOnlyTheCallersTenant() throws Exception {
        assertThat(JSON.readTree(as(alphaOwner, "approvals", "ls", "--json").lastLine())).isEmpty();
        for (String[] cmd : List.of(new String[] {"runs", "ls", "--json"},
                new String[] {"runs", "ls", "--json", "--state", "succeeded"})) {
            var r = as(alphaOwner, cmd);
            assertThat(r.exit()).as(r.err()).isZero();
            JsonNode rows = JSON.readTree(r.lastLine());
            assertThat(rows).hasSize(3);
            rows.forEach(row -> assertThat(row.path("tenant").asText()).isEqualTo("alpha"));
        }
        var admins = JSON.readTree(as(admin, "runs", "ls", "--json").lastLine());
        assertThat(admins).hasSize(6);

        var tenants = as(alphaOwner, "tenants", "ls");
        assertThat(tenants.out()).contains("alpha").doesNotContain("beta");

        var audit = as(alphaAuditor, "audit", "export");
        assertThat(audit.exit()).as(audit.err()).isZero();
        List<String> lines = audit.out().lines().toList();
        assertThat(lines).isNotEmpty();
        for (String line : lines) {
            assertThat(JSON.readTree(line).path("tenant").asText()).isEqualTo("alpha");
        }
        assertThat(as(alphaAuditor, "audit", "ls", "--limit", "1000").out()).doesNotContain("fb-1");
        assertThat(as(admin, "audit", "ls", "--limit", "1000").out()).contains("fb-1");

        var budgets = as(alphaOwner, "budgets", "--json");
        assertThat(budgets.exit()).as(budgets.err()).isZero();
        assertThat(budgets.out()).contains("alpha").doesNotContain("beta");

        // By name, from JSON: a random key id may well contain "bea".
        List<String> names = new ArrayList<>();
        JSON.readTree(as(alphaOwner, "keys", "ls", "--json").lastLine()).forEach(k -> names.add(k.path("name").asText()));
        assertThat(names).contains("ann", "vic").doesNotContain("bea", "admin");
    }

    @Test
    void aRunOfAnotherTenantLooksLikeNoRunAtAll() {
        var theirs = as(alphaOwner, "runs", "show", "fb-1:t1");
        var none = as(alphaOwner, "runs", "show", "nope-1:t1");
        assertThat(theirs.exit()).isEqualTo(Main.EXIT_BAD_INPUT).isEqualTo(none.exit());
        assertThat(theirs.err().replace("fb-1:t1", "X")).isEqualTo(none.err().replace("nope-1:t1", "X"));
        assertThat(theirs.out()).isEmpty();
        assertThat(as(alphaOwner, "runs", "ls", "--execution", "fb-1").exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(as(betaOwner, "runs", "show", "fb-1:t1").out()).contains("fb-1:t1");
        assertThat(as(betaOwner, "approvals", "show", betaApproval).exit()).isZero();
    }

    @Test
    void nothingOfAnotherTenantCanBeChangedOrSpent() {
        long before = betaEvents();
        for (String[] cmd : List.of(
                new String[] {"runs", "resolve", "fb-1:t1", "--retry"},
                new String[] {"runs", "resolve", "fb-1:t1", "--done", "paid"},
                new String[] {"runs", "resolve", "fb-1:t1", "--fail"})) {
            var r = as(alphaOwner, cmd);
            assertThat(r.exit()).as(String.join(" ", cmd)).isEqualTo(Main.EXIT_BAD_INPUT);
            assertThat(r.err()).contains("no run fb-1:t1 among the runs you may see");
        }
        for (String[] cmd : List.of(
                new String[] {"approvals", "show", betaApproval},
                new String[] {"approvals", "approve", betaApproval, "--comment", "mine now"},
                new String[] {"approvals", "deny", betaApproval, "--comment", "mine now"},
                new String[] {"approvals", "approve", "fb-1", "--comment", "by prefix"},
                new String[] {"approvals", "approve", "fb", "--comment", "by prefix"})) {
            var r = as(alphaOwner, cmd);
            assertThat(r.exit()).as(String.join(" ", cmd)).isEqualTo(Main.EXIT_BAD_INPUT);
            assertThat(r.err()).as("reported as absent, no other approval named")
                    .containsAnyOf("no approval " + betaApproval + " ", "no pending approval starts with")
                    .doesNotContain("more than one", "ambiguous");
        }
        var killRun = as(alphaOwner, "kill", "fb-1:t1");
        assertThat(killRun.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(killRun.err()).contains("no run fb-1:t1 among the runs you may see");
        for (String[] cmd : List.of(
                new String[] {"kill", "--fleet", "fb", "--tenant", "beta"},
                new String[] {"kill", "--tenant", "beta"},
                new String[] {"kill", "--all"},
                new String[] {"pause", "--fleet", "fb", "--tenant", "beta"},
                new String[] {"resume", "--fleet", "fb", "--tenant", "beta"})) {
            assertThat(as(alphaOwner, cmd).exit()).as(String.join(" ", cmd)).isEqualTo(Main.EXIT_DENIED);
        }
        var spend = as(alphaOwner, "run", betaFleet.toString(), "--new");
        assertThat(spend.exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(spend.err()).contains("may not run in tenant beta");
        assertThat(betaEvents()).isEqualTo(before);
        try (SqliteStore s = SqliteStore.open(Path.of(data, "myriad.db"))) {
            assertThat(s.since(0)).as("no control was recorded").isEmpty();
            assertThat(s.pause("beta", "fb")).isEmpty();
        }
        try (SqliteStore s = SqliteStore.open(Path.of(data, "myriad.db"))) {
            assertThat(s.execution("fb-2")).isEmpty();
        }

        assertThat(as(alphaOwner, "keys", "create", "--name", "mole", "--tenant", "beta", "--role", "viewer").exit())
                .isEqualTo(Main.EXIT_DENIED);
        assertThat(as(alphaOwner, "keys", "create", "--name", "mole", "--admin").exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(as(alphaOwner, "keys", "revoke", betaOwnerId).exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(as(alphaOwner, "tenants", "create", "gamma").exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(as(alphaOwner, "budgets", "set", "--tenant", "beta", "--usd", "0.01").exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(as(alphaOwner, "budgets", "prices", "set", "myriad-sim", "--input", "9", "--output", "9").exit())
                .as("prices are install-wide").isEqualTo(Main.EXIT_DENIED);
        assertThat(as(alphaOwner, "budgets", "--tenant", "beta").exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(as(betaOwner, "budgets", "--tenant", "beta", "--json").out()).doesNotContain("0.01");
        assertThat(as(betaOwner, "whoami").exit()).as("beta's key still works").isZero();
    }

    @Test
    void rolesInsideATenant() {
        assertThat(as(alphaViewer, "runs", "ls").exit()).isZero();
        var viewerRuns = as(alphaViewer, "run", alphaFleet.toString(), "--new");
        assertThat(viewerRuns.exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(viewerRuns.err()).contains("vic may not run in tenant alpha: that needs the role owner or operator there");
        var viewerResolves = as(alphaViewer, "runs", "resolve", "fa-1:t1", "--retry");
        assertThat(viewerResolves.exit()).as("visible, so refused by role").isEqualTo(Main.EXIT_DENIED);
        assertThat(as(alphaViewer, "audit", "ls").exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(as(alphaViewer, "audit", "verify").exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(as(alphaAuditor, "audit", "verify").exit()).isZero();
        assertThat(as(alphaViewer, "keys", "ls").exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(as(alphaOperator, "runs", "resolve", "fa-1:t1", "--retry").err())
                .as("permitted; refused only because the run is not in doubt").contains("not waiting for a decision");
    }

    @Test
    void keysAreCheckedStoredAsHashesAndRevocable() throws Exception {
        assertThat(Cli.run("runs", "ls", "--data", data).exit()).as("no key on an install with keys").isEqualTo(Main.EXIT_DENIED);
        assertThat(as("myr_k_0000000000_" + "A".repeat(43), "runs", "ls").exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(as("not-a-key", "runs", "ls").err()).contains("not a Myriad API key");
        byte[] db = Files.readAllBytes(Path.of(data, "myriad.db"));
        String raw = new String(db, java.nio.charset.StandardCharsets.ISO_8859_1);
        for (String key : List.of(admin, alphaOwner, betaOwner)) {
            assertThat(raw).as("the database holds no key in clear").doesNotContain(key.substring(17));
        }
        String temp = create("temp", "alpha", "viewer");
        assertThat(as(temp, "runs", "ls").exit()).isZero();
        String tempId = temp.substring(4, 16);
        assertThat(as(admin, "keys", "revoke", tempId).exit()).isZero();
        var revoked = as(temp, "runs", "ls");
        assertThat(revoked.exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(revoked.err()).contains("unknown or revoked API key");
    }
}
