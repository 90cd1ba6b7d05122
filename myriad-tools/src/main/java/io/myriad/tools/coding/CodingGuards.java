package io.myriad.tools.coding;

import io.myriad.tools.CommandGuard;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The {@link CommandGuard}s of coding agents' {@code shell} tool: keep out of {@code .git}, do
 * not delete the whole workspace, do not reach for the network when there is none.
 *
 * <p>Each reads the command as text ({@link ShellCommands}: split at separators, wrappers such as
 * {@code sudo}, {@code env}, {@code xargs} skipped, {@code sh -c} scripts read too), so these are
 * early refusals with a reason the model can act on, not the enforcement: the sandbox mounts
 * {@code .git} read-only and has no network. A word that is only an argument is not a command:
 * {@code echo rm -rf .} and {@code grep curl README} pass, while a separator inside quotes still
 * splits ({@code echo "a; rm -rf ."} is refused: erring towards refusing an odd command).
 */
public final class CodingGuards {
    /** Where the workspace appears in the sandbox, and the agents' {@code HOME}. */
    private static final Path WORKSPACE = Path.of("/workspace");
    private static final Pattern ONLY_WILDCARDS = Pattern.compile("[*?]+");
    private static final Set<String> FIND_NARROWING = Set.of("-name", "-iname", "-path", "-ipath",
            "-wholename", "-iwholename", "-regex", "-iregex", "-empty", "-newer", "-samefile",
            "-inum", "-lname", "-ilname");
    private static final Set<String> NETWORK_PROGRAMS = Set.of("curl", "wget", "nc", "ncat",
            "netcat", "telnet", "ssh", "scp", "sftp", "ftp", "socat", "aria2c");
    private static final Set<String> VERSION_FLAGS = Set.of("--version", "-V", "--help", "-h");
    private static final Set<String> PACKAGE_MANAGERS = Set.of("apt", "apt-get", "aptitude",
            "dnf", "yum", "apk");
    private static final Set<String> PACKAGE_FETCHES = Set.of("install", "update", "upgrade",
            "dist-upgrade", "full-upgrade", "add", "download", "source", "reinstall");
    private static final Set<String> NODE_FETCHES = Set.of("install", "i", "ci", "add", "update",
            "upgrade");
    private static final Pattern URL = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://.*|[^/\\s]+@[^/\\s]+:.*");
    private static final String NO_NETWORK = "the sandbox has no network for this task";

    private CodingGuards() {}

    /** Refuses commands that write a {@code .git} or change the repository ({@link GitGuard}). */
    public static CommandGuard git() {
        return (command, context) -> GitGuard.shellRefusal(command)
                .map(r -> r.startsWith("refused: ") ? r.substring("refused: ".length()) : r);
    }

    /**
     * Refuses commands that delete the whole workspace or all of its files: {@code rm -r} of
     * {@code .}, {@code *}, {@code ..}, {@code /}, {@code /workspace}, {@code ~}, {@code $HOME}
     * or {@code $PWD}; {@code find} from the workspace with {@code -delete} or {@code -exec rm}
     * and no name or path test; and {@code git clean} other than a dry run (it deletes the
     * untracked files, that is, every file the agent created). Operands are read from the
     * folder the line's earlier {@code cd} commands lead to ({@code cd / && rm -rf workspace/*}).
     */
    public static CommandGuard workspaceDeletion() {
        return (command, context) -> {
            Objects.requireNonNull(command, "command");
            Path cwd = WORKSPACE;
            for (ShellCommands.Command c : ShellCommands.parse(command)) {
                if (!c.hasProgram()) {
                    continue;
                }
                if (c.program().equals("cd") || c.program().equals("pushd")) {
                    cwd = changeDirectory(cwd, c.args());
                    continue;
                }
                Optional<String> reason = deletion(c, cwd);
                if (reason.isPresent()) {
                    return reason;
                }
            }
            return Optional.empty();
        };
    }

    /** Where {@code cd args} leads from {@code cwd}, as far as the text tells. */
    private static Path changeDirectory(Path cwd, List<String> args) {
        List<String> operands = args.stream().filter(a -> !a.startsWith("-") || a.equals("-")).toList();
        if (operands.isEmpty() || operands.getFirst().equals("~") || operands.getFirst().equals("-")) {
            return WORKSPACE;
        }
        String target = expand(operands.getFirst());
        try {
            return cwd.resolve(target).normalize();
        } catch (InvalidPathException e) {
            return cwd;
        }
    }

