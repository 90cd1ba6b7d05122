package io.myriad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.run.FleetRunner;
import io.myriad.store.Store;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/** Prints the end-of-run summary: an aligned table for people, one JSON line for machines. */
final class SummaryPrinter {
    private final PrintWriter out;

    SummaryPrinter(PrintWriter out) {
        this.out = out;
    }

    void print(FleetSpec fleet, RunRepository.Execution execution, FleetRunner.Summary s, String model, boolean simulated,
               Store.Size size, String db, boolean json) {
        print(fleet, execution, s, model, simulated, size, db, json, java.util.Optional.empty());
    }

    /** As above, with the deliveries of a coding fleet. */
    void print(FleetSpec fleet, RunRepository.Execution execution, FleetRunner.Summary s, String model, boolean simulated,
               Store.Size size, String db, boolean json, java.util.Optional<CodingSetup.Tally> deliveries) {
        double wall = s.wallMillis() / 1000.0;
        double stepsPerSecond = wall > 0 ? s.steps() / wall : 0;
        row("fleet", fleet.name() + "  (execution " + execution.id() + ")");
        row("model", model + (simulated ? "  [SIMULATED]" : ""));
        row("tasks", String.format(Locale.ROOT, "%,d   succeeded %,d   failed %,d   cancelled %,d   limited %,d   stuck %,d%s",
                s.tasks(), s.succeeded(), s.failed(), s.cancelled(), s.limited(), s.stuck(),
                s.resumed() > 0 ? "   (resumed " + s.resumed() + ")" : ""));
        if (s.inDoubt() > 0) {
            row("in doubt", String.format(Locale.ROOT, "%,d runs wait for your decision on a tool call whose outcome is unknown",
                    s.inDoubt()));
            s.sampleInDoubt().forEach(f -> row("", f.length() > 200 ? f.substring(0, 200) + "…" : f));
            row("", "list them: myriad runs ls --state in_doubt" + dataOption(db)
                    + "; decide: myriad runs resolve RUN --retry | --done RESULT | --fail");
        }
        if (s.awaitingApproval() > 0 || s.throttled() > 0) {
            row("approvals", String.format(Locale.ROOT, "%,d runs wait for an approval%s", s.awaitingApproval(),
                    s.throttled() > 0 ? String.format(Locale.ROOT, "; %,d more wait for a slot to ask one (approvals.max_pending %d)",
                            s.throttled(), fleet.approvals().maxPending()) : ""));
            s.sampleAwaitingApproval().forEach(f -> row("", f.length() > 200 ? f.substring(0, 200) + "…" : f));
            row("", "list them: myriad approvals ls --execution " + execution.id() + dataOption(db)
                    + "; decide: myriad approvals approve|deny ID --comment TEXT; then run the same command to continue");
        }
        if (s.interrupted() > 0) {
            row("stopped", String.format(Locale.ROOT, "%,d runs not finished (graceful shutdown); run the same command to resume them",
                    s.interrupted()));
        }
        row("steps", String.format(Locale.ROOT, "%,d", s.steps()));
        row("tokens", String.format(Locale.ROOT, "%,d", s.tokens()));
        row("cost", String.format(Locale.ROOT, "$%.4f%s", s.costUsd(), !simulated ? "" : s.costUsd() == 0 ? "  (simulated model: free)"
                : "  (simulated model, priced by the price table: nothing was billed)"));
        row("wall", String.format(Locale.ROOT, "%.2f s   (%,.0f steps/s)", wall, stepsPerSecond));
        row("journal", String.format(Locale.ROOT, "%s   (%,d events, %,d bytes)", db, size.events(), size.bytes()));
        if (!s.failureReasons().isEmpty()) {
            row("failures", s.failureReasons().toString());
            s.sampleFailures().forEach(f -> row("", f.length() > 160 ? f.substring(0, 160) + "…" : f));
        }
        if (s.succeeded() < s.tasks()) {
            row("", "see one with: myriad runs show RUN" + (dataOption(db)));
        }
        deliveries.ifPresent(d -> row("delivered", d.describe(s.tasks(), execution.id())));
        if (json) {
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("fleet", fleet.name());
            o.put("execution", execution.id());
            o.put("tasks", s.tasks());
            o.put("succeeded", s.succeeded());
            o.put("failed", s.failed());
            o.put("cancelled", s.cancelled());
            o.put("limited", s.limited());
            o.put("stuck", s.stuck());
            o.put("in_doubt", s.inDoubt());
            o.put("interrupted", s.interrupted());
            o.put("awaiting_approval", s.awaitingApproval());
            o.put("approvals_throttled", s.throttled());
            o.put("resumed", s.resumed());
            o.put("steps", s.steps());
            o.put("tokens", s.tokens());
            o.put("cost_usd", s.costUsd());
            o.put("wall_s", wall);
            o.put("steps_per_s", stepsPerSecond);
            o.put("model", model);
            o.put("simulated", simulated);
            o.put("journal_events", size.events());
            o.put("journal_bytes", size.bytes());
            o.put("journal_file", db);
            deliveries.ifPresent(d -> o.putObject("deliveries").put("verified", d.verified()).put("unverified", d.unverified())
                    .put("refused", d.refused()).put("without_submission", d.none()));
            out.println(o);
        }
        out.flush();
    }

    /** The option that names the same store again: {@code --store URL}, {@code --data DIR}, or none for the default. */
    private static String dataOption(String db) {
        if (io.myriad.store.Stores.isPostgres(db)) {
            return " --store '" + db + "'";
        }
        Path dir = Path.of(db).getParent();
        return dir == null || dir.toString().equals(".myriad") ? "" : " --data " + dir;
    }

    private void row(String label, String value) {
        out.printf(Locale.ROOT, "%-9s %s%n", label, value);
    }
}
