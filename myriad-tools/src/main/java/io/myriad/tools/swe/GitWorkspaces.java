package io.myriad.tools.swe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Makes, keeps and removes the checkouts runs work in, all under one root.
 *
 * <p>Notes:
 * <ul>
 *   <li>A checkout is a {@link Method#SHALLOW_CLONE} unless told otherwise: about as cheap as a
 *       worktree or a shared clone (measured in {@code GitWorkspacesIT}), it holds the base
 *       commit's objects only, and shares nothing with the origin, so git also works inside the
 *       sandbox, where the origin is not visible. A worktree shares the origin's object store and
 *       refs, and a hard-linked clone the object files' inodes: either lets a checkout damage the
 *       origin. A shared clone is safe but its git is broken inside the sandbox.
 *   <li>At most {@code maxWorkspaces} checkouts exist at once, counting finished ones kept for
 *       inspection; when the bound is reached the oldest kept one is removed, and when every one
 *       is still in use {@link #create} refuses (a retriable error). Directories left under the
 *       root by an earlier process count as kept, oldest first.
 * </ul>
 *
 * <p>Thread-safe; every field below the configuration is guarded by {@code this}.
 */
public final class GitWorkspaces {
    /** How a checkout is made. */
    public enum Method {
        /**
         * {@code git init} and {@code git fetch --depth 1} of the base commit: self-contained (git
         * works inside the sandbox, which cannot see the origin), shares nothing with the origin.
         */
        SHALLOW_CLONE,
        /**
         * {@code git clone --shared}: reads the origin's objects through alternates, writes its
         * own. Git cannot run on it inside the sandbox, where the origin is not visible.
         */
        SHARED_CLONE,
        /** {@code git clone --no-hardlinks}: copies every object. Safe, slower, larger. */
        FULL_CLONE,
        /** {@code git worktree add}: shares the origin's objects and refs. Not safe for agents. */
        WORKTREE
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final Path root;
    private final int maxWorkspaces;
    private final boolean keep;
    private final Method method;
    private final Git git;

    private final Map<Path, RunWorkspace> live = new HashMap<>();
    private final Deque<Path> kept = new ArrayDeque<>();

    private GitWorkspaces(Builder b) {
        try {
            this.root = Files.createDirectories(b.root).toRealPath();
        } catch (IOException e) {
            throw new SweException("cannot create the workspace root " + b.root + ": "
                    + e.getMessage(), false, e);
        }
        this.maxWorkspaces = b.maxWorkspaces;
        this.keep = b.keep;
        this.method = b.method;
        this.git = new Git(b.git);
        try (Stream<Path> old = Files.list(root)) {
            old.filter(p -> Files.isDirectory(p) && !p.getFileName().toString().startsWith("."))
                    .sorted(Comparator.comparing(GitWorkspaces::modified))
                    .forEach(kept::add);
        } catch (IOException e) {
            throw new SweException("cannot list the workspace root " + root + ": "
                    + e.getMessage(), false, e);
        }
    }

    public static Builder builder(Path root) {
        return new Builder(root);
    }

    /** The directory every checkout is made in. */
    public Path root() {
        return root;
    }

    /**
     * Makes run {@code runId}'s checkout of {@code task}'s base, detached at the base commit.
     *
     * @throws SweException when the base cannot be found, the bound is reached with every
     *                      checkout in use (retriable), or git fails
     */
    public RunWorkspace create(CodingTask task, String runId) {
        Objects.requireNonNull(runId, "runId");
        if (!NAME.matcher(runId).matches()) {
            throw new IllegalArgumentException("run id '" + runId + "' must be letters, digits, "
                    + "'.', '_' or '-', starting with a letter or digit, at most 64");
        }
        return create(task, runId, task.id() + "--" + runId);
    }

    /**
     * Run {@code runId}'s checkout as an earlier process left it at {@code root/<name>} (a run
     * resumed after a restart keeps its work), or a new one when there is none.
     */
    public RunWorkspace open(CodingTask task, String runId, String name) {
        Objects.requireNonNull(task, "task");
        Path dir = inside(root.resolve(name));
        Path marker = marker(dir);
        synchronized (this) {
            if (kept.contains(dir) && Files.isDirectory(dir) && Files.isRegularFile(marker)) {
                try {
                    String sha = Files.readString(marker).strip();
                    kept.remove(dir);
                    RunWorkspace ws = new RunWorkspace(task.id(), runId, dir, Git.localPath(task.repository()), sha);
                    live.put(dir, ws);
                    return ws;
                } catch (IOException e) {
                    // unreadable: make a new checkout below
                }
            }
        }
        return create(task, runId, name);
    }

    /**
     * Makes run {@code runId}'s checkout of {@code task}'s base at {@code root/<name>}, detached at
     * the base commit; the base commit is also written beside it, for {@link #open}.
     */
    public RunWorkspace create(CodingTask task, String runId, String name) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(runId, "runId");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("workspace name '" + name + "' must be letters, digits, "
                    + "'.', '_' or '-', starting with a letter or digit, at most 64");
        }
        Path repo = Git.localPath(task.repository());
        String sha = resolve(repo, task.base());
        Path dir = inside(root.resolve(name));
        synchronized (this) {
            if (live.containsKey(dir) || Files.exists(dir) && !kept.contains(dir)) {
                throw new SweException("workspace " + dir + " already exists: run ids must be "
                        + "unique per task", false);
            }
            kept.remove(dir);
            delete(dir);
            while (live.size() + kept.size() >= maxWorkspaces && !kept.isEmpty()) {
                delete(kept.removeFirst());
            }
            if (live.size() >= maxWorkspaces) {
                throw new SweException("all " + maxWorkspaces + " workspaces are in use; "
                        + "finish a run or raise maxWorkspaces", true);
            }
            live.put(dir, new RunWorkspace(task.id(), runId, dir, repo, sha));
        }
        try {
            checkout(repo, sha, dir);
            Files.writeString(marker(dir), sha + "\n");
        } catch (IOException e) {
            synchronized (this) {
                live.remove(dir);
            }
            delete(dir);
            throw new SweException("cannot record the base of " + dir + ": " + e.getMessage(), true, e);
        } catch (RuntimeException e) {
            synchronized (this) {
                live.remove(dir);
            }
            delete(dir);
            throw e;
        }
        return new RunWorkspace(task.id(), runId, dir, repo, sha);
    }

    /** The full commit id {@code base} names in {@code repo}. */
    String resolve(Path repo, String base) {
        Git.Result r = git.attempt(repo, Map.of(), null, "rev-parse", "--verify", "--quiet",
                "--end-of-options", base + "^{commit}");
        if (r.exit() != 0) {
            throw new SweException("base '" + base + "' is not a commit or branch of " + repo,
                    false);
        }
        return r.out().strip();
    }

    /** Makes a checkout of {@code sha} at {@code dir} with this instance's method. */
    void checkout(Path repo, String sha, Path dir) {
        switch (method) {
            case SHALLOW_CLONE -> {
                git.run(root, "init", "-q", "--", dir.toString());
                git.run(dir, "fetch", "-q", "--depth", "1", "--no-tags", "--",
                        repo.toUri().toString(), sha);
                git.run(dir, "checkout", "-q", "--detach", sha);
            }
            case SHARED_CLONE -> clone(repo, sha, dir, "--shared");
            case FULL_CLONE -> clone(repo, sha, dir, "--no-hardlinks");
            case WORKTREE -> git.run(repo, "worktree", "add", "-q", "--detach", dir.toString(), sha);
        }
    }

    private void clone(Path repo, String sha, Path dir, String how) {
        git.run(root, "clone", "-q", how, "--no-checkout", "--", repo.toString(), dir.toString());
        git.run(dir, "checkout", "-q", "--detach", sha);
    }

    /**
     * Ends a run's use of its checkout: removes it, or keeps it (counted towards the bound, the
     * oldest removed first) when this instance keeps workspaces.
     */
    public void finish(RunWorkspace workspace) {
        Path dir = inside(workspace.dir());
        synchronized (this) {
            if (live.remove(dir) == null) {
                throw new SweException("workspace " + dir + " is not in use", false);
            }
            if (keep) {
                kept.addLast(dir);
                return;
            }
        }
        remove(workspace.repository(), dir);
    }

    /** How many checkouts exist: in use and kept. */
    public synchronized int count() {
        return live.size() + kept.size();
    }

    private void remove(Path repo, Path dir) {
        if (method == Method.WORKTREE) {
            git.attempt(repo, Map.of(), null, "worktree", "remove", "--force", dir.toString());
        }
        delete(dir);
    }

    /** {@code dir} normalised, when it lies strictly inside the root. */
    private Path inside(Path dir) {
        Path p = dir.toAbsolutePath().normalize();
        if (!p.startsWith(root) || p.equals(root) || !p.getParent().equals(root)) {
            throw new SweException("refusing workspace path " + dir + ": workspaces live "
                    + "directly under " + root, false);
        }
        return p;
    }

    /** Where the base commit of the checkout at {@code dir} is written, beside it. */
    private static Path marker(Path dir) {
        return dir.resolveSibling("." + dir.getFileName() + ".base");
    }

    static void delete(Path dir) {
        if (dir.getFileName() != null && !dir.getFileName().toString().startsWith(".")) {
            try {
                Files.deleteIfExists(marker(dir));
            } catch (IOException e) {
                // a stale marker is harmless: it is rewritten with the next checkout of that name
            }
        }
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new SweException("cannot remove " + dir + ": " + e.getMessage(), true, e);
        }
    }

    private static java.nio.file.attribute.FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
        }
    }

    /** Configures {@link GitWorkspaces}. */
    public static final class Builder {
        private final Path root;
        private int maxWorkspaces = 64;
        private boolean keep;
        private Method method = Method.SHALLOW_CLONE;
        private Path git = Path.of("/usr/bin/git");

        private Builder(Path root) {
            this.root = Objects.requireNonNull(root, "root");
        }

        /** The most checkouts that may exist at once, kept ones included; 64 unless set. */
        public Builder maxWorkspaces(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxWorkspaces must be at least 1, got " + max);
            }
            this.maxWorkspaces = max;
            return this;
        }

        /** Keep finished checkouts for inspection (within the bound) instead of removing them. */
        public Builder keep(boolean keep) {
            this.keep = keep;
            return this;
        }

        /** How checkouts are made; {@link Method#SHALLOW_CLONE} unless set. */
        public Builder method(Method method) {
            this.method = Objects.requireNonNull(method, "method");
            return this;
        }

        /** The git program; {@code /usr/bin/git} unless set. */
        public Builder git(Path program) {
            this.git = Objects.requireNonNull(program, "program");
            return this;
        }

        public GitWorkspaces build() {
            return new GitWorkspaces(this);
        }
    }
}