    /**
     * Refuses commands that obviously reach the network ({@code curl}, {@code wget}, {@code nc},
     * {@code ssh}, package installs, {@code git clone|fetch|pull|push} from a remote), saying
     * that the sandbox has no network: the model learns why instead of reading a timeout.
     */
    public static CommandGuard network() {
        return each(CodingGuards::networkUse);
    }

    /**
     * The guards of a coding agent: {@link #network()} unless {@code networkAllowed}, then
     * {@link #git()} and {@link #workspaceDeletion()}.
     */
    public static CommandGuard forCoding(boolean networkAllowed) {
        CommandGuard local = git().and(workspaceDeletion());
        return networkAllowed ? local : network().and(local);
    }

    private static CommandGuard each(Function<ShellCommands.Command, Optional<String>> check) {
        return (command, context) -> {
            Objects.requireNonNull(command, "command");
            for (ShellCommands.Command c : ShellCommands.parse(command)) {
                Optional<String> reason = c.hasProgram() ? check.apply(c) : Optional.empty();
                if (reason.isPresent()) {
                    return reason;
                }
            }
            return Optional.empty();
        };
    }

    private static Optional<String> deletion(ShellCommands.Command c, Path cwd) {
        List<String> args = c.args();
        String wholeWorkspace = "'" + c.text() + "' would delete the whole workspace";
        switch (c.program()) {
            case "rm" -> {
                boolean recursive = false;
                List<String> operands = new ArrayList<>();
                boolean options = true;
                for (String a : args) {
                    if (options && a.equals("--")) {
                        options = false;
                    } else if (options && a.startsWith("--")) {
                        recursive |= a.equals("--recursive");
                    } else if (options && a.startsWith("-") && a.length() > 1) {
                        recursive |= a.indexOf('r') > 0 || a.indexOf('R') > 0;
                    } else {
                        operands.add(a);
                    }
                }
                if (recursive && operands.stream().anyMatch(o -> isWorkspaceOrAbove(o, cwd))) {
                    return Optional.of(wholeWorkspace + "; remove the files or folders you mean "
                            + "by name (e.g. rm -rf build)");
                }
            }
            case "find" -> {
                List<String> starts = new ArrayList<>();
                int k = 0;
                while (k < args.size() && !args.get(k).startsWith("-") && !args.get(k).equals("(")
                        && !args.get(k).equals("!")) {
                    starts.add(args.get(k++));
                }
                if (starts.isEmpty()) {
                    starts.add(".");
                }
                List<String> expression = args.subList(k, args.size());
                boolean deletes = expression.contains("-delete") || execsRm(expression);
                if (deletes && starts.stream().anyMatch(o -> isWorkspaceOrAbove(o, cwd))
                        && !narrowed(expression)) {
                    return Optional.of(wholeWorkspace + "; narrow it with -name or -path "
                            + "(e.g. find . -name '*.pyc' -delete)");
                }
            }
            case "git" -> {
                int k = 0;
                while (k < args.size() && args.get(k).startsWith("-")) {
                    k += args.get(k).equals("-C") || args.get(k).equals("-c") ? 2 : 1;
                }
                if (k < args.size() && args.get(k).equals("clean")) {
                    List<String> rest = args.subList(k + 1, args.size());
                    boolean dryRun = rest.stream().anyMatch(a -> a.equals("--dry-run")
                            || (a.startsWith("-") && !a.startsWith("--") && a.indexOf('n') > 0));
                    if (!dryRun) {
                        return Optional.of("'" + c.text() + "' deletes untracked files, which "
                                + "are the new files of this task (with -x also ignored ones); "
                                + "delete the files you mean by name, or see what it would "
                                + "remove with git clean -n");
                    }
                }
            }
            default -> { }
        }
        return Optional.empty();
    }

    /**
     * True when {@code operand}, as the sandbox's shell would read it from {@code /workspace},
     * names the workspace, a folder above it, or all of its entries ({@code *}, {@code ./*}).
     */
    static boolean isWorkspaceOrAbove(String operand) {
        return isWorkspaceOrAbove(operand, WORKSPACE);
    }

    /** {@code ~}, {@code $HOME} and {@code $PWD} as the sandbox sets them: the workspace. */
    private static String expand(String operand) {
        String o = operand.replace("${HOME}", "$HOME").replace("${PWD}", "$PWD");
        if (o.equals("~") || o.startsWith("~/")) {
            o = "/workspace" + o.substring(1);
        }
        return o.replace("$HOME", "/workspace").replace("$PWD", "/workspace");
    }

