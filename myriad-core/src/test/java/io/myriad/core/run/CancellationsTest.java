package io.myriad.core.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.journal.InMemoryJournal;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A run cancelled from outside its process: once, fenced, and never over a final state. */
class CancellationsTest {
    private static final InstantSource CLOCK = InstantSource.fixed(Instant.ofEpochMilli(5_000));

    @Test
    void anUnfinishedRunIsCancelledOnceAndAFinalOneIsLeftAlone() {
        InMemoryJournal journal = new InMemoryJournal();
        RunFold fold = new RunFold();
        RunEvent started = new RunEvent.RunStarted(1_000, "f", "f-1", "t1", "a", "task", "m");
        fold.apply(started);
        journal.append(new Journal.Append("f-1:t1", 0, List.of(started), fold.status())).join();

        assertThat(Cancellations.cancel(journal, CLOCK, "f-1:t1", "killed by test")).isEqualTo(Cancellations.Outcome.CANCELLED);
        assertThat(journal.events("f-1:t1")).hasSize(2).last().isInstanceOfSatisfying(RunEvent.RunCancelled.class,
                c -> assertThat(c.reason()).isEqualTo("killed by test"));

        assertThat(Cancellations.cancel(journal, CLOCK, "f-1:t1", "again")).isEqualTo(Cancellations.Outcome.ALREADY_FINAL);
        assertThat(journal.events("f-1:t1")).hasSize(2);
    }
}
