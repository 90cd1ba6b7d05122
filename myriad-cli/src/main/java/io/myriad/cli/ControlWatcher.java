package io.myriad.cli;

import io.myriad.core.MyriadException;
import io.myriad.core.control.Control;
import io.myriad.core.control.Controls;
import io.myriad.core.control.Scope;
import io.myriad.core.run.FleetRunner;
import java.io.PrintWriter;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Applies operator controls to the fleet this process runs: every {@link #INTERVAL_MILLIS} it
 * reads the controls recorded since the last one it saw (one indexed query) and hands kills,
 * pauses and resumes that cover its fleet or one of its runs to the {@link FleetRunner}.
 *
 * <p>Runs on the run command's timer thread; {@code last} is only touched there.
 */
final class ControlWatcher implements AutoCloseable {
    static final long INTERVAL_MILLIS = 200;

    private final Controls controls;
    private final FleetRunner runner;
    private final String tenant;
    private final String fleet;
    private final String runPrefix;
    private final PrintWriter err;
    /** Told each policy control of this fleet (the run command applies it). */
    private java.util.function.Consumer<io.myriad.core.control.Control> onPolicy = c -> { };
    private long last;
    private ScheduledFuture<?> task;

    private ControlWatcher(Controls controls, FleetRunner runner, String tenant, String fleet, String executionId, long after,
                           PrintWriter err) {
        this.controls = controls;
        this.runner = runner;
        this.tenant = tenant;
        this.fleet = fleet;
        this.runPrefix = executionId + ":";
        this.last = after;
        this.err = err;
    }

    /** Starts polling the controls recorded after {@code after}. */
    static ControlWatcher start(Controls controls, FleetRunner runner, String tenant, String fleet, String executionId,
                                long after, ScheduledExecutorService timer, PrintWriter err) {
        ControlWatcher w = new ControlWatcher(controls, runner, tenant, fleet, executionId, after, err);
        w.task = timer.scheduleWithFixedDelay(w::poll, INTERVAL_MILLIS, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        return w;
    }

    /** Policy controls of this fleet go to {@code onPolicy} from now on. */
    ControlWatcher onPolicy(java.util.function.Consumer<io.myriad.core.control.Control> onPolicy) {
        this.onPolicy = java.util.Objects.requireNonNull(onPolicy, "onPolicy");
        return this;
    }

    void poll() {
        try {
            for (Control c : controls.since(last)) {
                last = c.seq();
                apply(c);
            }
        } catch (MyriadException e) {
            // A stalled journal: the next poll tries again (the journal's health is reported elsewhere).
        } catch (RuntimeException e) {
            err.println("myriad: warning: cannot apply operator controls: " + e);
            err.flush();
        }
    }

    private void apply(Control c) {
        boolean ours = c.scope().coversFleet(tenant, fleet)
                || c.scope() instanceof Scope.Run r && r.runId().startsWith(runPrefix);
        if (!ours) {
            return;
        }
        switch (c.action()) {
            case KILL -> {
                runner.kill(c.scope(), c.cancelReason());
                err.println("myriad: " + c.scope().describe() + " killed by " + c.actor() + ": cancelling its runs");
            }
            case PAUSE -> {
                runner.pause();
                err.println("myriad: fleet " + fleet + " paused by " + c.actor()
                        + ": runs stop at their next step boundary and keep their work (myriad resume --fleet " + fleet + ")");
            }
            case POLICY -> {
                onPolicy.accept(c);
            }
            case RESUME -> {
                runner.resume();
                err.println("myriad: fleet " + fleet + " resumed by " + c.actor());
            }
        }
        err.flush();
    }

    @Override
    public void close() {
        if (task != null) {
            task.cancel(false);
        }
    }
}
