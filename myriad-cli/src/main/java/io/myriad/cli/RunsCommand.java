package io.myriad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.auth.TenantScope;
import io.myriad.core.journal.EventCodec;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.run.Decisions;
import io.myriad.core.run.RunFold;
import io.myriad.core.run.RunState;
import io.myriad.store.Store;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code myriad runs}: lists runs and shows their transcripts. */
@Command(name = "runs", mixinStandardHelpOptions = true,
        description = "Lists runs, shows their transcripts, and decides on tool calls left in doubt.",
        subcommands = {RunsCommand.Ls.class, RunsCommand.Show.class, RunsCommand.Resolve.class})
final class RunsCommand {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunsCommand() {}

    static Optional<Store> openExisting(DataDir data, PrintWriter err) {
        if (!Files.exists(data.database())) {
            err.println("myriad: no journal at " + data.database() + " (run a fleet first, or pass --data DIR)");
            return Optional.empty();
        }
        return Optional.of(data.openStore());
    }

    /** {@code myriad runs ls}. */
    @Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists runs, newest first.")
    static final class Ls implements Callable<Integer>, RemoteClient.Supported {
        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Option(names = "--execution", paramLabel = "ID", description = "Only the runs of this execution (e.g. hello-1).")
        String execution;

        @Option(names = "--limit", defaultValue = "50", description = "At most this many runs (default ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--json", description = "One JSON array on the last line.")
        boolean json;

        @Option(names = "--state", paramLabel = "STATE",
                description = "Only runs in this state (e.g. in_doubt: runs waiting for your decision; failed, stuck, succeeded...).")
        String state;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Optional<RemoteClient> remote = caller.remote();
            Optional<Store> store = Optional.empty();
            if (remote.isEmpty()) {
                store = openExisting(data, spec.commandLine().getErr());
                if (store.isEmpty()) {
                    return Main.EXIT_BAD_INPUT;
                }
            }
            RunState wanted = null;
            if (state != null) {
                try {
                    wanted = RunState.valueOf(state.strip().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    spec.commandLine().getErr().println("myriad: unknown state '" + state + "'; one of "
                            + java.util.Arrays.stream(RunState.values()).map(RunState::label).toList());
                    store.ifPresent(Store::close);
                    return Main.EXIT_BAD_INPUT;
                }
            }
            if (remote.isPresent()) {
                return print(out, remoteRows(remote.get(), wanted));
            }
            try (Store s = store.get()) {
                Principal who = caller.principal(s);
                TenantScope scope = who.scopeOf(Permission.VIEW);
                if (execution != null) {
                    Access.execution(s, who, execution);
                }
                List<RunRepository.RunRow> rows = wanted != null
                        ? s.runsInState(wanted, execution, limit, scope)
                        : execution == null
                        ? s.recentRuns(limit, scope)
                        : s.runs(execution).stream().limit(limit).toList();
                return print(out, rows);
            }
        }

        /**
         * The same rows from a node, in the local order: with a state, the node's (the same query:
         * newest first); by run id with an execution (every page, then the limit); else newest
         * first with ties by run id.
         */
        private List<RunRepository.RunRow> remoteRows(RemoteClient remote, RunState wanted) {
            if (execution != null) {
                remote.get("/v1/executions/" + RemoteClient.seg(execution), "no execution " + execution + " among those you may see");
            }
            boolean newest = wanted == null && execution == null;
            List<RunRepository.RunRow> rows = new java.util.ArrayList<>();
            String cursor = null;
            do {
                if (newest && !rows.isEmpty() && rows.size() >= limit
                        && rows.getLast().status().updatedAt() < rows.get(Math.max(0, limit - 1)).status().updatedAt()) {
                    break; // past the limit and past the runs tied with the last one shown (the node orders ties the other way)
                }
                var params = new java.util.LinkedHashMap<String, Object>();
                params.put("limit", newest && rows.isEmpty() ? Math.clamp(limit + 1, 1, 1000) : 1000);
                params.put("state", wanted == null ? null : wanted.label());
                params.put("execution", execution);
                params.put("cursor", cursor);
                var page = remote.get("/v1/runs" + RemoteClient.query(params), null);
                page.path("runs").forEach(r -> rows.add(RemoteClient.row(r)));
                cursor = page.path("next").textValue();
            } while (cursor != null);
            if (wanted == null) {
                rows.sort(newest ? java.util.Comparator.comparingLong((RunRepository.RunRow r) -> -r.status().updatedAt())
                        .thenComparing(RunRepository.RunRow::runId) : java.util.Comparator.comparing(RunRepository.RunRow::runId));
            } // with a state, local and node run the same query: the node's order is the local one
            return rows.stream().limit(Math.max(0, limit)).toList();
        }

        private int print(PrintWriter out, List<RunRepository.RunRow> rows) {
            if (json) {
                ArrayNode arr = JSON.createArrayNode();
                rows.forEach(r -> arr.add(rowJson(r)));
                out.println(arr);
                return Main.EXIT_OK;
            }
            Table t = new Table("RUN", "STATE", "STEPS", "TOKENS", "COST", "UPDATED", "DETAIL");
            for (var r : rows) {
                var st = r.status();
                String detail = st.detail().replace('\n', ' ');
                t.add(r.runId(), st.state().label(), String.valueOf(st.steps()), String.valueOf(st.tokens()),
                        String.format(Locale.ROOT, "$%.4f", st.costUsd()), TIME.format(Instant.ofEpochMilli(st.updatedAt())),
                        detail.length() > 60 ? detail.substring(0, 60) + "…" : detail);
            }
            t.print(out);
            if (rows.isEmpty()) {
                out.println("(no runs)");
            }
            return Main.EXIT_OK;
        }
    }

