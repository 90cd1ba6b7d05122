package io.myriad.tools.swe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import io.myriad.tools.sandbox.Outcome;
import io.myriad.tools.sandbox.Sandbox;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitWorkspacesIT {
    @TempDir
    Path tmp;

    /**
     * Prints what each way of making a checkout costs on a repository of 2,000 files: the median
     * of 6 rounds, the methods interleaved so that load from elsewhere falls on all alike.
     */
    @Test
    void measuresTheWaysToMakeACheckout() throws Exception {
        Path repo = SampleRepos.padded(tmp, 2000);
        String sha = SampleRepos.git(repo, "rev-parse", "HEAD").strip();
        CodingTask task = CodingTask.of("measure", repo.toString(), "main", "g", "true");
        int rounds = 6;
        Map<GitWorkspaces.Method, GitWorkspaces> all = new EnumMap<>(GitWorkspaces.Method.class);
        Map<GitWorkspaces.Method, List<Long>> nanos = new EnumMap<>(GitWorkspaces.Method.class);
        Map<GitWorkspaces.Method, RunWorkspace> sample = new EnumMap<>(GitWorkspaces.Method.class);
        for (GitWorkspaces.Method m : GitWorkspaces.Method.values()) {
            all.put(m, GitWorkspaces.builder(tmp.resolve("ws-" + m)).method(m).build());
            all.get(m).finish(all.get(m).create(task, "warmup"));
            nanos.put(m, new ArrayList<>());
        }
        for (int i = 0; i < rounds; i++) {
            for (GitWorkspaces.Method m : GitWorkspaces.Method.values()) {
                long start = System.nanoTime();
                RunWorkspace run = all.get(m).create(task, "r" + i);
                nanos.get(m).add(System.nanoTime() - start);
                sample.put(m, run);
            }
        }
        for (GitWorkspaces.Method m : GitWorkspaces.Method.values()) {
            RunWorkspace run = sample.get(m);
            long gitBytes = du(run.dir().resolve(".git"));
            List<Long> t = nanos.get(m).stream().sorted().toList();
            System.out.printf("checkout %-13s median %6.1f ms (min %6.1f), .git %7d bytes, "
                    + "files %7d bytes%n", m, t.get(rounds / 2) / 1e6, t.getFirst() / 1e6,
                    gitBytes, du(run.dir()) - gitBytes);
            assertThat(run.baseCommit()).isEqualTo(sha);
            assertThat(run.dir().resolve("pkg3/File3.txt")).exists();
        }
    }

    @Test
    void aCheckoutIsIsolatedFromTheOriginAndRemovedWhenTheRunEnds() throws Exception {
        var sample = SampleRepos.python(tmp, 1);
        GitWorkspaces ws = GitWorkspaces.builder(tmp.resolve("ws")).build();
        RunWorkspace run = ws.create(sample.task("t1"), "run-1");
        assertThat(run.baseCommit()).isEqualTo(sample.baseSha());
        assertThat(run.dir().getParent()).isEqualTo(ws.root());
        assertThat(run.dir().resolve("scaler.py")).hasContent("def scale(x):\n    return x * 2");

        String objectsBefore = SampleRepos.git(sample.dir(), "count-objects", "-v");
        Files.writeString(run.dir().resolve("scaler.py"), "broken");
        Files.writeString(run.dir().resolve("new.txt"), "new");
        SampleRepos.git(run.dir(), "add", "-A");
        SampleRepos.git(run.dir(), "commit", "-q", "-m", "in the checkout");
        SampleRepos.git(run.dir(), "branch", "agent-branch");
        assertThat(run.dir().resolve(".git/objects/info/alternates")).doesNotExist();
        assertThat(SampleRepos.git(run.dir(), "rev-parse", "--is-shallow-repository").strip())
                .isEqualTo("true");

        assertThat(sample.dir().resolve("scaler.py")).hasContent("def scale(x):\n    return x * 2");
        assertThat(SampleRepos.git(sample.dir(), "status", "--porcelain")).isEmpty();
        assertThat(SampleRepos.git(sample.dir(), "count-objects", "-v")).isEqualTo(objectsBefore);
        assertThat(SampleRepos.git(sample.dir(), "branch", "--list")).doesNotContain("agent-branch");

        ws.finish(run);
        assertThat(run.dir()).doesNotExist();
        assertThat(ws.count()).isZero();
        assertThatThrownBy(() -> ws.finish(run)).hasMessageContaining("is not in use");
    }

    @Test
    void gitWorksInsideTheSandboxOnTheDefaultCheckoutButNotOnASharedClone() throws Exception {
        var sample = SampleRepos.python(tmp, 6);
        try (Sandbox sandbox = Sandbox.builder().build()) {
            assumeThat(sandbox.unavailable()).as("skipped: needs bubblewrap (bwrap)").isEmpty();
            RunWorkspace run = GitWorkspaces.builder(tmp.resolve("ws")).build()
                    .create(sample.task("t"), "r");
            Files.writeString(run.dir().resolve("scaler.py"), "changed\n");
            Outcome o = sandbox.run(run.dir(), "git log --format=%H && git diff --stat",
                    Duration.ofSeconds(30));
            assertThat(o.exitCode()).as(o.stderr()).isZero();
            assertThat(o.stdout()).startsWith(sample.baseSha()).contains("scaler.py");

            RunWorkspace shared = GitWorkspaces.builder(tmp.resolve("ws2"))
                    .method(GitWorkspaces.Method.SHARED_CLONE).build().create(sample.task("t"), "r");
            assertThat(sandbox.run(shared.dir(), "git log", Duration.ofSeconds(30)).exitCode())
                    .as("the origin's objects are not visible in the sandbox").isNotZero();
        }
    }

    @Test
    void aWorktreeWouldShareTheOriginsObjects() throws Exception {
        var sample = SampleRepos.python(tmp, 2);
        GitWorkspaces ws = GitWorkspaces.builder(tmp.resolve("ws"))
                .method(GitWorkspaces.Method.WORKTREE).build();
        RunWorkspace run = ws.create(sample.task("t1"), "run-1");
        String before = SampleRepos.git(sample.dir(), "count-objects");
        Files.writeString(run.dir().resolve("new.txt"), "new");
        SampleRepos.git(run.dir(), "add", "-A");
        assertThat(SampleRepos.git(sample.dir(), "count-objects")).isNotEqualTo(before);
        ws.finish(run);
        assertThat(run.dir()).doesNotExist();
        assertThat(SampleRepos.git(sample.dir(), "worktree", "list")).doesNotContain("run-1");
    }

    @Test
    void checksOutABareRepositoryByFileUrlAtACommit() throws Exception {
        var sample = SampleRepos.java(tmp, 3);
        Path bare = SampleRepos.bare(sample);
        GitWorkspaces ws = GitWorkspaces.builder(tmp.resolve("ws")).build();
        CodingTask task = CodingTask.of("bare", bare.toUri().toString(), sample.baseSha(), "g",
                "true");
        RunWorkspace run = ws.create(task, "r");
        assertThat(run.dir().resolve("src/Scaler.java")).exists();
        assertThat(run.repository()).isEqualTo(bare);
        assertThatThrownBy(() -> ws.create(CodingTask.of("x", bare.toString(), "nope", "g", "t"),
                "r")).isInstanceOf(SweException.class)
                .hasMessageContaining("base 'nope' is not a commit or branch");
        assertThatThrownBy(() -> ws.create(CodingTask.of("x", "https://example.invalid/r.git",
                "main", "g", "t"), "r")).hasMessageContaining("only local paths");
    }

    @Test
    void theNumberOfCheckoutsIsBoundedAndKeptOnesAreEvictedOldestFirst() throws Exception {
        var sample = SampleRepos.python(tmp, 4);
        Path root = tmp.resolve("ws");
        GitWorkspaces ws = GitWorkspaces.builder(root).maxWorkspaces(2).keep(true).build();
        RunWorkspace a = ws.create(sample.task("t"), "a");
        RunWorkspace b = ws.create(sample.task("t"), "b");
        assertThatThrownBy(() -> ws.create(sample.task("t"), "c"))
                .isInstanceOf(SweException.class).hasMessageContaining("all 2 workspaces are in use")
                .satisfies(e -> assertThat(((SweException) e).retriable()).isTrue());
        ws.finish(a);
        assertThat(a.dir()).exists();
        RunWorkspace c = ws.create(sample.task("t"), "c");
        assertThat(a.dir()).doesNotExist();
        assertThat(ws.count()).isEqualTo(2);
        assertThatThrownBy(() -> ws.create(sample.task("t"), "b"))
                .hasMessageContaining("already exists");
        ws.finish(b);
        ws.finish(c);

        GitWorkspaces restarted = GitWorkspaces.builder(root).maxWorkspaces(2).build();
        assertThat(restarted.count()).as("kept checkouts of an earlier process").isEqualTo(2);
        RunWorkspace d = restarted.create(sample.task("t"), "d");
        assertThat(b.dir()).doesNotExist();
        assertThat(c.dir()).exists();
        restarted.finish(d);
        assertThat(d.dir()).doesNotExist();
    }

    @Test
    void refusesPathsOutsideItsRoot() throws Exception {
        var sample = SampleRepos.python(tmp, 5);
        GitWorkspaces ws = GitWorkspaces.builder(tmp.resolve("ws")).build();
        RunWorkspace escape = new RunWorkspace("t", "r", tmp.resolve("ws/../elsewhere"),
                sample.dir(), sample.baseSha());
        assertThatThrownBy(() -> ws.finish(escape)).isInstanceOf(SweException.class)
                .hasMessageContaining("refusing workspace path");
        assertThatThrownBy(() -> ws.create(sample.task("t"), "../x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(sample.dir()).exists();
    }

    private static long du(Path dir) throws Exception {
        try (var s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
