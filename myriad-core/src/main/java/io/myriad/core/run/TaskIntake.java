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
}
