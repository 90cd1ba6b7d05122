package io.myriad.store;

import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.run.DuplicateTaskException;
import java.util.List;
import java.util.Objects;

/**
 * Tasks submitted to a running execution, on PostgreSQL ({@link IntakeSql}). A submission takes
 * an advisory lock of its execution before it checks the ids and numbers the tasks: two nodes
 * submitting at once neither reuse a seq nor commit a lower one after a higher one, which a
 * reader polling {@code submittedTasks(execution, afterSeq)} would miss.
 */
final class PgIntake {
    private final PgTx tx;

    PgIntake(PgTx tx) {
        this.tx = tx;
    }

    void submitTasks(String execution, List<TaskSpec> tasks) {
        Objects.requireNonNull(execution, "execution");
        List<TaskSpec> copy = List.copyOf(tasks);
        List<String> used = tx.write("submit tasks to execution " + execution, c -> {
            PgTx.lock(c, "myriad.intake:" + execution);
            List<String> taken = IntakeSql.used(c, execution, copy);
            if (taken.isEmpty()) {
                IntakeSql.insert(c, execution, copy, System.currentTimeMillis());
            }
            return taken;
        });
        if (!used.isEmpty()) {
            throw new DuplicateTaskException(execution, used);
        }
    }

    List<Store.SubmittedTask> submittedTasks(String execution, long afterSeq) {
        Objects.requireNonNull(execution, "execution");
        return tx.read(c -> IntakeSql.after(c, execution, afterSeq));
    }
}