    static ObjectNode rowJson(RunRepository.RunRow r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("run", r.runId());
        o.put("execution", r.execution());
        o.put("tenant", r.tenant());
        o.put("fleet", r.fleet());
        o.put("task", r.task());
        o.put("agent", r.agent());
        o.put("state", r.status().state().label());
        o.put("steps", r.status().steps());
        o.put("tokens", r.status().tokens());
        o.put("cost_usd", r.status().costUsd());
        o.put("updated_at", Instant.ofEpochMilli(r.status().updatedAt()).toString());
        o.put("detail", r.status().detail());
        return o;
    }

    /** {@code myriad runs show RUN}. */
    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Shows a run's transcript: messages, tool calls with arguments and results, timings, tokens.")
    static final class Show implements Callable<Integer>, RemoteClient.Supported {
        @Parameters(paramLabel = "RUN", description = "The run id, as printed by `myriad runs ls` (e.g. hello-1:t3).")
        String runId;

        @Mixin
        DataDir data;

        @Option(names = "--json", description = "Print the journal's events as JSON lines.")
        boolean json;

        @Option(names = "--full", description = "Do not shorten long texts.")
        boolean full;

        @Mixin
        Caller caller;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Optional<RemoteClient> remote = caller.remote();
            if (remote.isPresent()) {
                String notFound = "no run " + runId + " among the runs you may see; list them with: myriad runs ls";
                String path = "/v1/runs/" + RemoteClient.seg(runId);
                RunRepository.RunRow row = RemoteClient.row(remote.get().get(path, notFound));
                return print(out, row, RemoteClient.records(row.runId(), remote.get().get(path + "/events", notFound)));
            }
            var store = openExisting(data, err);
            if (store.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            try (Store s = store.get()) {
                RunRepository.RunRow row = Access.run(s, caller.principal(s), runId, Permission.VIEW);
                return print(out, row, s.read(runId));
            }
        }

        private int print(PrintWriter out, RunRepository.RunRow row, List<JournalRecord> records) {
            if (json) {
                for (JournalRecord r : records) {
                    out.println("{\"seq\":" + r.seq() + ",\"event\":" + EventCodec.encode(r.event()) + "}");
                }
                return Main.EXIT_OK;
            }
            new Transcript(out, full).print(row, records);
            return Main.EXIT_OK;
        }
    }

    /** {@code myriad runs resolve RUN}: a person's decision on a tool call whose outcome is unknown. */
    @Command(name = "resolve", mixinStandardHelpOptions = true,
            description = {"Decides on a run waiting in doubt: a tool call that may not be repeated blindly was running",
                    "when the process died, and its tool could not tell what happened. Check the effect (the",
                    "call's idempotency key is in `myriad runs show RUN`), then say what happened. The run",
                    "continues the next time its fleet runs (`myriad run FILE`)."})
    static final class Resolve implements Callable<Integer>, RemoteClient.Supported {
        @Parameters(paramLabel = "RUN", description = "The run id (see: myriad runs ls --state in_doubt).")
        String runId;

        @Mixin
        DataDir data;

        @picocli.CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
        Decision decision;

        static final class Decision {
            @Option(names = "--retry", required = true, description = "The call took no effect: invoke it again (same idempotency key).")
            boolean retry;

            @Option(names = "--done", required = true, paramLabel = "RESULT",
                    description = "The call took effect; RESULT is what it returned, as the agent will read it.")
            String done;

            @Option(names = "--fail", required = true, description = "Fail the run.")
            boolean fail;
        }

        @Option(names = "--call", paramLabel = "ID", description = "The call decided on (default: the run's call in doubt).")
        String callId;

        @Option(names = "--comment", paramLabel = "TEXT", description = "Why; journaled with the decision.")
        String comment;

        @Mixin
        Caller caller;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String what = decision.retry ? "retry" : decision.fail ? "fail" : "done";
            Optional<RemoteClient> remote = caller.remote();
            if (remote.isPresent()) {
                ObjectNode body = JSON.createObjectNode().put("decision", what);
                Optional.ofNullable(decision.done).ifPresent(r -> body.put("result", r));
                Optional.ofNullable(comment).ifPresent(c -> body.put("comment", c));
                Optional.ofNullable(callId).ifPresent(c -> body.put("call", c));
                var answer = remote.get().post("/v1/runs/" + RemoteClient.seg(runId) + "/resolve", body,
                        "no run " + runId + " among the runs you may see; list them with: myriad runs ls");
                return report(out, what, answer.path("by").asText(), RemoteClient.state(answer.path("state").asText()));
            }
            var store = openExisting(data, err);
            if (store.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            try (Store s = store.get()) {
                Principal principal = caller.principal(s);
                Access.run(s, principal, runId, Permission.RESOLVE);
                String who = principal.actor();
                RunFold fold = Decisions.resolve(s, InstantSource.system(), runId, callId, what, decision.done, who, comment);
                return report(out, what, who, fold.state());
            } catch (Decisions.RefusedException e) {
                err.println("myriad: " + e.getMessage());
                return Main.EXIT_BAD_INPUT;
            }
        }

        private int report(PrintWriter out, String what, String who, RunState state) {
            out.println("run " + runId + ": " + switch (what) {
                case "retry" -> "the call will be invoked again with the same idempotency key";
                case "done" -> "the call is settled with the result you gave";
                default -> "failed";
            } + " (decided by " + who + ")");
            if (!state.isFinal()) {
                out.println("continue it with: myriad run <fleet file>");
            }
            return Main.EXIT_OK;
        }
    }
}