    /** As {@link #isWorkspaceOrAbove(String)}, for a shell in folder {@code cwd}. */
    static boolean isWorkspaceOrAbove(String operand, Path cwd) {
        String o = expand(operand);
        // a last name made only of wildcards (*, .*, ?*) means every entry of its folder
        int slash = o.lastIndexOf('/');
        String last = o.substring(slash + 1);
        if (ONLY_WILDCARDS.matcher(last).matches() || last.equals(".*")
                || last.equals(".[!.]*") || last.equals(".??*")) {
            o = slash < 0 ? "." : o.substring(0, slash + 1);
        }
        if (o.isEmpty()) {
            return false;
        }
        try {
            Path p = cwd.resolve(o).normalize();
            return WORKSPACE.startsWith(p);
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private static boolean execsRm(List<String> expression) {
        for (int k = 0; k + 1 < expression.size(); k++) {
            String a = expression.get(k);
            if (a.startsWith("-exec") || a.startsWith("-ok")) {
                String program = expression.get(k + 1);
                program = program.substring(program.lastIndexOf('/') + 1);
                if (program.equals("rm") || program.equals("sudo")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean narrowed(List<String> expression) {
        for (int k = 0; k + 1 < expression.size(); k++) {
            if (FIND_NARROWING.contains(expression.get(k))
                    && !ONLY_WILDCARDS.matcher(expression.get(k + 1)).matches()) {
                return true;
            }
        }
        return false;
    }

    private static Optional<String> networkUse(ShellCommands.Command c) {
        String program = c.program();
        List<String> args = c.args();
        String text = "'" + c.text() + "'";
        if (NETWORK_PROGRAMS.contains(program)) {
            return VERSION_FLAGS.containsAll(args) && !args.isEmpty() ? Optional.empty()
                    : Optional.of(text + " reaches the network, and " + NO_NETWORK);
        }
        if (program.matches("pip[0-9.]*")) {
            return pip(text, args);
        }
        if (program.matches("python[0-9.]*")) {
            int m = args.indexOf("-m");
            if (m >= 0 && m + 1 < args.size() && args.get(m + 1).matches("pip[0-9.]*")) {
                return pip(text, args.subList(m + 2, args.size()));
            }
        }
        if ((program.equals("npm") || program.equals("yarn") || program.equals("pnpm"))
                && firstWord(args).map(NODE_FETCHES::contains).orElse(program.equals("yarn"))
                && !args.contains("--offline")) {
            return Optional.of(text + " downloads packages, and " + NO_NETWORK + "; use the "
                    + "packages already in the workspace");
        }
        if (PACKAGE_MANAGERS.contains(program)
                && firstWord(args).map(PACKAGE_FETCHES::contains).orElse(false)) {
            return Optional.of(text + " downloads packages, and " + NO_NETWORK + "; use the "
                    + "programs already installed");
        }
        if (program.equals("git")) {
            return gitRemote(text, args);
        }
        return Optional.empty();
    }

    private static Optional<String> pip(String text, List<String> args) {
        Optional<String> sub = firstWord(args);
        if (sub.isPresent() && (sub.get().equals("install") || sub.get().equals("download"))
                && !args.contains("--no-index")) {
            return Optional.of(text + " downloads packages, and " + NO_NETWORK + "; use the "
                    + "packages already installed (pip install --no-index for local ones)");
        }
        return Optional.empty();
    }

    private static Optional<String> gitRemote(String text, List<String> args) {
        int k = 0;
        while (k < args.size() && args.get(k).startsWith("-")) {
            k += args.get(k).equals("-C") || args.get(k).equals("-c") ? 2 : 1;
        }
        if (k >= args.size()) {
            return Optional.empty();
        }
        String sub = args.get(k).toLowerCase(Locale.ROOT);
        List<String> positional = args.subList(k + 1, args.size()).stream()
                .filter(a -> !a.startsWith("-")).toList();
        boolean remote = switch (sub) {
            case "clone" -> positional.stream().anyMatch(a -> URL.matcher(a).matches()
                    && !a.startsWith("file://"));
            case "fetch", "pull", "push", "ls-remote" -> positional.isEmpty()
                    || !isLocalPath(positional.getFirst());
            default -> false;
        };
        return remote ? Optional.of(text + " talks to a remote repository, and " + NO_NETWORK)
                : Optional.empty();
    }

    private static boolean isLocalPath(String a) {
        return a.startsWith("/") || a.startsWith("./") || a.startsWith("../") || a.equals(".")
                || a.equals("..") || a.startsWith("file://");
    }

    private static Optional<String> firstWord(List<String> args) {
        return args.stream().filter(a -> !a.startsWith("-")).findFirst();
    }
}
