package io.myriad.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.cli.fleet.FleetLoader;
import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.policy.Decision;
import io.myriad.core.policy.Request;
import io.myriad.core.policy.Rule;
import io.myriad.core.tool.Effect;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code myriad policy}: explains what a fleet's policy decides. */
@Command(name = "policy", mixinStandardHelpOptions = true,
        description = "Explains the decisions of a fleet's policy.",
        subcommands = {PolicyCommand.Check.class, PolicyCommand.Set.class})
final class PolicyCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PolicyCommand() {}

    /** {@code myriad policy check FILE --agent A --tool T --args JSON}. */
    /** {@code myriad policy set --fleet NAME [--tenant T] FILE}: replaces a running fleet's policy everywhere it runs. */
    @Command(name = "set", mixinStandardHelpOptions = true,
            description = {"Replaces the policy of a fleet while it runs, in every process running it (every node of a",
                    "cluster), within a poll (200 ms): the next tool call of every run is decided by it. FILE holds the",
                    "rules as a policy_file does. Audited; a process starting later in the same execution applies it too.",
                    "The fleet file is not changed: its next execution uses the file's policy again."})
    static final class Set implements Callable<Integer> {
        @picocli.CommandLine.ArgGroup(exclusive = false, multiplicity = "1")
        ControlCommands.FleetArg target;

        @Parameters(paramLabel = "FILE", description = "The new policy: a YAML list of rules, as a policy_file holds.")
        Path file;

        @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "", description = "Why; audited.")
        String reason;

        @picocli.CommandLine.Mixin
        DataDir data;

        @picocli.CommandLine.Mixin
        Caller caller;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String text;
            io.myriad.core.policy.Policy policy;
            try {
                text = java.nio.file.Files.readString(file);
                policy = FleetLoader.policyFor(null, file.toString(), text);
            } catch (java.io.IOException e) {
                err.println("myriad: policy set: cannot read " + file + ": " + e.getMessage());
                return Main.EXIT_BAD_INPUT;
            } catch (io.myriad.cli.fleet.FleetFileException e) {
                err.println(e.getMessage());
                err.println("myriad: policy set: the policy has errors; nothing was changed");
                return Main.EXIT_BAD_INPUT;
            }
            try (io.myriad.store.Store store = data.openStore()) {
                io.myriad.core.auth.Principal who = caller.principal(store);
                who.require(io.myriad.core.auth.Permission.CONTROL, target.tenant);
                var c = ControlCommands.record(store, who, io.myriad.core.control.Action.POLICY,
                        new io.myriad.core.control.Scope.Fleet(target.tenant, target.fleet), reason, text);
                out.println("policy of fleet " + target.fleet + " (tenant " + target.tenant + ") set: " + policy.rules().size()
                        + " rule(s), digest " + policy.digest().substring(0, 12) + " (control #" + c.seq()
                        + "); every process running it applies it within a poll");
                return Main.EXIT_OK;
            }
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Decides a hypothetical tool call and explains why: the deciding rule, and each rule that"
                    + " matched or did not. Exit 0 allow, 1 deny, 2 bad input, 5 needs approval.")
    static final class Check implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "The fleet file.")
        Path file;

        @Option(names = "--agent", required = true, paramLabel = "NAME", description = "The agent making the call.")
        String agent;

        @Option(names = "--tool", required = true, paramLabel = "NAME", description = "The tool called, e.g. fs.write.")
        String tool;

        @Option(names = "--args", defaultValue = "{}", paramLabel = "JSON", description = "The call's arguments, a JSON object.")
        String args;

        @Option(names = "--effect", paramLabel = "EFFECT",
                description = "The tool's effect (read_only, idempotent, compensable, irreversible); required for MCP tools,"
                        + " known for built-in ones.")
        String effect;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            FleetSpec fleet = FleetLoader.load(file, Wiring.knownTools());
            if (!fleet.agents().containsKey(agent)) {
                err.println("myriad: no agent named '" + agent + "' in fleet " + fleet.name() + "; agents: "
                        + String.join(", ", fleet.agents().keySet()));
                return Main.EXIT_BAD_INPUT;
            }
            JsonNode arguments;
            try {
                arguments = JSON.readTree(args);
            } catch (JsonProcessingException e) {
                arguments = null;
            }
            if (arguments == null || !arguments.isObject()) {
                err.println("myriad: --args must be a JSON object, like '{\"path\":\"src/a.txt\"}'");
                return Main.EXIT_BAD_INPUT;
            }
            Optional<Effect> toolEffect = effect(err);
            if (toolEffect.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            AgentSpec a = fleet.agent(agent);
            out.println("call: agent " + agent + ", tool " + tool + " (" + toolEffect.get().name().toLowerCase(Locale.ROOT)
                    + "), arguments " + arguments);
            if (!a.tools().contains(tool) && !a.tools().contains(tool.substring(0, tool.lastIndexOf('.') + 1) + "*")) {
                out.println("decision: deny");
                out.println("rule: none (agent " + agent + " does not list tool " + tool + "; it may call only: "
                        + String.join(", ", a.tools()) + ")");
                return Main.EXIT_TASKS_FAILED;
            }
            Request request = new Request(Request.DEFAULT_TENANT, fleet.name(), agent, tool, toolEffect.get(), arguments);
            Decision d = fleet.policy().decide(request);
            out.println("decision: " + d.effect().name().toLowerCase(Locale.ROOT));
            out.println("rule: " + d.ruleId());
            out.println("why: " + d.explanation());
            if (fleet.policy().enforced()) {
                out.println("rules:");
                for (Rule.Match m : fleet.policy().explain(request)) {
                    out.println("  " + (m.matched() ? "matched     " : "not matched ") + m.rule().id() + " ("
                            + m.rule().effect().name().toLowerCase(Locale.ROOT) + "): " + m.why());
                }
            }
            return switch (d.effect()) {
                case ALLOW -> Main.EXIT_OK;
                case DENY -> Main.EXIT_TASKS_FAILED;
                case NEEDS_APPROVAL -> Main.EXIT_NEEDS_APPROVAL;
            };
        }

        private Optional<Effect> effect(PrintWriter err) {
            if (effect != null) {
                try {
                    return Optional.of(Effect.valueOf(effect.strip().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    err.println("myriad: --effect must be one of read_only, idempotent, compensable, irreversible; got '" + effect + "'");
                    return Optional.empty();
                }
            }
            Optional<Effect> known = Wiring.knownEffect(tool);
            if (known.isEmpty()) {
                err.println("myriad: the effect of tool " + tool + " is not known without starting its server; pass --effect");
            }
            return known;
        }
    }
}
