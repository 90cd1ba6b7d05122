package io.myriad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.model.ToolCall;
import io.myriad.core.run.Approvals;
import io.myriad.core.run.RunFold;
import io.myriad.core.run.RunState;
import io.myriad.store.Store;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code myriad approvals}: the tool calls that wait for a person's approval, and the decisions.
 * An approval's id is {@code <run id>#<call id>}; a unique prefix will do.
 */
@Command(name = "approvals", mixinStandardHelpOptions = true,
        description = {"Tool calls a policy rule sent for approval (effect needs_approval). The run waits, holding",
                "no thread, until someone with the approver role approves or denies the call, or until the",
                "approval expires (approvals.expire_after in the fleet file): an expired approval is a denial."},
        subcommands = {ApprovalsCommand.Ls.class, ApprovalsCommand.Show.class, ApprovalsCommand.Approve.class,
                ApprovalsCommand.Deny.class})
final class ApprovalsCommand {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DEFAULT_LIMIT = 50;

    private ApprovalsCommand() {}

    /** One pending approval, read from its run's journal. */
    record Pending(RunRepository.RunRow row, RunEvent.ApprovalRequested request, ToolCall call) {
        String id() {
            return row.runId() + "#" + request.callId();
        }

        boolean expired(long now) {
            return now >= request.expiresAt();
        }
    }

    static Optional<Pending> pending(Store store, RunRepository.RunRow row) {
        RunFold fold = fold(store, row.runId());
        return fold.awaitingApproval().map(r -> new Pending(row, r, call(fold, r.callId())));
    }

    private static RunFold fold(Store store, String runId) {
        return RunFold.of(store.read(runId).stream().map(JournalRecord::event).toList());
    }

    private static ToolCall call(RunFold fold, String callId) {
        return fold.calls().stream().map(RunFold.Call::call).filter(c -> c.id().equals(callId)).findFirst()
                .orElse(new ToolCall(callId, "?", ""));
    }

    /** The run and call an id names: {@code RUN#CALL}, or a prefix of one pending approval's id. */
    record Target(RunRepository.RunRow row, String callId) {}

    /**
     * Finds what {@code id} names among the runs {@code who} may view: approvals of other
     * tenants are treated as absent, so neither a miss nor an ambiguity reveals them.
     */
    static Target target(Store store, String id, Principal who) {
        Predicate<String> visible = who.scope(Permission.VIEW);
        int hash = id.lastIndexOf('#');
        if (hash > 0) {
            String runId = id.substring(0, hash);
            String call = id.substring(hash + 1);
            Optional<RunRepository.RunRow> row = store.run(runId).filter(r -> visible.test(r.tenant()));
            if (row.isPresent()) {
                List<String> calls = requested(store, runId).stream().map(RunEvent.ApprovalRequested::callId)
                        .filter(c -> c.startsWith(call)).distinct().toList();
                if (calls.size() == 1) {
                    return new Target(row.get(), calls.getFirst());
                }
                if (calls.size() > 1 && !calls.contains(call)) {
                    throw new IllegalArgumentException("approval id " + id + " is ambiguous: " + calls.stream()
                            .map(c -> runId + "#" + c).toList());
                }
                if (calls.contains(call)) {
                    return new Target(row.get(), call);
                }
            }
            throw new IllegalArgumentException("no approval " + id + " (list them: myriad approvals ls)");
        }
        List<RunRepository.RunRow> matches = store.runsInState(RunState.AWAITING_APPROVAL, null, Integer.MAX_VALUE).stream()
                .filter(r -> r.runId().startsWith(id) && visible.test(r.tenant())).limit(6).toList();
        if (matches.isEmpty()) {
            throw new IllegalArgumentException("no pending approval starts with '" + id
                    + "' (list them: myriad approvals ls; a decided one is named in full: RUN#CALL)");
        }
        if (matches.size() > 1) {
            throw new IllegalArgumentException("'" + id + "' names more than one pending approval: "
                    + matches.stream().limit(5).map(RunRepository.RunRow::runId).toList() + "; give more of the id");
        }
        RunEvent.ApprovalRequested request = pending(store, matches.getFirst()).map(Pending::request)
                .orElseThrow(() -> new IllegalArgumentException("no pending approval starts with '" + id + "'"));
        return new Target(matches.getFirst(), request.callId());
    }

