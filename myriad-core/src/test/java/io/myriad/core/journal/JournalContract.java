package io.myriad.core.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.model.Message;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.Usage;
import io.myriad.core.run.RunFold;
import io.myriad.core.run.RunState;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link Journal} adapter must keep. An adapter's test extends this class
 * and supplies a fresh, empty journal.
 */
public abstract class JournalContract {

    /** A new, empty journal; closed by the test. */
    protected abstract Journal newJournal();

    protected static RunEvent.RunStarted started(String task) {
        return new RunEvent.RunStarted(1_000, "f", "f-1", task, "a", "input of " + task, "m");
    }

    protected static RunEvent.ModelResponded responded(String callId) {
        return new RunEvent.ModelResponded(1_001, new Message.Assistant("", List.of(new ToolCall(callId, "fs.read", "{}"))),
                new Usage(10, 2), 0.0, 3, "m");
    }

    protected static RunStatus status(RunState state) {
        return new RunStatus(state, 1, 12, 0, 1_001, "");
    }

    /** Waits for an append, rethrowing its failure (a fence) as itself. */
    protected static void join(CompletableFuture<Void> f) {
        try {
            f.join();
        } catch (CompletionException e) {
            throw (RuntimeException) e.getCause();
        }
    }

    @Test
    void appendsAreReadBackInOrderAndFoldToTheSameState() {
        try (Journal j = newJournal()) {
            join(j.append(new Journal.Append("f-1:t1", 0, List.of(started("t1")), status(RunState.AWAITING_MODEL))));
            join(j.append(new Journal.Append("f-1:t1", 1, List.of(responded("c1"),
                    new RunEvent.ToolCallStarted(1_002, "c1", "fs.read", "k")), status(RunState.ACTING))));
            List<JournalRecord> records = j.read("f-1:t1");
            assertThat(records).extracting(JournalRecord::seq).containsExactly(0L, 1L, 2L);
            assertThat(records.get(1).event()).isEqualTo(responded("c1"));
            RunFold fold = RunFold.of(records.stream().map(JournalRecord::event).toList());
            assertThat(fold.state()).isEqualTo(RunState.ACTING);
            assertThat(fold.calls()).singleElement().extracting(RunFold.Call::status).isEqualTo(RunFold.CallStatus.STARTED);
        }
    }

    @Test
    void aStaleWriterIsFencedAndWritesNothing() {
        try (Journal j = newJournal()) {
            join(j.append(new Journal.Append("r", 0, List.of(started("t1")), status(RunState.AWAITING_MODEL))));
            join(j.append(new Journal.Append("r", 1, List.of(responded("c1")), status(RunState.ACTING))));
            // A zombie that still believes the run has one event.
            assertThatThrownBy(() -> join(j.append(new Journal.Append("r", 1, List.of(responded("c2")), status(RunState.ACTING)))))
                    .isInstanceOf(JournalFenceException.class);
            // A writer that skips ahead.
            assertThatThrownBy(() -> join(j.append(new Journal.Append("r", 5, List.of(responded("c3")), status(RunState.ACTING)))))
                    .isInstanceOf(JournalFenceException.class);
            // A second start of the same run.
            assertThatThrownBy(() -> join(j.append(new Journal.Append("r", 0, List.of(started("t1")), status(RunState.AWAITING_MODEL)))))
                    .isInstanceOf(JournalFenceException.class);
            assertThat(j.read("r")).hasSize(2);
            assertThat(j.read("r").get(1).event()).isEqualTo(responded("c1"));
        }
    }

    @Test
    void ofManyRacingWritersExactlyOneWinsEachSeq() throws Exception {
        try (Journal j = newJournal(); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            join(j.append(new Journal.Append("race", 0, List.of(started("t")), status(RunState.AWAITING_MODEL))));
            AtomicInteger wins = new AtomicInteger();
            AtomicInteger fenced = new AtomicInteger();
            List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < 16; w++) {
                int writer = w;
                futures.add(pool.submit(() -> {
                    try {
                        join(j.append(new Journal.Append("race", 1, List.of(responded("w" + writer)), status(RunState.ACTING))));
                        wins.incrementAndGet();
                    } catch (JournalFenceException e) {
                        fenced.incrementAndGet();
                    }
                }));
            }
            for (var f : futures) {
                f.get();
            }
            assertThat(wins.get()).isEqualTo(1);
            assertThat(fenced.get()).isEqualTo(15);
            assertThat(j.read("race")).hasSize(2);
        }
    }

    @Test
    void manyRunsAppendConcurrentlyWithoutLoss() throws Exception {
        int runs = 200;
        int appendsPerRun = 20;
        try (Journal j = newJournal(); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
            for (int r = 0; r < runs; r++) {
                String runId = "run-" + r;
                futures.add(pool.submit(() -> {
                    join(j.append(new Journal.Append(runId, 0, List.of(started(runId)), status(RunState.AWAITING_MODEL))));
                    for (int i = 1; i < appendsPerRun; i++) {
                        join(j.append(new Journal.Append(runId, i,
                                List.of(new RunEvent.ModelRetried(2_000 + i, i, "slow", 0)), status(RunState.AWAITING_MODEL))));
                    }
                }));
            }
            for (var f : futures) {
                f.get();
            }
            for (int r = 0; r < runs; r++) {
                List<JournalRecord> records = j.read("run-" + r);
                assertThat(records).hasSize(appendsPerRun);
                assertThat(records).extracting(JournalRecord::seq).isSorted().doesNotHaveDuplicates();
            }
        }
    }

    @Test
    void anUnknownRunReadsEmpty() {
        try (Journal j = newJournal()) {
            assertThat(j.read("nobody")).isEmpty();
        }
    }
}
