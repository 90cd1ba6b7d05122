package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.model.Message;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.Usage;
import io.myriad.core.run.RunFold;
import io.myriad.core.run.RunState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The summary row is rewritten only every 32 events, except where readers depend on it at once:
 * final states, a run entering the wait for a person, and the decision that releases it (resume
 * and {@code runs ls --state in_doubt} read them from the row).
 */
class SqliteRunRowTest {
    @TempDir
    Path dir;

    @Test
    void enteringAndLeavingTheInDoubtWaitIsVisibleInTheRowAtOnce() {
        try (SqliteStore store = SqliteStore.open(dir.resolve("j.db"))) {
            RunFold fold = new RunFold();
            List<RunEvent> events = new ArrayList<>(List.of(
                    new RunEvent.RunStarted(1, "f", "f-1", "t1", "a", "in", "m"),
                    new RunEvent.ModelResponded(2, new Message.Assistant("", List.of(new ToolCall("c1", "pay", "{}"))),
                            new Usage(1, 1), 0, 1, "m"),
                    new RunEvent.ToolCallStarted(3, "c1", "pay", "f-1/t1/m1/c0")));
            append(store, fold, events);
            append(store, fold, List.of(new RunEvent.ToolCallInDoubt(4, "c1", "pay", "f-1/t1/m1/c0", "unknown")));
            assertThat(store.run("f-1:t1").orElseThrow().status().state()).isEqualTo(RunState.IN_DOUBT);
            assertThat(store.runsInState(RunState.IN_DOUBT, "f-1", 10)).extracting(r -> r.runId()).containsExactly("f-1:t1");
            assertThat(store.runsInState(RunState.IN_DOUBT, "other", 10)).isEmpty();

            append(store, fold, List.of(new RunEvent.ToolCallResolved(5, "c1", "retry", "", "human:x", "")));
            assertThat(store.run("f-1:t1").orElseThrow().status().state()).isEqualTo(RunState.ACTING);
            assertThat(store.runsInState(RunState.IN_DOUBT, null, 10)).isEmpty();
        }
    }

    private static void append(SqliteStore store, RunFold fold, List<RunEvent> events) {
        long expected = fold.seq();
        events.forEach(fold::apply);
        store.append(new Journal.Append("f-1:t1", expected, events, fold.status())).join();
    }
}