    /** Every approval requested in a run, oldest first. */
    private static List<RunEvent.ApprovalRequested> requested(Store store, String runId) {
        List<RunEvent.ApprovalRequested> out = new ArrayList<>();
        for (JournalRecord r : store.read(runId)) {
            if (r.event() instanceof RunEvent.ApprovalRequested a) {
                out.add(a);
            }
        }
        return out;
    }

    /** The decision on an approval of a run's call, if one was journaled. */
    private static Optional<RunEvent.ApprovalDecided> decided(Store store, String runId, String callId) {
        return store.read(runId).stream().map(JournalRecord::event)
                .filter(e -> e instanceof RunEvent.ApprovalDecided d && d.callId().equals(callId))
                .map(RunEvent.ApprovalDecided.class::cast).findFirst();
    }

    static String describe(RunEvent.ApprovalDecided d) {
        if (d.by().equals(RunEvent.ApprovalDecided.EXPIRY)) {
            return "expired (" + d.comment() + "): denied at " + Instant.ofEpochMilli(d.at());
        }
        return (d.approved() ? "approved" : "denied") + " by " + d.by() + " at " + Instant.ofEpochMilli(d.at())
                + (d.comment().isBlank() ? "" : ": " + d.comment());
    }

    /** {@code myriad approvals ls}. */
    @Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists the pending approvals, oldest run id first.")
    static final class Ls implements Callable<Integer>, RemoteClient.Supported {
        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Option(names = "--execution", paramLabel = "ID", description = "Only the approvals of this execution.")
        String execution;

        @Option(names = "--all", description = "Every pending approval (default: the first " + DEFAULT_LIMIT + ").")
        boolean all;

        @Option(names = "--json", description = "One JSON array.")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            var remote = caller.remote();
            if (remote.isPresent()) {
                return print(out, remotePending(remote.get(), execution, all ? 1000 : DEFAULT_LIMIT));
            }
            var store = RunsCommand.openExisting(data, spec.commandLine().getErr());
            if (store.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            try (Store s = store.get()) {
                Principal who = caller.principal(s);
                Predicate<String> visible = who.scope(Permission.VIEW);
                List<Pending> rows = s.runsInState(RunState.AWAITING_APPROVAL, execution, all ? Integer.MAX_VALUE : DEFAULT_LIMIT,
                                who.scopeOf(Permission.VIEW))
                        .stream().filter(r -> visible.test(r.tenant())).map(r -> pending(s, r)).flatMap(Optional::stream).toList();
                return print(out, rows);
            }
        }

        private int print(PrintWriter out, List<Pending> rows) {
            long now = System.currentTimeMillis();
            if (json) {
                ArrayNode arr = JSON.createArrayNode();
                rows.forEach(p -> arr.add(json(p, now)));
                out.println(arr);
                return Main.EXIT_OK;
            }
            Table t = new Table("ID", "TOOL", "RULE", "REQUESTED", "EXPIRES", "ARGUMENTS");
            for (Pending p : rows) {
                String args = p.call().arguments().replace('\n', ' ');
                t.add(p.id(), p.request().tool(), p.request().rule(), Instant.ofEpochMilli(p.request().at()).toString(),
                        p.expired(now) ? "EXPIRED" : Instant.ofEpochMilli(p.request().expiresAt()).toString(),
                        args.length() > 60 ? args.substring(0, 60) + "…" : args);
            }
            t.print(out);
            if (rows.isEmpty()) {
                out.println("(no pending approvals)");
            }
            return Main.EXIT_OK;
        }
    }

    /** The pending approvals a node lists, as {@code GET /v1/approvals} gives them. */
    static List<Pending> remotePending(RemoteClient remote, String execution, int limit) {
        var params = new java.util.LinkedHashMap<String, Object>();
        params.put("limit", limit);
        params.put("execution", execution);
        List<Pending> rows = new ArrayList<>();
        remote.get("/v1/approvals" + RemoteClient.query(params), null).path("approvals")
                .forEach(a -> rows.add(RemoteClient.pending(a)));
        return rows;
    }

