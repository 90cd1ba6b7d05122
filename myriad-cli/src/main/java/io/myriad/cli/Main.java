package io.myriad.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code myriad} command.
 *
 * <p>Exit codes: 0 success (also after a graceful shutdown: the rest resumes on the next start);
 * 1 some task did not succeed; 2 bad input (a fleet file, an option); 3 the platform could not
 * work (journal unavailable, port taken); 4 some runs wait for a person: a decision on a tool call
 * left in doubt ({@code myriad runs ls --state in_doubt}) or an approval ({@code myriad approvals
 * ls}); 6 denied (the caller's roles); 130 interrupted.
 *
 * <p>{@code myriad policy check} answers with its own codes: 0 the call would be allowed, 1 denied,
 * 2 bad input (a fleet file, an option, arguments that are not a JSON object), 5 it needs approval.
 */
@Command(
        name = "myriad",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Runs fleets of autonomous AI agents: durable, governed, fast.",
        subcommands = {RunCommand.class, RunsCommand.class, PolicyCommand.class, ApprovalsCommand.class, DeliveriesCommand.class, AuditCommand.class, KeysCommand.class,
                TenantsCommand.class, TenantsCommand.Whoami.class, SimServerCommand.class,
                BenchCommand.class, BudgetsCommand.class, ServeCommand.class, ControlCommands.Kill.class, ControlCommands.Pause.class,
                ControlCommands.Resume.class, ClusterCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    public static final int EXIT_OK = 0;
    public static final int EXIT_TASKS_FAILED = 1;
    public static final int EXIT_BAD_INPUT = 2;
    public static final int EXIT_PLATFORM = 3;
    /** Some runs wait for a person: a decision on a call in doubt, or an approval. */
    public static final int EXIT_NEEDS_DECISION = 4;
    /** {@code myriad policy check}: the call would need a person's approval. */
    public static final int EXIT_NEEDS_APPROVAL = 5;
    /** The caller's roles do not grant the operation in that tenant, or its key is unknown or revoked. */
    public static final int EXIT_DENIED = 6;

    private Main() {}

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line on the standard streams and returns the exit code. */
    public static int execute(String... args) {
        return execute(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** Runs the command line on the given streams and returns the exit code (used by tests in-process). */
    public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionStrategy(parsed -> {
            int refused = refuseRemote(parsed, err);
            return refused >= 0 ? refused : new CommandLine.RunLast().execute(parsed);
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof io.myriad.core.auth.AccessDenied denied) {
                cmd.getErr().println("myriad: denied: " + denied.getMessage());
                return EXIT_DENIED;
            }
            if (e instanceof io.myriad.core.MyriadException me) {
                cmd.getErr().println("myriad: " + me.getMessage());
                return me instanceof io.myriad.cli.fleet.FleetFileException ? EXIT_BAD_INPUT : EXIT_PLATFORM;
            }
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("myriad: " + e.getMessage());
                return EXIT_BAD_INPUT;
            }
            throw e;
        });
        return cli.execute(args);
    }

    /**
     * A command that works only on the local store, run while a server is configured: says so
     * rather than silently using a local store. The exit code, or -1 to go on.
     */
    private static int refuseRemote(CommandLine.ParseResult parsed, java.io.PrintWriter err) {
        CommandLine.ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        if (leaf.isUsageHelpRequested() || leaf.isVersionHelpRequested()) {
            return -1;
        }
        java.util.Optional<String> unsupported = java.util.Optional.empty();
        if (leaf.commandSpec().userObject() instanceof RemoteClient.Supported supported) {
            unsupported = supported.unsupportedRemotely();
            if (unsupported.isEmpty()) {
                return -1;
            }
        }
        CommandLine.Model.CommandSpec mixin = leaf.commandSpec().mixins().get("caller");
        if (mixin == null || !(mixin.userObject() instanceof Caller caller)) {
            return -1;
        }
        try {
            var url = caller.serverUrl();
            if (url.isEmpty()) {
                return -1;
            }
            err.println("myriad: " + leaf.commandSpec().qualifiedName() + unsupported.map(o -> " " + o).orElse("") + " does not work against a server yet; run it on the "
                    + "server's machine (a server is configured: " + url.get() + ", from --server, $MYRIAD_SERVER or your profile)");
        } catch (IllegalArgumentException e) {
            err.println("myriad: " + e.getMessage());
        }
        return EXIT_BAD_INPUT;
    }

    /** Prints the version baked into the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"myriad " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
