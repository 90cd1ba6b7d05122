package io.myriad.core.run;

import io.myriad.core.fleet.TaskSpec;
import java.util.List;

/**
 * Tasks submitted to a running execution after it started (a fleet with {@code intake: open}).
 * The first poll returns every task submitted so far, so a restarted execution sees again the
 * tasks it had admitted; {@link FleetRunner} counts the final ones instead of running them.
 */
@FunctionalInterface
public interface TaskIntake {
    /** The tasks submitted since the previous poll, in submission order; the implementation keeps the cursor. */
    List<TaskSpec> poll();

    /**
     * True for the intake of a cluster node: it hands over tasks whose runs this node has just
     * claimed (their runs may exist already, started by another node), the fleet file's tasks are
     * not started from the file (every node would), and a task may come again after this node
     * gave its run up (it was taken over, or abandoned and released).
     */
    default boolean claims() {
        return false;
    }

    /**
     * True once no task will come any more and every run of the execution is final, wherever it
     * ran: the execution is done. Polled often; an implementation caches what it reads.
     */
    default boolean exhausted() {
        return false;
    }
}
