package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.delivery.Delivery;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.model.Message;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.Usage;
import io.myriad.core.run.RunFold;
import io.myriad.server.ApiServer;
import io.myriad.server.ApiResources;
import io.myriad.server.FleetsResource;
import io.myriad.store.SqliteStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI against a real {@link ApiServer} (as {@code myriad serve} wires it) over a store seeded
 * by local commands: each command covered remotely prints what it prints locally, with the same
 * exit code; a run of another tenant is reported like a missing one; a denial is a denial; an
 * unreachable node is a platform failure; {@code run FILE --server} deploys and follows to the end.
 * The only differences allowed are numbers a second action necessarily changes (control
 * sequence numbers, a kill's milliseconds, how long an audit verification took), and the
 * approval, run, tenant or key each change names (a new key's id and secret).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RemoteCliIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PATCH = "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1 +1,2 @@\n-x = 1\n+x = 2\n+y = 3\n";

    private Path dir;
    private String data;
    private String admin;
    private String alphaOwner;
    private String betaOwner;
    private String betaViewer;
    private List<String> betaApprovals;
    private SqliteStore store;
    private Hosting hosting;
    private ApiServer server;
    private String url;

    private static String fleet(String name, String tenant, int tasks, String extra) {
        List<String> list = new ArrayList<>();
        for (int i = 1; i <= tasks; i++) {
            list.add("\"task " + i + "\"");
        }
        return """
                fleet: %s
                tenant: %s
                model: {sim: {scenario: tools, tool_calls: 1, latency: 1ms, seed: 3}}
                agents:
                  writer:
                    instructions: write a note, then answer
                    tools: [fs.write]
                tasks: [%s]
                """.formatted(name, tenant, String.join(", ", list)) + extra;
    }

    @BeforeAll
    void aStoreSeededLocallyAndANodeServingIt(@TempDir Path tmp) throws Exception {
        dir = tmp;
        data = tmp.resolve("data").toString();
        var first = Cli.run("keys", "create", "--name", "admin", "--admin", "--data", data);
        assertThat(first.exit()).as(first.err()).isZero();
        admin = keyOf(first);
        alphaOwner = create("ann", "alpha", "owner");
        betaOwner = create("bea", "beta", "owner");
        betaViewer = create("vic", "beta", "viewer");
        Path alpha = tmp.resolve("alpha.yaml");
        Path beta = tmp.resolve("beta.yaml");
        Files.writeString(alpha, fleet("fa", "alpha", 3, ""));
        Files.writeString(beta, fleet("fb", "beta", 6, "policy:\n  - {id: ask, effect: needs_approval, tool: fs.write}\n"));
        var ra = Cli.run("run", alpha.toString(), "--data", data, "--api-key", alphaOwner);
        assertThat(ra.exit()).as(ra.err()).isZero();
        var rb = Cli.run("run", beta.toString(), "--data", data, "--api-key", betaOwner);
        assertThat(rb.exit()).as(rb.err()).isEqualTo(Main.EXIT_NEEDS_DECISION);
        var pending = Cli.run("approvals", "ls", "--json", "--data", data, "--api-key", betaOwner);
        betaApprovals = new ArrayList<>();
        JSON.readTree(pending.lastLine()).forEach(a -> betaApprovals.add(a.path("id").asText()));
        assertThat(betaApprovals).hasSize(6);

        store = SqliteStore.open(Path.of(data, "myriad.db"));
        store.record(delivery("fix-1:t1#s1", "alpha", "fix-1", "t1", Delivery.Verdict.VERIFIED, PATCH, 1_000));
        store.record(delivery("fix-1:t2#s1", "alpha", "fix-1", "t2", Delivery.Verdict.UNVERIFIED, PATCH, 2_000));
        store.record(delivery("fix-1:t3#s1", "alpha", "fix-1", "t3", Delivery.Verdict.REFUSED, "", 3_000));
        store.record(delivery("fb-9:t9#s1", "beta", "fb-9", "t9", Delivery.Verdict.VERIFIED, PATCH, 4_000));

        var fd = store.createExecution("alpha", "fd", "d", "doubt.yaml", 6, System.currentTimeMillis());
        for (int i = 1; i <= 6; i++) {
            inDoubt(fd.id(), "fd", "t" + i);
        }

        hosting = new Hosting(Path.of(data).toAbsolutePath(), new PrintWriter(new StringWriter(), true));
        ApiServer.Builder builder = ApiServer.builder(store).port(0).localUser(Caller.localUser())
                .resource(new FleetsResource(hosting));
        ApiResources.all().forEach(builder::resource);
        server = builder.build().start();
        url = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    void stop() {
        if (hosting != null) {
            hosting.close();
        }
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private static Delivery delivery(String id, String tenant, String execution, String task, Delivery.Verdict verdict,
            String patch, long at) {
        boolean verified = verdict == Delivery.Verdict.VERIFIED;
        return new Delivery(id, execution + ":" + task, execution, tenant, task, "sim-coder", verdict,
                verified ? "test_calc failed before the diff and passes with it" : "tests still fail", "Set x to 2.",
                verified ? Optional.of("myriad/" + task) : Optional.empty(),
                verified ? Optional.of("c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00") : Optional.empty(),
                verified ? Optional.of("/deliveries/" + task + ".patch") : Optional.empty(), patch,
                patch.isEmpty() ? List.of() : List.of("calc.py"),
                List.of(new Delivery.Check("test_before", "pytest -q", 1, 1_500, false, "1 failed"),
                        new Delivery.Check("test_after", "pytest -q", 0, 2_250, true, "1 passed")), at);
    }

    /** A run whose call to a tool that cannot tell what happened was running when its process died. */
    private void inDoubt(String execution, String fleet, String task) {
        RunFold fold = new RunFold();
        String runId = execution + ":" + task;
        long now = System.currentTimeMillis();
        append(runId, fold, List.of(new RunEvent.RunStarted(now, fleet, execution, task, "writer", "do " + task, "m"),
                new RunEvent.ModelResponded(now, new Message.Assistant("", List.of(new ToolCall("c1", "pay", "{}"))),
                        new Usage(3, 2), 0.001, 1, "m")));
        String key = fold.calls().getFirst().idempotencyKey();
        append(runId, fold, List.of(new RunEvent.ToolCallStarted(now, "c1", "pay", key),
                new RunEvent.ToolCallInDoubt(now, "c1", "pay", key, "unknown")));
    }

    private void append(String runId, RunFold fold, List<RunEvent> events) {
        long expected = fold.seq();
        events.forEach(fold::apply);
        store.append(new Journal.Append(runId, expected, events, fold.status())).join();
    }

    private String create(String name, String tenant, String role) {
        var r = Cli.run("keys", "create", "--name", name, "--tenant", tenant, "--role", role, "--data", data, "--api-key", admin);
        assertThat(r.exit()).as(r.err()).isZero();
        return keyOf(r);
    }

    private static String keyOf(Cli.Result created) {
        return created.out().split("\n")[1].strip();
    }

    private Cli.Result local(String key, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--data", data, "--api-key", key));
        return Cli.run(all.toArray(String[]::new));
    }

    private Cli.Result remote(String key, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", url, "--api-key", key));
        return Cli.run(all.toArray(String[]::new));
    }

    /** Runs the command locally and against the node: the same exit code, output and errors. */
    private Cli.Result same(String key, String... args) {
        var l = local(key, args);
        var r = remote(key, args);
        assertThat(r.exit()).as(String.join(" ", args) + "\nlocal: " + l.err() + "\nremote: " + r.err()).isEqualTo(l.exit());
        assertThat(r.out()).as(String.join(" ", args)).isEqualTo(l.out());
        assertThat(r.err()).as(String.join(" ", args)).isEqualTo(l.err());
        return l;
    }

    private static String normal(String s) {
        return s.replaceAll("control #\\d+", "control #N").replaceAll("in \\d+ ms", "in N ms")
                .replaceAll("in [\\d.]+ s", "in N s");
    }

    @Test
    void readingCommandsPrintTheSameAsLocally() {
        assertThat(same(admin, "whoami").out()).contains("acting as admin");
        same(alphaOwner, "whoami");
        String alphaRun = "fa-1:t1";
        for (String key : List.of(admin, alphaOwner, betaOwner)) {
            assertThat(same(key, "runs", "ls").exit()).isZero();
            same(key, "runs", "ls", "--json");
            same(key, "runs", "ls", "--limit", "2");
            same(key, "runs", "ls", "--state", "succeeded");
            same(key, "runs", "ls", "--state", "awaiting_approval", "--limit", "4");
            same(key, "approvals", "ls");
            same(key, "approvals", "ls", "--json");
            same(key, "deliveries", "ls");
            same(key, "deliveries", "ls", "--json");
        }
        assertThat(same(alphaOwner, "runs", "ls", "--execution", "fa-1").out()).contains(alphaRun);
        same(admin, "approvals", "ls", "--execution", "fb-1", "--all");
        same(alphaOwner, "runs", "ls", "--state", "nonsense");
        assertThat(same(alphaOwner, "runs", "show", alphaRun).out()).contains("SUCCEEDED");
        same(alphaOwner, "runs", "show", alphaRun, "--json");
        same(betaOwner, "runs", "show", "fb-1:t2", "--full");
        same(alphaOwner, "deliveries", "ls", "--verdict", "verified");
        same(alphaOwner, "deliveries", "ls", "--execution", "fix-1", "--limit", "2");
        assertThat(same(alphaOwner, "deliveries", "show", "fix-1:t1#s1").out()).contains("patch:");
        same(alphaOwner, "deliveries", "show", "fix-1:t2#s1", "--json");
        same(alphaOwner, "deliveries", "show", "fix-1:t2#s1", "--no-patch");
        String pending = betaApprovals.get(5);
        assertThat(same(betaOwner, "approvals", "show", pending).out()).contains("decision   pending: ");
        same(betaOwner, "approvals", "show", pending.substring(0, pending.indexOf('#')));
        same(betaOwner, "approvals", "show", pending.substring(0, pending.indexOf('#') + 2));
        same(betaOwner, "approvals", "show", pending.substring(0, pending.indexOf('#')) + "#nope");
        same(betaOwner, "approvals", "show", "fb-");
        same(alphaOwner, "approvals", "show", pending);
        for (String key : List.of(admin, alphaOwner, betaOwner)) {
            same(key, "deliveries", "export");
            same(key, "deliveries", "export", "--all");
            same(key, "tenants", "ls");
            same(key, "budgets");
            same(key, "budgets", "--json");
            same(key, "keys", "ls");
            same(key, "keys", "ls", "--json");
            assertThat(normal(local(key, "audit", "ls").out())).isEqualTo(normal(remote(key, "audit", "ls").out()));
        }
        assertThat(same(alphaOwner, "deliveries", "export", "--execution", "fix-1", "--all").err()).contains("2 predictions");
        same(betaViewer, "keys", "ls");
        same(betaViewer, "tenants", "ls");
        same(alphaOwner, "budgets", "--tenant", "alpha");
        same(alphaOwner, "budgets", "--tenant", "beta");
        same(admin, "audit", "ls", "--limit", "3");
        same(betaViewer, "audit", "ls");
        var lv = local(admin, "audit", "verify");
        var rv = remote(admin, "audit", "verify");
        assertThat(rv.exit()).as(rv.err()).isEqualTo(lv.exit()).isZero();
        assertThat(normal(rv.out())).isEqualTo(normal(lv.out())).contains("chain intact, verified in N s");
        same(betaViewer, "audit", "verify");
    }

    @Test
    void exportsWriteTheSameFile() throws Exception {
        Path l = dir.resolve("local.jsonl");
        Path r = dir.resolve("remote.jsonl");
        var le = local(admin, "deliveries", "export", "--all", "--out", l.toString());
        var re = remote(admin, "deliveries", "export", "--all", "--out", r.toString());
        assertThat(re.exit()).as(re.err()).isEqualTo(le.exit()).isZero();
        assertThat(re.out()).isEqualTo(le.out());
        assertThat(re.err().replace(r.toString(), "FILE")).isEqualTo(le.err().replace(l.toString(), "FILE"));
        assertThat(Files.readString(r)).isEqualTo(Files.readString(l)).contains("\"instance_id\":\"t1\"");
    }

    @Test
    void decisionsOnCallsInDoubtPrintTheSameAsLocally() {
        String[][] decisions = {{"--retry"}, {"--done", "it was paid"}, {"--fail"}};
        for (int i = 0; i < decisions.length; i++) {
            String lr = "fd-1:t" + (2 * i + 1);
            String rr = "fd-1:t" + (2 * i + 2);
            List<String> la = new ArrayList<>(List.of("runs", "resolve", lr));
            la.addAll(List.of(decisions[i]));
            List<String> ra = new ArrayList<>(List.of("runs", "resolve", rr));
            ra.addAll(List.of(decisions[i]));
            ra.addAll(List.of("--comment", "checked", "--call", "c1"));
            var l = local(alphaOwner, la.toArray(String[]::new));
            var r = remote(alphaOwner, ra.toArray(String[]::new));
            assertThat(r.exit()).as(r.err()).isEqualTo(l.exit()).isZero();
            assertThat(r.out().replace(rr, "RUN")).isEqualTo(l.out().replace(lr, "RUN"));
            same(alphaOwner, "runs", "show", rr);
        }
        assertThat(same(alphaOwner, "runs", "resolve", "fd-1:t1", "--retry").err()).contains("not waiting for a decision");
        assertThat(same(alphaOwner, "runs", "resolve", "fa-1:t1", "--fail").exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(same(betaOwner, "runs", "resolve", "fd-1:t2", "--fail").err()).contains("no run fd-1:t2");
        assertThat(same(betaViewer, "runs", "resolve", "fb-1:t1", "--fail").exit()).isEqualTo(Main.EXIT_DENIED);
    }

    @Test
    void accessChangesPrintTheSameAsLocally() throws Exception {
        var lt = local(admin, "tenants", "create", "gamma");
        var rt = remote(admin, "tenants", "create", "delta");
        assertThat(rt.exit()).as(rt.err()).isEqualTo(lt.exit()).isZero();
        assertThat(rt.out().replace("delta", "T")).isEqualTo(lt.out().replace("gamma", "T"));
        assertThat(same(admin, "tenants", "create", "gamma").out()).contains("tenant gamma exists");
        same(admin, "tenants", "create", "delta");
        assertThat(same(alphaOwner, "tenants", "create", "zeta").exit()).isEqualTo(Main.EXIT_DENIED);
        same(admin, "tenants", "create", "Not A Name");
        same(admin, "tenants", "ls");

        var lb = local(alphaOwner, "budgets", "set", "--tenant", "alpha", "--usd", "0.5", "--tokens", "1000000", "--warn-at", "0.5");
        var rb = remote(alphaOwner, "budgets", "set", "--tenant", "alpha", "--usd", "0.5", "--tokens", "1000000", "--warn-at", "0.5");
        assertThat(rb.exit()).as(rb.err()).isEqualTo(lb.exit()).isZero();
        assertThat(rb.out()).isEqualTo(lb.out()).startsWith("tenant alpha: ");
        same(alphaOwner, "budgets");
        same(alphaOwner, "budgets", "--json");
        assertThat(same(alphaOwner, "budgets", "set", "--tenant", "beta", "--steps", "5").exit()).isEqualTo(Main.EXIT_DENIED);
        same(alphaOwner, "budgets", "set", "--tenant", "alpha", "--usd", "-1");
        same(alphaOwner, "budgets", "set", "--tenant", "Alpha", "--usd", "1");
        var lz = local(admin, "budgets", "set", "--tenant", "gamma", "--steps", "0");
        var rz = remote(admin, "budgets", "set", "--tenant", "gamma", "--steps", "0");
        assertThat(rz.out()).isEqualTo(lz.out());
        same(admin, "budgets");

        var lk = local(alphaOwner, "keys", "create", "--name", "ops", "--tenant", "alpha", "--role", "operator", "--role", "viewer");
        var rk = remote(alphaOwner, "keys", "create", "--name", "ops", "--tenant", "alpha", "--role", "operator", "--role", "viewer");
        assertThat(rk.exit()).as(rk.err()).isEqualTo(lk.exit()).isZero();
        String lid = lk.out().split(" ")[1];
        String rid = rk.out().split(" ")[1];
        assertThat(rk.out().replace(keyOf(rk), "KEY").replace(rid, "ID")).isEqualTo(lk.out().replace(keyOf(lk), "KEY").replace(lid, "ID"));
        assertThat(remote(keyOf(rk), "whoami").out()).contains("acting as ops");
        same(alphaOwner, "keys", "create", "--name", "x", "--tenant", "beta", "--role", "viewer");
        same(alphaOwner, "keys", "create", "--name", "x", "--admin");
        same(admin, "keys", "create", "--name", "x", "--tenant", "alpha", "--role", "boss");
        same(alphaOwner, "keys", "ls");

        var lr = local(alphaOwner, "keys", "revoke", lid);
        var rr = remote(alphaOwner, "keys", "revoke", rid);
        assertThat(rr.exit()).as(rr.err()).isEqualTo(lr.exit()).isZero();
        assertThat(rr.out().replace(rid, "ID")).isEqualTo(lr.out().replace(lid, "ID")).contains("(ops) revoked");
        assertThat(remote(keyOf(rk), "whoami").exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(same(alphaOwner, "keys", "revoke", rid).err()).contains("already revoked");
        assertThat(same(betaOwner, "keys", "revoke", lid).err()).contains("no key " + lid);
        same(alphaOwner, "keys", "ls");
        same(alphaOwner, "keys", "ls", "--json");
    }

    @Test
    void anotherTenantsRunsAreReportedLikeMissingOnes() {
        var show = same(alphaOwner, "runs", "show", "fb-1:t1");
        assertThat(show.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(show.err()).contains("no run fb-1:t1 among the runs you may see");
        assertThat(same(alphaOwner, "runs", "show", "nope:t1").exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(same(alphaOwner, "runs", "ls", "--execution", "fb-1").err()).contains("no execution fb-1");
        assertThat(same(alphaOwner, "deliveries", "show", "fb-9:t9#s1").exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(same(alphaOwner, "approvals", "approve", betaApprovals.get(5), "--comment", "mine now").err())
                .contains("no approval " + betaApprovals.get(5));
        assertThat(same(alphaOwner, "kill", "fb-1:t6").err()).contains("no run fb-1:t6");
        assertThat(same(alphaOwner, "pause", "--fleet", "fb", "--tenant", "beta").exit()).isEqualTo(Main.EXIT_DENIED);
    }

    @Test
    void aViewerIsDeniedAsLocally() {
        var denied = same(betaViewer, "approvals", "approve", betaApprovals.get(5), "--comment", "looks fine");
        assertThat(denied.exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(denied.err()).startsWith("myriad: denied: ");
        assertThat(same(betaViewer, "kill", "--fleet", "fb", "--tenant", "beta").exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(same("not-a-key", "whoami").exit()).isEqualTo(Main.EXIT_DENIED);
        var unknown = remote("myr_k_0000000000000000000000000000", "whoami");
        assertThat(unknown.exit()).isEqualTo(Main.EXIT_DENIED);
        assertThat(unknown.err()).startsWith("myriad: denied: ");
    }

    @Test
    void decisionsAndControlsPrintTheSameAsLocally() {
        String a0 = betaApprovals.get(0);
        String a1 = betaApprovals.get(1);
        var l = local(betaOwner, "approvals", "approve", a0, "--comment", "ok");
        var r = remote(betaOwner, "approvals", "approve", a1, "--comment", "ok");
        assertThat(r.exit()).as(r.err()).isEqualTo(l.exit()).isZero();
        assertThat(r.out().replace(a1, "ID")).isEqualTo(l.out().replace(a0, "ID"));
        assertThat(remote(betaOwner, "approvals", "deny", a1, "--comment", "again").exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(same(betaOwner, "approvals", "show", a0).out()).contains("decision   approved by ");
        same(betaOwner, "approvals", "show", a1);
        // A unique prefix of a pending approval will do, as locally.
        String a2 = betaApprovals.get(2);
        var byPrefix = remote(betaOwner, "approvals", "deny", a2.substring(0, a2.indexOf('#')), "--comment", "no");
        assertThat(byPrefix.exit()).as(byPrefix.err()).isZero();
        assertThat(byPrefix.out()).startsWith("approval " + a2 + ": denied by ");

        String k3 = betaApprovals.get(3).substring(0, betaApprovals.get(3).indexOf('#'));
        String k4 = betaApprovals.get(4).substring(0, betaApprovals.get(4).indexOf('#'));
        var lk = local(betaOwner, "kill", k3, "--reason", "test");
        var rk = remote(betaOwner, "kill", k4, "--reason", "test");
        assertThat(rk.exit()).as(rk.err()).isEqualTo(lk.exit()).isZero();
        assertThat(normal(rk.out()).replace(k4, "RUN")).isEqualTo(normal(lk.out()).replace(k3, "RUN"));
        var lf = local(betaOwner, "kill", "--fleet", "fb", "--tenant", "beta", "--wait", "0s");
        assertThat(lf.exit()).as(lf.err()).isZero();
        var l0 = local(betaOwner, "kill", "--fleet", "fb", "--tenant", "beta");
        var r0 = remote(betaOwner, "kill", "--fleet", "fb", "--tenant", "beta");
        assertThat(r0.exit()).isEqualTo(l0.exit()).isZero();
        assertThat(normal(r0.out())).isEqualTo(normal(l0.out())).contains(": 0 runs cancelled");

        var lp = local(alphaOwner, "pause", "--fleet", "fa", "--tenant", "alpha");
        assertThat(lp.exit()).as(lp.err()).isZero();
        same(alphaOwner, "pause", "--fleet", "fa", "--tenant", "alpha"); // already paused, by whom
        var rr = remote(alphaOwner, "resume", "--fleet", "fa", "--tenant", "alpha");
        assertThat(rr.exit()).as(rr.err()).isZero();
        assertThat(rr.out()).startsWith("resumed fleet fa (tenant alpha, control #");
        same(alphaOwner, "resume", "--fleet", "fa", "--tenant", "alpha"); // not paused
        var rp = remote(alphaOwner, "pause", "--fleet", "fa", "--tenant", "alpha");
        assertThat(normal(rp.out())).isEqualTo(normal(lp.out()));
        assertThat(remote(alphaOwner, "resume", "--fleet", "fa", "--tenant", "alpha").exit()).isZero();
    }

    @Test
    void anUnreachableNodeIsAPlatformFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String down = "http://127.0.0.1:" + port;
        var r = Cli.run("runs", "ls", "--server", down);
        assertThat(r.exit()).isEqualTo(Main.EXIT_PLATFORM);
        assertThat(r.err()).contains("cannot reach the server at " + down);
    }

    @Test
    void commandsThatOnlyWorkLocallySaySo() {
        var r = remote(admin, "audit", "export", "--out", dir.resolve("audit.jsonl").toString());
        assertThat(r.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("myriad audit export does not work against a server yet; run it on the server's machine");
        assertThat(remote(admin, "audit", "export", "--help").exit()).as("help still works").isZero();
        for (String[] args : List.of(new String[] {"audit", "export"}, new String[] {"audit", "checkpoint"},
                new String[] {"budgets", "prices"}, new String[] {"budgets", "prices", "set", "m", "--input", "1", "--output", "2"})) {
            var refused = remote(admin, args);
            assertThat(refused.exit()).as(String.join(" ", args)).isEqualTo(Main.EXIT_BAD_INPUT);
            assertThat(refused.err()).contains("myriad " + String.join(" ", List.of(args).subList(0, args[1].equals("prices")
                    && args.length > 2 ? 3 : 2)) + " does not work against a server yet");
        }
        var checkpoints = remote(admin, "audit", "verify", "--checkpoints", dir.resolve("cp.jsonl").toString());
        assertThat(checkpoints.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(checkpoints.err()).contains("myriad audit verify --checkpoints does not work against a server yet");
        assertThat(remote(admin, "audit", "verify", "--signing-key", "k").err())
                .contains("myriad audit verify --signing-key does not work against a server yet");
    }

    @Test
    void runFileDeploysTheFleetAndFollowsItToTheEnd() throws Exception {
        Path file = dir.resolve("hosted.yaml");
        Files.writeString(file, fleet("hosted", "alpha", 4, ""));
        var r = remote(alphaOwner, "run", file.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.err()).contains("deployed fleet alpha/hosted to " + url);
        assertThat(r.out()).contains("execution hosted-1").contains("runs      4 tasks: succeeded 4").contains("exit      0");
        var runs = local(alphaOwner, "runs", "ls", "--execution", "hosted-1", "--state", "succeeded", "--json");
        assertThat(JSON.readTree(runs.lastLine())).hasSize(4);

        Path tasks = dir.resolve("tasks.jsonl");
        Files.writeString(tasks, "\"one\"\n");
        Path relative = dir.resolve("relative.yaml");
        Files.writeString(relative, fleet("rel", "alpha", 1, "").replace("tasks: [\"task 1\"]", "tasks: tasks.jsonl"));
        var refused = remote(alphaOwner, "run", relative.toString());
        assertThat(refused.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(refused.err()).contains("relative paths (tasks: tasks.jsonl)").contains("nothing was deployed");
    }

    @Test
    void aProfileNamesTheNodeAndAKeyOnlyWhenPrivate() throws Exception {
        Path config = dir.resolve("config");
        Path profile = config.resolve("myriad/profile");
        Files.createDirectories(profile.getParent());
        Files.writeString(profile, "# my node\nserver=" + url + "\napi_key=" + alphaOwner + "\n");
        Files.setPosixFilePermissions(profile, PosixFilePermissions.fromString("rw-------"));
        Map<String, String> env = Map.of("XDG_CONFIG_HOME", config.toString());
        var ok = spawn(env, "whoami");
        assertThat(ok.exit()).as(ok.out()).isZero();
        assertThat(ok.out()).contains("acting as ann");

        Files.setPosixFilePermissions(profile, PosixFilePermissions.fromString("rw-r--r--"));
        var refused = spawn(env, "whoami");
        assertThat(refused.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(refused.out()).contains("accessible by group or others").contains("chmod 600 " + profile);
    }

    private Cli.Result spawn(Map<String, String> env, String... args) throws Exception {
        Path log = Files.createTempFile(dir, "spawn", ".log");
        Process p = Cli.spawn(log, env, args);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Cli.Result(p.exitValue(), Files.readString(log), "");
    }
}
