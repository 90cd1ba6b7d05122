package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.DuplicateTaskException;
import io.myriad.core.run.RunState;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tasks submitted to a running execution: kept durably in order, counted, each id once. */
class SqliteIntakeTest {

    static TaskSpec task(String id) {
        return new TaskSpec(id, "a", "input " + id, 0);
    }

    @Test
    void submittedTasksAreKeptInOrderCountedAndReadAfterASeq(@TempDir Path dir) {
        Path db = dir.resolve("m.db");
        try (SqliteStore s = SqliteStore.open(db)) {
            s.createExecution("default", "f", "d", "f.yaml", 0, 1);
            s.submitTasks("f-1", List.of(task("a"), task("b")));
            s.submitTasks("f-1", List.of(new TaskSpec("c", "a", "{\"x\":1}", 7)));
            assertThat(s.execution("f-1").orElseThrow().tasks()).isEqualTo(3);
        }
        try (SqliteStore s = SqliteStore.open(db)) {
            List<SqliteStore.SubmittedTask> all = s.submittedTasks("f-1", 0);
            assertThat(all).extracting(t -> t.task().id()).containsExactly("a", "b", "c");
            assertThat(all).extracting(SqliteStore.SubmittedTask::seq).containsExactly(1L, 2L, 3L);
            assertThat(all.get(2).task()).isEqualTo(new TaskSpec("c", "a", "{\"x\":1}", 7));
            assertThat(s.submittedTasks("f-1", 2)).extracting(t -> t.task().id()).containsExactly("c");
            assertThat(s.submittedTasks("f-2", 0)).isEmpty();
        }
    }

    @Test
    void anIdUsedBeforeInTheExecutionIsRefusedAndNothingOfTheSubmissionIsKept(@TempDir Path dir) {
        try (SqliteStore s = SqliteStore.open(dir.resolve("m.db"))) {
            s.createExecution("default", "f", "d", "f.yaml", 1, 1);
            s.append(new Journal.Append("f-1:t1", 0, List.of(new RunEvent.RunStarted(1, "f", "f-1", "t1", "a", "in", "m")),
                    new RunStatus(RunState.AWAITING_MODEL, 1, 0, 0, 1, ""))).join();
            s.submitTasks("f-1", List.of(task("a")));

            assertThatThrownBy(() -> s.submitTasks("f-1", List.of(task("b"), task("a"), task("t1"))))
                    .isInstanceOfSatisfying(DuplicateTaskException.class, e -> assertThat(e.ids()).containsExactly("a", "t1"))
                    .hasMessageContaining("already has tasks a, t1");
            assertThatThrownBy(() -> s.submitTasks("f-1", List.of(task("c"), task("c"))))
                    .isInstanceOf(DuplicateTaskException.class);
            assertThat(s.submittedTasks("f-1", 0)).extracting(t -> t.task().id()).containsExactly("a");
            assertThat(s.execution("f-1").orElseThrow().tasks()).isEqualTo(2);
        }
    }
}
