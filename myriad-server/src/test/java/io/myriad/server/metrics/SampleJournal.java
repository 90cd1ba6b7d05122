package io.myriad.server.metrics;

import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.model.Message;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.Usage;
import io.myriad.core.run.RunState;
import io.myriad.store.SqliteStore;
import java.util.List;

/**
 * Real journals written through {@link SqliteStore}, shared by the metrics and trace tests.
 *
 * <ul>
 *   <li>{@code fix-1:t1} (tenant alpha, fleet fix, agent coder, model gpt-x): a response asking
 *       for {@code fs.read} (completes in 20 ms) and {@code shell} (fails in 60 ms), a retry, a
 *       final answer; succeeded.
 *   <li>{@code fix-1:t2}: one response from myriad-sim, then failed (model_error).
 *   <li>{@code fix-1:t3}: started, awaiting the model.
 *   <li>{@code ops-1:t1} (tenant beta, fleet ops, agent ops): started, cancelled.
 * </ul>
 */
public final class SampleJournal {
    private SampleJournal() {}

    public static final String OK_RUN = "fix-1:t1";
    public static final String FAILED_RUN = "fix-1:t2";

    /** Writes the run that succeeds, with its tool calls. */
    public static void succeeded(SqliteStore store) {
        store.createExecution("alpha", "fix", "d", "fix.yaml", 3, 900);
        append(store, OK_RUN, RunState.SUCCEEDED,
                new RunEvent.RunStarted(1_000, "fix", "fix-1", "t1", "coder", "fix it", "gpt-x"),
                new RunEvent.ModelResponded(1_500, new Message.Assistant("", List.of(
                        new ToolCall("c1", "fs.read", "{}"), new ToolCall("c2", "shell", "{}"))),
                        new Usage(100, 20), 0.01, 400, "gpt-x"),
                new RunEvent.ToolCallStarted(1_510, "c1", "fs.read", "k1"),
                new RunEvent.ToolCallCompleted(1_530, "c1", "contents", 20),
                new RunEvent.ToolCallStarted(1_540, "c2", "shell", "k2"),
                new RunEvent.ToolCallFailed(1_600, "c2", "exit status 1", 60),
                new RunEvent.ModelRetried(1_700, 1, "rate_limited", 100),
                new RunEvent.ModelResponded(2_500, new Message.Assistant("done", List.of()),
                        new Usage(150, 30), 0.02, 700, "gpt-x"),
                new RunEvent.RunSucceeded(2_500, "done"));
    }

    /** Writes the other three runs (the execution fix-1 must exist: {@link #succeeded}). */
    public static void others(SqliteStore store) {
        append(store, FAILED_RUN, RunState.FAILED,
                new RunEvent.RunStarted(1_000, "fix", "fix-1", "t2", "coder", "fix that", "myriad-sim"),
                new RunEvent.ModelResponded(1_200, new Message.Assistant("", List.of()), new Usage(10, 5), 0, 200,
                        "myriad-sim"),
                new RunEvent.RunFailed(1_300, "model_error", "the model said nothing"));
        append(store, "fix-1:t3", RunState.AWAITING_MODEL,
                new RunEvent.RunStarted(1_000, "fix", "fix-1", "t3", "coder", "and this", "gpt-x"));
        store.createExecution("beta", "ops", "d", "ops.yaml", 1, 900);
        append(store, "ops-1:t1", RunState.CANCELLED,
                new RunEvent.RunStarted(1_000, "ops", "ops-1", "t1", "ops", "watch", "gpt-x"),
                new RunEvent.RunCancelled(1_100, "operator"));
    }

    /** Appends {@code events} one append each from seq 0, the last leaving the run in {@code end}. */
    public static void append(SqliteStore store, String runId, RunState end, RunEvent... events) {
        append(store, runId, 0, end, events);
    }

    /** Appends {@code events} one append each from {@code seq}, the last leaving the run in {@code end}. */
    public static void append(SqliteStore store, String runId, int seq, RunState end, RunEvent... events) {
        for (int i = 0; i < events.length; i++) {
            RunState state = i == events.length - 1 ? end : RunState.AWAITING_MODEL;
            store.append(new Journal.Append(runId, seq + i, List.of(events[i]),
                    new RunStatus(state, seq + i, 0, 0, events[i].at(), ""))).join();
        }
    }
}
