package io.myriad.tools.coding;

import io.myriad.tools.internal.GitPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Keeps coding agents out of the workspace's {@code .git}: a path check for file-writing tools
 * and a command check for the shell, for the policy layer to apply before a call runs.
 *
 * <p>These are early, explainable refusals, not the enforcement: the sandbox mounts {@code .git}
 * read-only, so a command that slips past {@link #shellRefusal(String)} still cannot write there.
 * The command check reads the command as text (no shell expansion), so it refuses obvious writes
 * ({@code rm -rf .git}, {@code echo x > .git/HEAD}, {@code git commit}) and lets reads through.
 *
 * <p>Paths are normalised before the check ({@code ./.git/config}, {@code sub/../.git/HEAD}),
 * {@code .git} is matched in any letter case (case-insensitive file systems) and in any folder
 * (a submodule's {@code sub/.git}), and {@link #allowsWrite(Path, String)} also follows symbolic
 * links that already exist.
 */
public final class GitGuard {
    /** Programs whose path arguments they write, delete or change. */
    private static final Set<String> WRITERS = Set.of("rm", "mv", "cp", "tee", "touch", "chmod",
            "chown", "chgrp", "ln", "truncate", "install", "mkdir", "rmdir", "unlink", "rsync",
            "shred", "patch", "tar", "unzip", "setfacl");
    /** Writers whose last argument (or {@code -t} folder) is the only one written. */
    private static final Set<String> COPIERS = Set.of("cp", "rsync", "install");
    /** Programs that write only with an in-place flag ({@code -i}). */
    private static final Set<String> IN_PLACE = Set.of("sed", "perl");
    /** git subcommands that only read. */
    private static final Set<String> GIT_READS = Set.of("status", "diff", "log", "show", "blame",
            "grep", "ls-files", "ls-tree", "rev-parse", "describe", "shortlog", "cat-file", "help",
            "version", "whatchanged", "diff-tree", "diff-files", "diff-index", "show-ref",
            "for-each-ref", "name-rev", "rev-list", "check-ignore", "var", "merge-base");
    private static final Set<String> GIT_LISTING_FLAGS = Set.of("-a", "-r", "-v", "-vv", "-l",
            "--list", "--all", "--remotes", "--show-current", "--verbose");

    private GitGuard() {}

    /**
     * True when {@code path}, as written, names {@code .git} or something inside one, once
     * normalised. A path that is not a valid path at all counts as touching {@code .git}.
     */
    public static boolean touchesGit(String path) {
        return GitPaths.touchesGit(path);
    }

    /**
     * True when a workspace tool may write {@code path} (relative to {@code workspace}): it does
     * not name a {@code .git}, and, following the symbolic links that exist, does not lead into
     * the workspace's {@code .git} either.
     */
    public static boolean allowsWrite(Path workspace, String path) {
        Objects.requireNonNull(workspace, "workspace");
        if (touchesGit(path)) {
            return false;
        }
        try {
            Path root = workspace.toRealPath();
            Path target = root.resolve(path).normalize();
            Path existing = target;
            while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
                existing = existing.getParent();
            }
            if (existing == null) {
                return true;
            }
            Path real = existing.toRealPath().resolve(existing.relativize(target)).normalize();
            if (!real.startsWith(root)) {
                return true; // outside the workspace: the workspace's own checks refuse it
            }
            return !touchesGit(root.relativize(real).toString());
        } catch (IOException | InvalidPathException e) {
            return false;
        }
    }

    /**
     * Why {@code command} is refused, when it would write into a {@code .git}: by redirection,
     * with a program that changes its arguments, by changing into {@code .git}, or by a git
     * subcommand that changes the repository.
     */
    public static Optional<String> shellRefusal(String command) {
        Objects.requireNonNull(command, "command");
        for (ShellCommands.Command c : ShellCommands.parse(command)) {
            Optional<String> reason = check(c);
            if (reason.isPresent()) {
                return Optional.of("refused: " + reason.get() + ". Agents may not change the "
                        + "repository (.git); edit files in the workspace and leave committing "
                        + "to the platform.");
            }
        }
        return Optional.empty();
    }

    private static Optional<String> check(ShellCommands.Command c) {
        String segment = c.text();
        for (String target : c.redirects()) {
            if (touchesGit(target)) {
                return Optional.of("'" + segment + "' redirects output into " + target);
            }
        }
        if (!c.hasProgram()) {
            return Optional.empty();
        }
        String program = c.program();
        List<String> args = c.args();
        if (program.equals("git")) {
            return gitRefusal(args);
        }
        boolean namesGit = (COPIERS.contains(program) ? destinations(args) : args).stream()
                .anyMatch(a -> touchesGit(a.contains("=") ? a.substring(a.indexOf('=') + 1) : a));
        if (!namesGit) {
            return Optional.empty();
        }
        if (WRITERS.contains(program) || program.equals("dd")
                || (program.equals("cd") || program.equals("pushd"))
                || (IN_PLACE.contains(program) && args.stream().anyMatch(a -> a.startsWith("-i")
                        || a.startsWith("--in-place")))
                || (program.equals("find") && args.stream().anyMatch(a -> a.equals("-delete")
                        || a.startsWith("-exec") || a.startsWith("-ok")))) {
            return Optional.of("'" + segment + "' would change .git");
        }
        return Optional.empty();
    }

    /** What a copy writes: the {@code -t} folder, else the last argument. */
    private static List<String> destinations(List<String> args) {
        List<String> out = new ArrayList<>();
        for (int k = 0; k < args.size(); k++) {
            if (args.get(k).equals("-t") && k + 1 < args.size()) {
                out.add(args.get(k + 1));
            } else if (args.get(k).startsWith("--target-directory=")) {
                out.add(args.get(k));
            }
        }
        if (out.isEmpty() && !args.isEmpty()) {
            out.add(args.getLast());
        }
        return out;
    }

    private static Optional<String> gitRefusal(List<String> args) {
        int i = 0;
        while (i < args.size() && args.get(i).startsWith("-")) {
            String a = args.get(i);
            i += (a.equals("-C") || a.equals("-c")) ? 2 : 1;
        }
        if (i >= args.size()) {
            return Optional.empty(); // git --version, git --help
        }
        String sub = args.get(i).toLowerCase(Locale.ROOT);
        List<String> rest = args.subList(i + 1, args.size());
        boolean allowed = GIT_READS.contains(sub)
                || ((sub.equals("branch") || sub.equals("tag") || sub.equals("remote"))
                        && GIT_LISTING_FLAGS.containsAll(rest))
                || (sub.equals("remote") && !rest.isEmpty()
                        && (rest.getFirst().equals("show") || rest.getFirst().equals("get-url")))
                || (sub.equals("stash") && !rest.isEmpty()
                        && (rest.getFirst().equals("list") || rest.getFirst().equals("show")))
                || (sub.equals("config") && rest.stream().anyMatch(a -> a.startsWith("--get")
                        || a.equals("--list") || a.equals("-l")))
                || (sub.equals("apply") && rest.stream().noneMatch(a -> a.equals("--index")
                        || a.equals("--cached") || a.equals("-3") || a.equals("--3way")));
        return allowed ? Optional.empty()
                : Optional.of("'git " + String.join(" ", args) + "' changes the repository");
    }
}
