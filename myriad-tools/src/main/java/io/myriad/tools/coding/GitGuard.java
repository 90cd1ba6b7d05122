package io.myriad.tools.coding;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    private static final String GIT = ".git";

    /** Programs whose path arguments they write, delete or change. */
    private static final Set<String> WRITERS = Set.of("rm", "mv", "cp", "tee", "touch", "chmod",
            "chown", "chgrp", "ln", "truncate", "install", "mkdir", "rmdir", "unlink", "rsync",
            "shred", "patch", "tar", "unzip", "setfacl");
    /** Writers whose last argument (or {@code -t} folder) is the only one written. */
    private static final Set<String> COPIERS = Set.of("cp", "rsync", "install");
    /** Programs that write only with an in-place flag ({@code -i}). */
    private static final Set<String> IN_PLACE = Set.of("sed", "perl");
    /** Words that run the next word as the program. */
    private static final Set<String> WRAPPERS = Set.of("sudo", "env", "command", "nohup", "time",
            "nice", "exec", "builtin", "xargs", "timeout");
    /** git subcommands that only read. */
    private static final Set<String> GIT_READS = Set.of("status", "diff", "log", "show", "blame",
            "grep", "ls-files", "ls-tree", "rev-parse", "describe", "shortlog", "cat-file", "help",
            "version", "whatchanged", "diff-tree", "diff-files", "diff-index", "show-ref",
            "for-each-ref", "name-rev", "rev-list", "check-ignore", "var", "merge-base");
    private static final Set<String> GIT_LISTING_FLAGS = Set.of("-a", "-r", "-v", "-vv", "-l",
            "--list", "--all", "--remotes", "--show-current", "--verbose");

    private static final Pattern SEPARATORS = Pattern.compile("&&|\\|\\||[;&|\\n()`{}]|\\$\\(");
    private static final Pattern REDIRECT = Pattern.compile(
            "(?:\\d*|&)>{1,2}\\|?\\s*(\"[^\"]*\"|'[^']*'|[^\\s;&|<>()]+)");
    private static final Pattern DURATION = Pattern.compile("[0-9.]+[smhd]?");
    private static final Pattern ASSIGNMENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*=.*");

    private GitGuard() {}

    /**
     * True when {@code path}, as written, names {@code .git} or something inside one, once
     * normalised. A path that is not a valid path at all counts as touching {@code .git}.
     */
    public static boolean touchesGit(String path) {
        Objects.requireNonNull(path, "path");
        Path p;
        try {
            p = Path.of(path).normalize();
        } catch (InvalidPathException e) {
            return true;
        }
        for (Path name : p) {
            if (name.toString().equalsIgnoreCase(GIT)) {
                return true;
            }
        }
        return false;
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
        for (String segment : SEPARATORS.split(command.replace(">|", ">"))) {
            Optional<String> reason = check(segment.strip());
            if (reason.isPresent()) {
                return Optional.of("refused: " + reason.get() + ". Agents may not change the "
                        + "repository (.git); edit files in the workspace and leave committing "
                        + "to the platform.");
            }
        }
        return Optional.empty();
    }

    private static Optional<String> check(String segment) {
        if (segment.isEmpty()) {
            return Optional.empty();
        }
        Matcher r = REDIRECT.matcher(segment);
        while (r.find()) {
            if (touchesGit(unquote(r.group(1)))) {
                return Optional.of("'" + segment + "' redirects output into " + unquote(r.group(1)));
            }
        }
        List<String> words = words(REDIRECT.matcher(segment).replaceAll(" "));
        int i = 0;
        boolean wrapped = false; // after sudo, env, nice...: skip their options and numbers
        while (i < words.size()) {
            String w = words.get(i);
            if (WRAPPERS.contains(w)) {
                wrapped = true;
            } else if (!ASSIGNMENT.matcher(w).matches()
                    && !(wrapped && (w.startsWith("-") || DURATION.matcher(w).matches()))) {
                break;
            }
            i++;
        }
        if (i >= words.size()) {
            return Optional.empty();
        }
        String program = words.get(i).substring(words.get(i).lastIndexOf('/') + 1);
        List<String> args = words.subList(i + 1, words.size());
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

    /** Splits on blanks outside quotes and removes the quotes. */
    private static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        char quote = 0;
        boolean inWord = false;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    w.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && k + 1 < s.length()) {
                w.append(s.charAt(++k));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
            } else {
                w.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            out.add(w.toString());
        }
        return out;
    }

    private static String unquote(String s) {
        List<String> w = words(s);
        return w.isEmpty() ? s : w.getFirst();
    }
}
