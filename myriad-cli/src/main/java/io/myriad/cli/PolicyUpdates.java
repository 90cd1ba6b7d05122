package io.myriad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.cli.fleet.FleetFileException;
import io.myriad.cli.fleet.FleetLoader;
import io.myriad.core.audit.AuditRecord;
import io.myriad.core.control.Action;
import io.myriad.core.control.Control;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.policy.Policy;
import io.myriad.core.run.RunLoop;
import io.myriad.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A fleet's policy replaced while it runs ({@code myriad policy set}): the control says so, its
 * audit record holds the document. Every process running the fleet applies it to its run loop
 * as its control watcher sees the control (within a poll, 200 ms); a process that starts later in
 * the same execution applies the newest one at start. A document that does not fit the fleet (a
 * rule naming an agent it does not have) is refused here and the policy in force is kept.
 */
final class PolicyUpdates {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How far back in the audit log a policy control's record is looked for. */
    private static final int LOOK_BACK = 2_000;

    private final Store store;
    private final FleetSpec fleet;
    private final RunLoop loop;
    private final PrintWriter err;
    private final List<Control> waiting = new ArrayList<>(); // guarded by this

    PolicyUpdates(Store store, FleetSpec fleet, RunLoop loop, PrintWriter err) {
        this.store = store;
        this.fleet = fleet;
        this.loop = loop;
        this.err = err;
    }

    /** Applies the newest policy set for this fleet since {@code since} (the execution's start), if any. */
    void applyLatest(long since) {
        for (AuditRecord r : store.latestAudit(LOOK_BACK)) {
            if (r.entry().at() < since) {
                return;
            }
            Optional<String> text = policyOf(r, -1);
            if (text.isPresent()) {
                apply(text.get(), r.entry().actor(), "set while the execution ran");
                return;
            }
        }
    }

    /** A policy control of this fleet: applied once its audit record is found (it is written just after the control). */
    synchronized void control(Control c) {
        waiting.add(c);
        retry();
    }

    /** Looks again for the records of controls seen before their audit records (called on each poll). */
    synchronized void retry() {
        if (waiting.isEmpty()) {
            return;
        }
        List<AuditRecord> recent = store.latestAudit(LOOK_BACK);
        waiting.removeIf(c -> {
            for (AuditRecord r : recent) {
                Optional<String> text = policyOf(r, c.seq());
                if (text.isPresent()) {
                    apply(text.get(), c.actor(), "control #" + c.seq());
                    return true;
                }
            }
            return false;
        });
    }

    /** The policy document of a policy control's audit record for this fleet ({@code seq} -1: any). */
    private Optional<String> policyOf(AuditRecord r, long seq) {
        if (!r.entry().action().equals(Action.POLICY.auditAction()) || !r.entry().tenant().equals(fleet.tenant())) {
            return Optional.empty();
        }
        try {
            JsonNode d = JSON.readTree(r.entry().details());
            boolean ours = d.path("scope").asText().equals("fleet") && d.path("value").asText().equals(fleet.name())
                    && (seq < 0 || d.path("seq").asLong() == seq) && d.hasNonNull("policy");
            return ours ? Optional.of(d.path("policy").asText()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void apply(String text, String actor, String why) {
        try {
            Policy policy = FleetLoader.policyFor(fleet, "the policy set for fleet " + fleet.name(), text);
            loop.policy(policy);
            err.println("myriad: fleet " + fleet.name() + ": policy replaced by " + actor + " (" + why + "): "
                    + policy.rules().size() + " rule(s), digest " + policy.digest().substring(0, 12)
                    + "; the next tool call is decided by it");
        } catch (FleetFileException e) {
            err.println("myriad: fleet " + fleet.name() + ": the policy set by " + actor + " (" + why
                    + ") does not fit this fleet; the policy in force is kept:\n" + e.getMessage());
        }
        err.flush();
    }
}