    static ObjectNode json(Pending p, long now) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", p.id());
        o.put("run", p.row().runId());
        o.put("execution", p.row().execution());
        o.put("fleet", p.row().fleet());
        o.put("tenant", p.row().tenant());
        o.put("call", p.request().callId());
        o.put("tool", p.request().tool());
        o.put("arguments", p.call().arguments());
        o.put("rule", p.request().rule());
        o.put("idempotency_key", p.request().idempotencyKey());
        o.put("requested_at", Instant.ofEpochMilli(p.request().at()).toString());
        o.put("expires_at", Instant.ofEpochMilli(p.request().expiresAt()).toString());
        o.put("expired", p.expired(now));
        return o;
    }

    /** {@code myriad approvals show}. */
    @Command(name = "show", mixinStandardHelpOptions = true, description = "Shows one approval: the call, the rule, the decision.")
    static final class Show implements Callable<Integer>, RemoteClient.Supported {
        @Parameters(paramLabel = "ID", description = "RUN#CALL, or a unique prefix of a pending one (see: myriad approvals ls).")
        String id;

        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            var remote = caller.remote();
            if (remote.isPresent()) {
                return remote(remote.get(), out);
            }
            var store = RunsCommand.openExisting(data, spec.commandLine().getErr());
            if (store.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            try (Store s = store.get()) {
                Principal who = caller.principal(s);
                Target t = target(s, id, who);
                who.require(Permission.VIEW, t.row().tenant());
                RunEvent.ApprovalRequested request = requested(s, t.row().runId()).stream()
                        .filter(r -> r.callId().equals(t.callId())).findFirst().orElseThrow();
                RunFold fold = fold(s, t.row().runId());
                String arguments = fold.conversation().stream()
                        .filter(m -> m instanceof io.myriad.core.model.Message.Assistant)
                        .flatMap(m -> ((io.myriad.core.model.Message.Assistant) m).toolCalls().stream())
                        .filter(c -> c.id().equals(t.callId())).map(ToolCall::arguments).findFirst().orElse("");
                return print(out, t.row(), fold.state(), request, arguments, decided(s, t.row().runId(), t.callId()));
            }
        }

        /** As locally: a full id goes to the node as it is, a prefix is matched among the pending approvals it lists. */
        private int remote(RemoteClient remote, PrintWriter out) {
            String full = id;
            String notFound = "no approval " + id + " (list them: myriad approvals ls)";
            if (id.lastIndexOf('#') <= 0) {
                full = uniquePending(remote, id);
                notFound = "no pending approval starts with '" + id + "'";
            }
            var a = remote.get("/v1/approvals/" + RemoteClient.seg(full), notFound);
            Pending p = RemoteClient.pending(a);
            Optional<RunEvent.ApprovalDecided> d = Optional.ofNullable(a.get("decision")).filter(n -> !n.isNull())
                    .map(n -> new RunEvent.ApprovalDecided(Instant.parse(n.path("at").asText()).toEpochMilli(),
                            p.request().callId(), p.request().idempotencyKey(), n.path("approved").asBoolean(),
                            n.path("by").asText(), n.path("comment").asText()));
            return print(out, p.row(), RemoteClient.state(a.path("run_state").asText()), p.request(), p.call().arguments(), d);
        }

        private static int print(PrintWriter out, RunRepository.RunRow row, RunState state, RunEvent.ApprovalRequested request,
                String arguments, Optional<RunEvent.ApprovalDecided> d) {
            String full = row.runId() + "#" + request.callId();
            out.println("approval   " + full);
            out.println("run        " + row.runId() + "  (fleet " + row.fleet() + ", tenant " + row.tenant() + ", " + state.label() + ")");
            out.println("tool       " + request.tool());
            out.println("arguments  " + arguments);
            out.println("rule       " + request.rule());
            out.println("key        " + request.idempotencyKey());
            out.println("requested  " + Instant.ofEpochMilli(request.at()));
            out.println("expires    " + Instant.ofEpochMilli(request.expiresAt()));
            out.println("decision   " + d.map(ApprovalsCommand::describe).orElse(
                    System.currentTimeMillis() >= request.expiresAt() ? "none: expired (a denial when the run next advances)"
                            : "pending: myriad approvals approve|deny " + full + " --comment TEXT"));
            return Main.EXIT_OK;
        }
    }

    /** The one pending approval a node lists whose id starts with {@code prefix}, as {@link #target} finds it locally. */
    static String uniquePending(RemoteClient remote, String prefix) {
        List<String> matches = remotePending(remote, null, 1000).stream().map(Pending::id)
                .filter(p -> p.startsWith(prefix)).sorted().limit(6).toList(); // by run id, as locally
        if (matches.isEmpty()) {
            throw new IllegalArgumentException("no pending approval starts with '" + prefix
                    + "' (list them: myriad approvals ls; a decided one is named in full: RUN#CALL)");
        }
        if (matches.size() > 1) {
            throw new IllegalArgumentException("'" + prefix + "' names more than one pending approval: "
                    + matches.stream().limit(5).map(p -> p.substring(0, p.lastIndexOf('#'))).toList()
                    + "; give more of the id");
        }
        return matches.getFirst();
    }

    /** What approve and deny share. */
    abstract static class Decide implements Callable<Integer>, RemoteClient.Supported {
        @Parameters(paramLabel = "ID", description = "RUN#CALL, or a unique prefix of a pending one (see: myriad approvals ls).")
        String id;

        @Option(names = "--comment", paramLabel = "TEXT", required = true, description = "Why; journaled and audited with the decision.")
        String comment;

        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Spec
        CommandSpec spec;

        abstract boolean approve();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            var remote = caller.remote();
            if (remote.isPresent()) {
                return remote(remote.get(), out);
            }
            var store = RunsCommand.openExisting(data, err);
            if (store.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            try (Store s = store.get()) {
                Principal who = caller.principal(s);
                Target t = target(s, id, who);
                who.require(Permission.APPROVE, t.row().tenant());
                String full = t.row().runId() + "#" + t.callId();
                Optional<RunEvent.ApprovalDecided> before = decided(s, t.row().runId(), t.callId());
                if (before.isPresent()) {
                    err.println("myriad: approval " + full + " was already decided: " + describe(before.get()));
                    return Main.EXIT_BAD_INPUT;
                }
                Approvals.Outcome outcome;
                try {
                    outcome = Approvals.decide(s, InstantSource.system(), t.row().runId(), t.callId(), approve(),
                            who.actor(), comment);
                } catch (Approvals.RefusedException e) {
                    err.println("myriad: " + e.getMessage());
                    return Main.EXIT_BAD_INPUT;
                }
                if (outcome.expired()) {
                    err.println("myriad: approval " + full + " expired at " + Instant.ofEpochMilli(outcome.request().expiresAt())
                            + " (" + outcome.decided().comment() + "); recorded as a denial, the call will not be made");
                    return Main.EXIT_BAD_INPUT;
                }
                return report(out, full, who.actor(), outcome.request().tool());
            }
        }

        private int report(PrintWriter out, String full, String by, String tool) {
            out.println("approval " + full + ": " + (approve() ? "approved" : "denied") + " by " + by + " (" + tool + ")");
            out.println("the run continues: at once if its fleet is running, otherwise with: myriad run <fleet file>");
            return Main.EXIT_OK;
        }

        /**
         * Decides on a node. A full id ({@code RUN#CALL}) goes as it is; a prefix is matched, as
         * locally, among the pending approvals the node lists for the caller.
         */
        private int remote(RemoteClient remote, PrintWriter out) {
            String full = id;
            String notFound = "no approval " + id + " (list them: myriad approvals ls)";
            if (id.lastIndexOf('#') <= 0) {
                full = uniquePending(remote, id);
                notFound = "no pending approval starts with '" + id + "'";
            }
            var answer = remote.post("/v1/approvals/" + RemoteClient.seg(full) + (approve() ? "/approve" : "/deny"),
                    JSON.createObjectNode().put("comment", comment), notFound);
            return report(out, answer.path("id").asText(), answer.path("by").asText(), answer.path("tool").asText());
        }
    }

    /** {@code myriad approvals approve}. */
    @Command(name = "approve", mixinStandardHelpOptions = true,
            description = "Approves one call: it is made once, with its idempotency key, when the run continues.")
    static final class Approve extends Decide {
        @Override
        boolean approve() {
            return true;
        }
    }

    /** {@code myriad approvals deny}. */
    @Command(name = "deny", mixinStandardHelpOptions = true,
            description = "Denies one call: the agent reads that it was denied, by whom and why, and goes on.")
    static final class Deny extends Decide {
        @Override
        boolean approve() {
            return false;
        }
    }
}
