package io.myriad.tools.swe;

import io.myriad.tools.sandbox.Outcome;
import io.myriad.tools.sandbox.Sandbox;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Turns a run's work into a delivery, only when the platform itself has seen it fix the tests.
 *
 * <p>Notes (the order of the checks):
 * <ol>
 *   <li>The diff is computed by git from the run's checkout against its base commit, with a
 *       throw-away git directory and index (the checkout's own {@code .git} is never trusted),
 *       untracked files included, ignored files not.
 *   <li>Guards refuse it without running anything: empty, larger than {@code maxDiffBytes}, a
 *       path with a {@code .git} component, a submodule entry, (unless the task allows it) a
 *       test file, or, once applied to a fresh checkout of the base, files holding more than
 *       {@code maxWrittenBytes} (a compressed binary diff can be small and write a lot).
 *   <li>In a fresh checkout of the base the set-up and test commands run in the sandbox and the
 *       test must fail; in the fresh checkout with the diff applied they run again and the
 *       test must pass. Otherwise the result is {@link DeliveryResult.Unverified} with the
 *       evidence.
 *   <li>A verified diff is committed in that second checkout (its index, so nothing the tests
 *       wrote is included) and fetched into the target repository as {@code myriad/<task id>}
 *       (replacing an earlier delivery of the task): no working tree of the target changes and
 *       no hook of the target runs. The commit is also written as {@code <task id>.patch}.
 * </ol>
 *
 * <p>Thread-safe: checks of different tasks may run at once; two deliveries of the same task at
 * once race for its branch, the later one winning.
 */
public final class DeliveryVerifier {
    /** The most characters of output kept per step in the evidence. */
    public static final int TAIL_CHARS = 2000;

    private static final Pattern GITLINK = Pattern.compile(
            "(?m)^(new file mode|deleted file mode|old mode|new mode) 160000$|^index \\S+ 160000$");

    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");

    private final Sandbox sandbox;
    private final Path scratch;
    private final Path deliveries;
    private final long maxDiffBytes;
    private final long maxWrittenBytes;
    private final Predicate<String> testPaths;
    private final Duration timeout;
    private final Git git;
    private final AtomicLong checkouts = new AtomicLong();

    private DeliveryVerifier(Builder b) {
        this.sandbox = b.sandbox;
        this.maxDiffBytes = b.maxDiffBytes;
        this.maxWrittenBytes = b.maxWrittenBytes;
        this.testPaths = b.testPaths;
        this.timeout = b.timeout;
        this.git = new Git(b.git);
        try {
            this.scratch = Files.createDirectories(b.scratch).toRealPath();
            this.deliveries = Files.createDirectories(b.deliveries).toRealPath();
            try (var left = Files.list(scratch)) {
                for (Path p : left.toList()) {
                    GitWorkspaces.delete(p);
                }
            }
        } catch (IOException e) {
            throw new SweException("cannot create the verifier's folders: " + e.getMessage(),
                    false, e);
        }
    }

    /**
     * @param sandbox    runs the set-up and test commands
     * @param scratch    where fresh checkouts are made, and removed after each check; this
     *                   verifier's alone: what an earlier process left there is removed
     * @param deliveries where patch files are written
     */
    public static Builder builder(Sandbox sandbox, Path scratch, Path deliveries) {
        return new Builder(sandbox, scratch, deliveries);
    }

    /** Computes the run's diff and verifies it: what happens when an agent submits. */
    public DeliveryResult submit(CodingTask task, RunWorkspace workspace) {
        return verify(task, workspace.baseCommit(), diff(workspace));
    }

    /**
     * The binary diff from the checkout's base commit to its files as they are now: tracked and
     * untracked, without ignored files.
     *
     * <p>The checkout's own {@code .git} is never used: whatever can write the workspace (a file
     * tool outside the sandbox) could have put a command in its configuration ({@code
     * core.fsmonitor}, a filter driver) that git would run here, on the host. The diff is made
     * with a throw-away git directory of the platform's, a shared bare clone of the task's
     * repository, and a throw-away index, with the checkout as work tree. The file tools'
     * bookkeeping files at the root ({@code .myriad-changes}, {@code .myriad-appends}) are left out.
     */
    public String diff(RunWorkspace workspace) {
        long n = checkouts.incrementAndGet();
        Path gitDir = scratch.resolve("diff-" + n + ".git");
        Path index = scratch.resolve("diff-" + n + ".index");
        Map<String, String> env = Map.of("GIT_INDEX_FILE", index.toString());
        String[] trusted = {"--git-dir=" + gitDir, "--work-tree=" + workspace.dir(),
                "-c", "core.bare=false", "-c", "core.fsmonitor=false"};
        try {
            git.run(scratch, "clone", "-q", "--shared", "--bare", "--",
                    workspace.repository().toString(), gitDir.toString());
            git.run(workspace.dir(), env, null, concat(trusted, "add", "-A", "--", ".",
                    ":(exclude,top).myriad-changes", ":(exclude,top).myriad-appends"));
            return git.run(workspace.dir(), env, null, concat(trusted, "diff", "--cached",
                    "--binary", "--no-renames", "--no-ext-diff", "--no-textconv", "--full-index",
                    workspace.baseCommit(), "--"));
        } finally {
            GitWorkspaces.delete(index);
            GitWorkspaces.delete(gitDir);
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Checks {@code patch} (a git diff) against {@code task} at {@code baseCommit}. */
    public DeliveryResult verify(CodingTask task, String baseCommit, String patch) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(baseCommit, "baseCommit");
        Objects.requireNonNull(patch, "patch");
        if (!COMMIT.matcher(baseCommit).matches()) {
            throw new IllegalArgumentException("baseCommit must be a full commit id (40 or 64 "
                    + "hex digits), got '" + baseCommit + "'");
        }
        byte[] bytes = patch.getBytes(StandardCharsets.UTF_8);
        if (patch.isBlank()) {
            return new DeliveryResult.Refused("the diff is empty: nothing was changed");
        }
        if (bytes.length > maxDiffBytes) {
            return new DeliveryResult.Refused("the diff is " + bytes.length + " bytes, over the "
                    + "cap of " + maxDiffBytes + " bytes; make a smaller change");
        }
        Git.Result stat = git.attempt(scratch, Map.of(), bytes, "apply", "--numstat", "-z", "-");
        if (stat.exit() != 0) {
            return new DeliveryResult.Refused("the diff is not a patch git can read: "
                    + stat.err().strip());
        }
        List<String> files = paths(stat.out());
        Optional<String> gitPath = files.stream().filter(DeliveryVerifier::touchesGit).findFirst();
        if (gitPath.isPresent()) {
            return new DeliveryResult.Refused("the diff touches a .git directory ("
                    + gitPath.get() + "); repository metadata is the platform's");
        }
        if (GITLINK.matcher(patch).find()) {
            return new DeliveryResult.Refused("the diff adds or changes a submodule entry; "
                    + "only files may be delivered");
        }
        if (!task.allowTestEdits()) {
            List<String> tests = files.stream().filter(testPaths).toList();
            if (!tests.isEmpty()) {
                return new DeliveryResult.Refused("the diff changes test files " + tests
                        + " and task " + task.id() + " does not allow test edits");
            }
        }
        Path repo = Git.localPath(task.repository());
        List<Evidence.Step> steps = new ArrayList<>();
        Path after = freshCheckout(repo, baseCommit, task.id() + "-after");
        try {
            Git.Result applied = git.attempt(after, Map.of(), bytes, "apply", "--index",
                    "--binary", "--whitespace=nowarn", "-");
            if (applied.exit() != 0) {
                return new DeliveryResult.Unverified("the diff does not apply to base "
                        + baseCommit + ": " + applied.err().strip(),
                        new Evidence(files, bytes.length, steps));
            }
            long written = writtenBytes(after, baseCommit);
            if (written > maxWrittenBytes) {
                return new DeliveryResult.Refused("the diff writes files of " + written
                        + " bytes in all, over the cap of " + maxWrittenBytes + " bytes");
            }
            Path before = freshCheckout(repo, baseCommit, task.id() + "-before");
            try {
                Optional<String> failed = runChecks(task, before, Evidence.Phase.SETUP_BEFORE,
                        Evidence.Phase.TEST_BEFORE, steps);
                if (failed.isPresent()) {
                    return new DeliveryResult.Unverified(failed.get() + " on the base, before "
                            + "the diff", new Evidence(files, bytes.length, steps));
                }
                if (steps.getLast().passed()) {
                    return new DeliveryResult.Unverified("the test command already passes on "
                            + "the base: it cannot prove the diff fixes anything",
                            new Evidence(files, bytes.length, steps));
                }
            } finally {
                GitWorkspaces.delete(before);
            }
            Optional<String> failed = runChecks(task, after, Evidence.Phase.SETUP_AFTER,
                    Evidence.Phase.TEST_AFTER, steps);
            Evidence evidence = new Evidence(files, bytes.length, steps);
            if (failed.isPresent()) {
                return new DeliveryResult.Unverified(failed.get() + " with the diff", evidence);
            }
            if (!steps.getLast().passed()) {
                return new DeliveryResult.Unverified("the test command still fails with the diff "
                        + "(exit " + steps.getLast().exitCode() + ")", evidence);
            }
            return deliver(task, repo, after, evidence);
        } finally {
            GitWorkspaces.delete(after);
        }
    }

    /**
     * The total size of the files the staged change creates or modifies: a compressed binary
     * diff can be small and still write a large file, so the diff's own size is not enough.
     */
    private long writtenBytes(Path checkout, String baseCommit) {
        String raw = git.run(checkout, "diff", "--cached", "--raw", "-z", "--no-renames",
                "--no-abbrev", baseCommit, "--");
        StringBuilder blobs = new StringBuilder();
        for (String field : raw.split("\0")) {
            if (field.startsWith(":")) {
                String[] meta = field.substring(1).split(" ");
                if (meta.length >= 4 && !meta[3].chars().allMatch(c -> c == '0')) {
                    blobs.append(meta[3]).append('\n');
                }
            }
        }
        if (blobs.isEmpty()) {
            return 0;
        }
        String sizes = git.run(checkout, Map.of(), blobs.toString().getBytes(StandardCharsets.UTF_8),
                "cat-file", "--batch-check=%(objectsize)");
        return sizes.lines().mapToLong(Long::parseLong).sum();
    }

    /** Runs set-up then test; a failure message when set-up fails. */
    private Optional<String> runChecks(CodingTask task, Path dir, Evidence.Phase setupPhase,
            Evidence.Phase testPhase, List<Evidence.Step> steps) {
        if (task.setupCommand().isPresent()) {
            Evidence.Step setup = step(setupPhase, task.setupCommand().get(), dir);
            steps.add(setup);
            if (!setup.passed()) {
                return Optional.of("the set-up command failed (exit " + setup.exitCode()
                        + (setup.timedOut() ? ", timed out" : "") + ")");
            }
        }
        steps.add(step(testPhase, task.testCommand(), dir));
        return Optional.empty();
    }

    private Evidence.Step step(Evidence.Phase phase, String command, Path dir) {
        Outcome o = sandbox.run(dir, command, timeout);
        return new Evidence.Step(phase, command, o.exitCode(), o.duration(), o.timedOut(),
                tail(o.stdout() + o.stderr()));
    }

    private DeliveryResult deliver(CodingTask task, Path repo, Path after, Evidence evidence) {
        git.run(after, "commit", "-q", "--no-verify", "-m", "myriad: " + task.id(),
                "-m", task.goal());
        String sha = git.run(after, "rev-parse", "HEAD").strip();
        String branch = task.deliveryBranch();
        git.run(repo, "fetch", "-q", "--no-tags", "--", after.toString(),
                "+" + sha + ":refs/heads/" + branch);
        String patch = git.run(after, "format-patch", "-1", "--stdout", "--binary", sha);
        Path file = deliveries.resolve(task.id() + ".patch");
        try {
            Path tmp = Files.writeString(Files.createTempFile(deliveries, task.id() + "-",
                    ".patch.tmp"), patch, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new SweException("delivered " + branch + " at " + sha + " but cannot write "
                    + file + ": " + e.getMessage(), true, e);
        }
        return new DeliveryResult.Verified(branch, sha, file, evidence);
    }

    private Path freshCheckout(Path repo, String sha, String name) {
        Path dir = scratch.resolve(name + "-" + checkouts.incrementAndGet());
        GitWorkspaces.delete(dir);
        git.run(scratch, "clone", "-q", "--shared", "--no-checkout", "--", repo.toString(),
                dir.toString());
        git.run(dir, "checkout", "-q", "--detach", sha);
        return dir;
    }

    /** Paths from {@code git apply --numstat -z}: "a\td\tpath\0", or "a\td\t\0from\0to\0". */
    static List<String> paths(String numstat) {
        List<String> out = new ArrayList<>();
        String[] parts = numstat.split("\0", -1);
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (p.isEmpty()) {
                continue;
            }
            String[] cols = p.split("\t", 3);
            if (cols.length == 3 && !cols[2].isEmpty()) {
                out.add(cols[2]);
            } else if (cols.length == 3 && i + 2 < parts.length) {
                out.add(parts[i + 1]);
                out.add(parts[i + 2]);
                i += 2;
            }
        }
        return List.copyOf(out);
    }

    static boolean touchesGit(String path) {
        return Arrays.stream(path.split("/"))
                .anyMatch(c -> c.toLowerCase(Locale.ROOT).equals(".git"));
    }

    static String tail(String text) {
        return text.length() <= TAIL_CHARS ? text : text.substring(text.length() - TAIL_CHARS);
    }

    /** Configures a {@link DeliveryVerifier}. */
    public static final class Builder {
        private final Sandbox sandbox;
        private final Path scratch;
        private final Path deliveries;
        private long maxDiffBytes = 256 * 1024;
        private long maxWrittenBytes = 4 * 1024 * 1024;
        private Predicate<String> testPaths = TestPaths.javaAndPython();
        private Duration timeout = Duration.ofMinutes(10);
        private Path git = Path.of("/usr/bin/git");

        private Builder(Sandbox sandbox, Path scratch, Path deliveries) {
            this.sandbox = Objects.requireNonNull(sandbox, "sandbox");
            this.scratch = Objects.requireNonNull(scratch, "scratch");
            this.deliveries = Objects.requireNonNull(deliveries, "deliveries");
        }

        /** The largest diff accepted, in bytes; 256 KiB unless set. */
        public Builder maxDiffBytes(long max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxDiffBytes must be positive, got " + max);
            }
            this.maxDiffBytes = max;
            return this;
        }

        /**
         * The most bytes the files a diff creates or modifies may hold in all, after the change;
         * 4 MiB unless set.
         */
        public Builder maxWrittenBytes(long max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxWrittenBytes must be positive, got " + max);
            }
            this.maxWrittenBytes = max;
            return this;
        }

        /** Which paths are tests; {@link TestPaths#javaAndPython()} unless set. */
        public Builder testPaths(Predicate<String> isTest) {
            this.testPaths = Objects.requireNonNull(isTest, "isTest");
            return this;
        }

        /** The most each set-up or test command may take; 10 minutes unless set. */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** The git program; {@code /usr/bin/git} unless set. */
        public Builder git(Path program) {
            this.git = Objects.requireNonNull(program, "program");
            return this;
        }

        public DeliveryVerifier build() {
            return new DeliveryVerifier(this);
        }
    }
}
