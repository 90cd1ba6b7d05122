package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.delivery.Delivery;
import io.myriad.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code myriad deliveries} on deliveries recorded straight into the store, for two tenants:
 * listings, the full account of one, SWE-bench predictions, and nothing of beta for alpha.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeliveriesCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PATCH = "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1 +1,2 @@\n-x = 1\n+x = 2\n+y = 3\n";

    private Path dir;
    private String data;
    private String admin;
    private String alphaViewer;
    private String betaOwner;

    private static Delivery delivery(String id, String tenant, String execution, String task, Delivery.Verdict verdict,
            String patch, long at) {
        boolean verified = verdict == Delivery.Verdict.VERIFIED;
        return new Delivery(id, execution + ":" + task, execution, tenant, task, "sim-coder", verdict,
                verified ? "test_calc failed before the diff and passes with it" : "tests still fail",
                "Set x to 2 as the issue asks.", verified ? Optional.of("myriad/" + task) : Optional.empty(),
                verified ? Optional.of("c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00") : Optional.empty(),
                verified ? Optional.of("/deliveries/" + task + ".patch") : Optional.empty(), patch,
                patch.isEmpty() ? List.of() : List.of("calc.py"),
                List.of(new Delivery.Check("test_before", "pytest -q tests/test_calc.py", 1, 1_500, false,
                                "FAILED tests/test_calc.py::test_x\n1 failed"),
                        new Delivery.Check("test_after", "pytest -q tests/test_calc.py", 0, 2_250, true, "1 passed")),
                at);
    }

    @BeforeAll
    void deliveriesOfTwoTenants(@TempDir Path tmp) {
        dir = tmp;
        data = tmp.resolve("data").toString();
        var first = Cli.run("keys", "create", "--name", "admin", "--admin", "--data", data);
        assertThat(first.exit()).as(first.err()).isZero();
        admin = keyOf(first);
        alphaViewer = create("vic", "alpha", "viewer");
        betaOwner = create("bea", "beta", "owner");
        try (SqliteStore s = SqliteStore.open(Path.of(data, "myriad.db"))) {
            s.record(delivery("fix-1:t1#s1", "alpha", "fix-1", "t1", Delivery.Verdict.UNVERIFIED, PATCH, 1_000));
            s.record(delivery("fix-1:t1#s2", "alpha", "fix-1", "t1", Delivery.Verdict.VERIFIED, PATCH, 2_000));
            s.record(delivery("fix-1:t2#s1", "alpha", "fix-1", "t2", Delivery.Verdict.VERIFIED, PATCH, 3_000));
            s.record(delivery("fix-1:t2#s2", "alpha", "fix-1", "t2", Delivery.Verdict.UNVERIFIED, PATCH.replace("y = 3", "y = 4"), 4_000));
            s.record(delivery("fix-1:t3#s1", "alpha", "fix-1", "t3", Delivery.Verdict.REFUSED, "", 5_000));
            s.record(delivery("fix-2:t4#s1", "alpha", "fix-2", "t4", Delivery.Verdict.UNVERIFIED, PATCH, 6_000));
            s.record(delivery("fb-1:t9#s1", "beta", "fb-1", "t9", Delivery.Verdict.VERIFIED, PATCH, 7_000));
        }
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

    private static List<JsonNode> jsonl(String text) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    @Test
    void lsListsNewestFirstWithCountsByVerdict() throws Exception {
        var r = as(alphaViewer, "deliveries", "ls");
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> lines = r.out().strip().lines().toList();
        assertThat(lines.getFirst()).startsWith("ID").contains("TASK", "VERDICT", "FILES", "DIFF", "RUN", "WHEN");
        assertThat(lines.get(1)).startsWith("fix-2:t4#s1").contains("t4", "unverified", "+2/-1", "fix-2:t4");
        assertThat(lines.get(6)).startsWith("fix-1:t1#s1");
        assertThat(lines.getLast()).isEqualTo("6 deliveries: 2 verified, 3 unverified, 1 refused");

        var verified = as(alphaViewer, "deliveries", "ls", "--verdict", "verified", "--execution", "fix-1");
        assertThat(verified.out()).contains("fix-1:t1#s2", "fix-1:t2#s1").doesNotContain("fix-1:t1#s1", "fix-1:t2#s2", "fix-2:t4")
                .contains("2 deliveries: 2 verified, 0 unverified, 0 refused");

        JsonNode limited = JSON.readTree(as(alphaViewer, "deliveries", "ls", "--limit", "2", "--json").lastLine());
        assertThat(limited).hasSize(2);
        assertThat(limited.get(0).path("id").asText()).isEqualTo("fix-2:t4#s1");
        assertThat(limited.get(0).has("patch")).isFalse();

        var bad = as(alphaViewer, "deliveries", "ls", "--verdict", "great");
        assertThat(bad.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(bad.err()).contains("use verified, unverified or refused");
    }

    @Test
    void showPrintsTheVerdictTheChecksAndThePatch() throws Exception {
        var r = as(alphaViewer, "deliveries", "show", "fix-1:t1#s2");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("verdict:    verified: test_calc failed before the diff and passes with it",
                "task:       t1", "transcript: myriad runs show fix-1:t1", "model:      sim-coder",
                "branch:     myriad/t1", "commit:     c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
                "patch file: /deliveries/t1.patch", "Set x to 2 as the issue asks.", "  calc.py",
                "test_before   exit 1  1.5 s  pytest -q tests/test_calc.py",
                "test_after    exit 0  2.3 s  TIMED OUT  pytest -q tests/test_calc.py",
                "      | FAILED tests/test_calc.py::test_x", "      | 1 failed", "patch:\n" + PATCH);

        var noPatch = as(alphaViewer, "deliveries", "show", "fix-1:t1#s2", "--no-patch");
        assertThat(noPatch.out()).doesNotContain("patch:\n").doesNotContain("+y = 3");

        JsonNode json = JSON.readTree(as(alphaViewer, "deliveries", "show", "fix-1:t3#s1", "--json").lastLine());
        assertThat(json.path("verdict").asText()).isEqualTo("refused");
        assertThat(json.has("branch")).isFalse();
        assertThat(json.path("steps")).hasSize(2);
        assertThat(json.path("steps").get(1).path("timed_out").asBoolean()).isTrue();
        assertThat(json.path("patch").asText()).isEmpty();
    }

    @Test
    void exportWritesTheNewestVerifiedPredictionPerTask() throws Exception {
        var r = as(alphaViewer, "deliveries", "export");
        assertThat(r.exit()).as(r.err()).isZero();
        List<JsonNode> rows = jsonl(r.out());
        assertThat(rows).hasSize(2);
        for (JsonNode row : rows) {
            assertThat(row.fieldNames()).toIterable().containsExactlyInAnyOrder("instance_id", "model_name_or_path", "model_patch");
            assertThat(row.path("model_name_or_path").asText()).isEqualTo("sim-coder");
            assertThat(row.path("model_patch").asText()).isEqualTo(PATCH);
        }
        assertThat(rows).extracting(n -> n.path("instance_id").asText()).containsExactly("t1", "t2");
        assertThat(r.err()).contains("2 predictions exported");

        Path out = dir.resolve("preds/all.jsonl");
        var all = as(alphaViewer, "deliveries", "export", "--all", "--out", out.toString());
        assertThat(all.exit()).as(all.err()).isZero();
        assertThat(all.out()).isEmpty();
        assertThat(all.err()).contains("3 predictions exported");
        List<JsonNode> allRows = jsonl(Files.readString(out));
        assertThat(allRows).extracting(n -> n.path("instance_id").asText()).as("never the refused, empty t3")
                .containsExactly("t1", "t2", "t4");
        assertThat(allRows.get(1).path("model_patch").asText()).as("t2's newest, unverified").contains("y = 4");
        try (var listing = Files.list(out.getParent())) {
            assertThat(listing).as("no temporary file left").containsExactly(out);
        }

        var one = as(alphaViewer, "deliveries", "export", "--all", "--execution", "fix-2");
        assertThat(jsonl(one.out())).extracting(n -> n.path("instance_id").asText()).containsExactly("t4");
    }

    @Test
    void anotherTenantsDeliveryIsLikeOneThatDoesNotExist() throws Exception {
        JsonNode alphas = JSON.readTree(as(alphaViewer, "deliveries", "ls", "--json").lastLine());
        alphas.forEach(d -> assertThat(d.path("tenant").asText()).isEqualTo("alpha"));
        assertThat(as(alphaViewer, "deliveries", "ls", "--execution", "fb-1").out()).contains("(no deliveries)");
        assertThat(as(alphaViewer, "deliveries", "export", "--all").out()).doesNotContain("t9");
        assertThat(as(alphaViewer, "deliveries", "export", "--execution", "fb-1").out()).isEmpty();

        var theirs = as(alphaViewer, "deliveries", "show", "fb-1:t9#s1");
        var random = as(alphaViewer, "deliveries", "show", "nope-7:t0#s0");
        assertThat(theirs.exit()).isEqualTo(random.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(theirs.out()).isEmpty();
        assertThat(theirs.err().replace("fb-1:t9#s1", "ID")).isEqualTo(random.err().replace("nope-7:t0#s0", "ID"))
                .contains("no delivery ID among the deliveries you may see");

        var own = as(betaOwner, "deliveries", "show", "fb-1:t9#s1");
        assertThat(own.exit()).as(own.err()).isZero();
        assertThat(jsonl(as(betaOwner, "deliveries", "export").out())).extracting(n -> n.path("instance_id").asText())
                .containsExactly("t9");
        assertThat(JSON.readTree(as(admin, "deliveries", "ls", "--json").lastLine())).hasSize(7);
    }
}
