package io.myriad.cli;

import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.model.ToolCall;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders a run's journal as a readable transcript. */
final class Transcript {
    private final PrintWriter out;
    private final boolean full;

    Transcript(PrintWriter out, boolean full) {
        this.out = out;
        this.full = full;
    }

    void print(RunRepository.RunRow row, List<JournalRecord> records) {
        var st = row.status();
        long t0 = records.isEmpty() ? 0 : records.getFirst().event().at();
        Map<String, ToolCall> calls = new HashMap<>();
        out.printf(Locale.ROOT, "run     %s%nfleet   %s (execution %s)   agent %s   task %s%n", row.runId(), row.fleet(),
                row.execution(), row.agent(), row.task());
        out.printf(Locale.ROOT, "state   %s   steps %d   tokens %d   cost $%.4f%n%n", st.state().label(), st.steps(),
                st.tokens(), st.costUsd());
        for (JournalRecord r : records) {
            String at = String.format(Locale.ROOT, "[%3d +%8.3fs] ", r.seq(), (r.event().at() - t0) / 1000.0);
            switch (r.event()) {
                case RunEvent.RunStarted e -> {
                    out.println(at + "started at " + Instant.ofEpochMilli(e.at()) + " with model " + e.model()
                            + (Wiring.SIM_MODEL.equals(e.model()) ? " (SIMULATED)" : ""));
                    out.println(indent("input: " + shorten(e.input())));
                }
                case RunEvent.ModelRetried e -> out.println(at + "model call failed (attempt " + e.attempt() + "), "
                        + (e.fallback() ? "next attempt on the fallback model" : "retrying") + " in "
                        + e.waitMillis() + " ms: " + shorten(e.error()));
                case RunEvent.ModelResponded e -> {
                    out.println(at + "model " + e.model() + (Wiring.SIM_MODEL.equals(e.model()) ? " (simulated)" : "")
                            + " answered in " + e.latencyMillis() + " ms, tokens " + e.usage().promptTokens() + " in + "
                            + e.usage().completionTokens() + " out" + (e.costUsd() > 0 ? String.format(Locale.ROOT, ", $%.5f", e.costUsd()) : ""));
                    e.message().text().ifPresent(txt -> out.println(indent("says: " + shorten(txt))));
                    for (ToolCall c : e.message().toolCalls()) {
                        calls.put(c.id(), c);
                        out.println(indent("calls " + c.name() + " " + shorten(c.arguments()) + "   [" + c.id() + "]"));
                    }
                }
                case RunEvent.OutputRejected e -> out.println(at + "answer rejected by the output schema: " + e.problems());
                case RunEvent.ToolCallStarted e -> out.println(at + "tool " + e.tool() + " started [" + e.callId()
                        + ", key " + e.idempotencyKey() + "]");
                case RunEvent.ToolCallCompleted e -> out.println(at + "tool " + name(calls, e.callId()) + " returned in "
                        + e.durationMillis() + " ms:\n" + indent(shorten(e.result())));
                case RunEvent.ToolCallFailed e -> out.println(at + "tool " + name(calls, e.callId()) + " failed in "
                        + e.durationMillis() + " ms:\n" + indent(shorten(e.error())));
                case RunEvent.ToolCallRejected e -> out.println(at + "call " + name(calls, e.callId()) + " rejected: "
                        + shorten(e.reason()));
                case RunEvent.RunSucceeded e -> out.println(at + "SUCCEEDED\n" + indent(shorten(e.output())));
                case RunEvent.RunFailed e -> out.println(at + "FAILED (" + e.reason() + "): " + e.message());
                case RunEvent.RunCancelled e -> out.println(at + "CANCELLED: " + e.reason());
                case RunEvent.RunLimited e -> out.println(at + "LIMITED (" + e.limit() + "): " + e.message());
                case RunEvent.ToolCallInDoubt e -> out.println(at + "IN DOUBT: tool " + e.tool() + " [" + e.callId() + ", key "
                        + e.idempotencyKey() + "]: " + e.reason());
                case RunEvent.ToolCallResolved e -> out.println(at + "call " + name(calls, e.callId()) + " resolved by " + e.by()
                        + ": " + e.decision() + (e.result().isEmpty() ? "" : "\n" + indent("result: " + shorten(e.result())))
                        + (e.comment().isEmpty() ? "" : "\n" + indent("comment: " + shorten(e.comment()))));
                case RunEvent.RunStuck e -> out.println(at + "STUCK (" + e.reason() + "): " + e.message());
                case RunEvent.RunBudgetExhausted e -> out.println(at + "BUDGET EXHAUSTED (" + e.scope() + " " + e.owner()
                        + ", " + e.resource() + "): " + e.message());
                case RunEvent.RunInterrupted e -> out.println(at + "interrupted: " + e.reason());
                case RunEvent.ApprovalRequested e -> out.println(at + "APPROVAL NEEDED: tool " + e.tool() + " [" + e.callId()
                        + ", key " + e.idempotencyKey() + "] by rule " + e.rule() + ", expires at " + Instant.ofEpochMilli(e.expiresAt())
                        + "\n" + indent("decide: myriad approvals approve|deny " + row.runId() + "#" + e.callId() + " --comment TEXT"));
                case RunEvent.ApprovalDecided e -> out.println(at + "call " + name(calls, e.callId()) + " "
                        + ApprovalsCommand.describe(e));
                case RunEvent.ChildrenStarted e -> out.println(at + "DELEGATED to " + e.count() + " child run"
                        + (e.count() == 1 ? "" : "s") + " [" + e.callId() + "]: " + row.runId() + "~" + e.first()
                        + (e.count() == 1 ? "" : " to ~" + (e.first() + e.count() - 1)) + "; waiting for them");
                case RunEvent.ChildrenFinished e -> out.println(at + "children finished [" + e.callId() + "]: " + e.succeeded()
                        + " succeeded, " + e.failed() + " did not; they used " + e.tokens() + " tokens"
                        + (e.costUsd() > 0 ? String.format(Locale.ROOT, ", $%.5f", e.costUsd()) : "") + "\n" + indent(shorten(e.result())));
                case RunEvent.HandedOff e -> out.println(at + "HANDED OFF from " + e.from() + " to " + e.to() + " [" + e.callId() + "]"
                        + (e.note().isEmpty() ? "" : "\n" + indent("note: " + shorten(e.note()))));
            }
        }
        out.flush();
    }

    private static String name(Map<String, ToolCall> calls, String id) {
        ToolCall c = calls.get(id);
        return c == null ? id : c.name();
    }

    private String shorten(String s) {
        if (full || s.length() <= 400) {
            return s;
        }
        return s.substring(0, 400) + "… [" + (s.length() - 400) + " more characters; --full shows all]";
    }

    private static String indent(String s) {
        return "                 " + s.replace("\n", "\n                 ");
    }
}
