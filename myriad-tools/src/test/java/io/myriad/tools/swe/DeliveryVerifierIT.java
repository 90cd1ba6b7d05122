package io.myriad.tools.swe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.myriad.tools.sandbox.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Submissions on generated Java and Python repositories, checked in the sandbox. */
class DeliveryVerifierIT {
    private static Sandbox sandbox;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        sandbox = Sandbox.builder().build();
    }

    @AfterAll
    static void stop() {
        sandbox.close();
    }

    private static void needSandbox() {
        assumeThat(sandbox.unavailable()).as("skipped: this test runs commands in the bubblewrap "
                + "sandbox, and bubblewrap (bwrap) is not installed").isEmpty();
    }

    private DeliveryVerifier verifier(long maxDiffBytes) {
        return DeliveryVerifier.builder(sandbox, tmp.resolve("scratch"), tmp.resolve("deliveries"))
                .maxDiffBytes(maxDiffBytes).build();
    }

    private RunWorkspace workOn(SampleRepos.Sample sample, CodingTask task,
            Map<String, String> files) throws Exception {
        RunWorkspace run = GitWorkspaces.builder(tmp.resolve("ws")).build().create(task, "run");
        sample.write(run.dir(), files);
        return run;
    }

    @Test
    void aCorrectJavaFixIsVerifiedAndDelivered() throws Exception {
        needSandbox();
        var sample = SampleRepos.java(tmp, 0);
        assertDelivered(sample, sample.task("java-0"));
    }

    @Test
    void aCorrectPythonFixIsVerifiedAndDeliveredToABareRepositoryByUrl() throws Exception {
        needSandbox();
        var sample = SampleRepos.python(tmp, 7);
        Path bare = SampleRepos.bare(sample);
        CodingTask task = CodingTask.of("py-7", bare.toUri().toString(), "main", "fix scale",
                sample.testCommand());
        DeliveryResult r = verifier(64 * 1024).submit(task, workOn(sample, task, sample.fix()));
        assertThat(r).isInstanceOf(DeliveryResult.Verified.class);
        var v = (DeliveryResult.Verified) r;
        assertThat(SampleRepos.git(bare, "rev-parse", "myriad/py-7").strip()).isEqualTo(v.commitSha());
        assertThat(SampleRepos.git(bare, "show", v.commitSha() + ":scaler.py"))
                .isEqualTo(sample.fix().get("scaler.py"));
    }

    private void assertDelivered(SampleRepos.Sample sample, CodingTask task) throws Exception {
        RunWorkspace run = workOn(sample, task, sample.fix());
        // what running the tests in the workspace leaves behind is ignored, not delivered
        Files.createDirectories(run.dir().resolve("out"));
        Files.writeString(run.dir().resolve("out/Junk.class"), "junk");
        DeliveryResult r = verifier(64 * 1024).submit(task, run);

        assertThat(r).isInstanceOf(DeliveryResult.Verified.class);
        var v = (DeliveryResult.Verified) r;
        assertThat(v.branch()).isEqualTo("myriad/" + task.id());
        Path repo = sample.dir();
        assertThat(SampleRepos.git(repo, "rev-parse", v.branch()).strip()).isEqualTo(v.commitSha());
        assertThat(SampleRepos.git(repo, "rev-parse", v.commitSha() + "^").strip())
                .isEqualTo(sample.baseSha());
        assertThat(SampleRepos.git(repo, "diff", "--name-only", sample.baseSha(), v.commitSha()))
                .isEqualTo(String.join("\n", sample.fix().keySet()) + "\n");
        assertThat(SampleRepos.git(repo, "status", "--porcelain")).as("target working tree").isEmpty();
        assertThat(SampleRepos.git(repo, "symbolic-ref", "HEAD").strip()).isEqualTo("refs/heads/main");
        assertThat(v.patchFile()).isEqualTo(tmp.resolve("deliveries").toRealPath()
                .resolve(task.id() + ".patch"));
        SampleRepos.git(repo, "apply", "--check", v.patchFile().toString());

        var steps = v.evidence().steps();
        assertThat(steps).extracting(Evidence.Step::phase)
                .containsExactly(Evidence.Phase.TEST_BEFORE, Evidence.Phase.TEST_AFTER);
        assertThat(steps.get(0).exitCode()).isNotZero();
        assertThat(steps.get(0).outputTail()).containsAnyOf("FAIL", "AssertionError");
        assertThat(steps.get(1).exitCode()).isZero();
        assertThat(steps).allSatisfy(s -> {
            assertThat(s.command()).isEqualTo(task.testCommand());
            assertThat(s.duration()).isPositive();
        });
        assertThat(v.evidence().files()).containsExactlyElementsOf(sample.fix().keySet());
    }

    @Test
    void aWrongFixIsUnverifiedWithTheEvidence() throws Exception {
        needSandbox();
        var sample = SampleRepos.java(tmp, 1);
        CodingTask task = new CodingTask("java-1", sample.dir().toString(), "main", "fix",
                sample.testCommand(), Optional.of("mkdir -p out"), false);
        DeliveryResult r = verifier(64 * 1024).submit(task, workOn(sample, task, sample.wrongFix()));

        assertThat(r).isInstanceOf(DeliveryResult.Unverified.class);
        var u = (DeliveryResult.Unverified) r;
        assertThat(u.reason()).startsWith("the test command still fails with the diff (exit 1)");
        assertThat(u.evidence().steps()).extracting(Evidence.Step::phase).containsExactly(
                Evidence.Phase.SETUP_BEFORE, Evidence.Phase.TEST_BEFORE,
                Evidence.Phase.SETUP_AFTER, Evidence.Phase.TEST_AFTER);
        assertThat(u.evidence().steps().get(3).outputTail())
                .contains("FAIL: scale(7) = 28, expected 21");
        assertThat(SampleRepos.git(sample.dir(), "branch", "--list", "myriad/*")).isEmpty();
        assertThat(tmp.resolve("deliveries/java-1.patch")).doesNotExist();
    }

    @Test
    void aTestThatAlreadyPassesOnTheBaseProvesNothing() throws Exception {
        needSandbox();
        var sample = SampleRepos.python(tmp, 2);
        CodingTask task = CodingTask.of("py-2", sample.dir().toString(), "main", "g", "true");
        DeliveryResult r = verifier(64 * 1024).submit(task, workOn(sample, task, sample.fix()));
        assertThat(r).isInstanceOf(DeliveryResult.Unverified.class);
        assertThat(((DeliveryResult.Unverified) r).reason()).contains("already passes on the base");
    }

    @Test
    void editingATestIsRefusedUnlessTheTaskAllowsIt() throws Exception {
        var sample = SampleRepos.python(tmp, 3);
        CodingTask task = sample.task("py-3");
        var cheat = Map.of(sample.testFile(), "import unittest\n");
        DeliveryResult r = verifier(64 * 1024).submit(task, workOn(sample, task, cheat));
        assertThat(r).isEqualTo(new DeliveryResult.Refused("the diff changes test files "
                + "[test_scaler.py] and task py-3 does not allow test edits"));

        needSandbox();
        CodingTask allowed = new CodingTask("py-3b", sample.dir().toString(), "main", "g",
                sample.testCommand(), Optional.empty(), true);
        DeliveryResult r2 = verifier(64 * 1024).submit(allowed,
                GitWorkspaces.builder(tmp.resolve("ws2")).build().create(allowed, "r"));
        assertThat(r2).as("an empty diff").isEqualTo(
                new DeliveryResult.Refused("the diff is empty: nothing was changed"));
    }

    @Test
    void aDiffTouchingGitIsRefused() throws Exception {
        var sample = SampleRepos.java(tmp, 4);
        CodingTask task = sample.task("java-4");
        String patch = """
                diff --git a/.git/config b/.git/config
                --- a/.git/config
                +++ b/.git/config
                @@ -1 +1,2 @@
                 [core]
                +\tfsmonitor = evil
                """;
        assertThat(verifier(64 * 1024).verify(task, sample.baseSha(), patch))
                .isEqualTo(new DeliveryResult.Refused("the diff touches a .git directory "
                        + "(.git/config); repository metadata is the platform's"));
        String nested = patch.replace(".git/config", "lib/.GIT/hooks/pre-commit");
        assertThat(verifier(64 * 1024).verify(task, sample.baseSha(), nested))
                .isInstanceOf(DeliveryResult.Refused.class);
        assertThat(verifier(64 * 1024).verify(task, sample.baseSha(), "not a patch\n"))
                .isInstanceOf(DeliveryResult.Refused.class);
        assertThat(Files.readString(sample.dir().resolve(".git/config")))
                .doesNotContain("fsmonitor");
    }

    @Test
    void aCommandPlantedInTheCheckoutsGitConfigDoesNotRunWhenTheDiffIsMade() throws Exception {
        var sample = SampleRepos.python(tmp, 8);
        CodingTask task = sample.task("py-8");
        RunWorkspace run = workOn(sample, task, sample.fix());
        Path marker = tmp.resolve("PLANTED-COMMAND-RAN");
        Files.writeString(run.dir().resolve(".git/config"), "[core]\n\tfsmonitor = \"touch "
                + marker + "; echo\"\n", java.nio.file.StandardOpenOption.APPEND);
        String diff = verifier(64 * 1024).diff(run);
        assertThat(marker).doesNotExist();
        assertThat(diff).startsWith("diff --git a/scaler.py b/scaler.py")
                .contains("+    return x * 10");
    }

    @Test
    void aDiffOverTheCapIsRefused() throws Exception {
        var sample = SampleRepos.java(tmp, 5);
        CodingTask task = sample.task("java-5");
        var big = Map.of("src/Scaler.java", sample.fix().get("src/Scaler.java")
                + "// padding\n".repeat(200));
        DeliveryResult r = verifier(1024).submit(task, workOn(sample, task, big));
        assertThat(r).isInstanceOf(DeliveryResult.Refused.class);
        assertThat(((DeliveryResult.Refused) r).reason()).matches(
                "the diff is \\d+ bytes, over the cap of 1024 bytes; make a smaller change");
    }

    @Test
    void aSmallBinaryDiffThatWritesABigFileIsRefused() throws Exception {
        var sample = SampleRepos.java(tmp, 6);
        CodingTask task = sample.task("java-6");
        RunWorkspace run = workOn(sample, task, sample.fix());
        Files.write(run.dir().resolve("zeros.bin"), new byte[2 * 1024 * 1024]);
        DeliveryVerifier v = DeliveryVerifier.builder(sandbox, tmp.resolve("scratch"),
                tmp.resolve("deliveries")).maxDiffBytes(64 * 1024).maxWrittenBytes(1024 * 1024)
                .build();
        assertThat(v.diff(run).length()).as("compressed").isLessThan(64 * 1024);
        DeliveryResult r = v.submit(task, run);
        assertThat(r).isInstanceOf(DeliveryResult.Refused.class);
        assertThat(((DeliveryResult.Refused) r).reason()).startsWith("the diff writes files of "
                + (2 * 1024 * 1024 + sample.fix().get("src/Scaler.java").length())
                + " bytes in all, over the cap of 1048576 bytes");
    }
}
