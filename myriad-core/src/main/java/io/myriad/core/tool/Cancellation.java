package io.myriad.core.tool;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * How a tool call is stopped at once when its run is killed. A tool registers what stops its
 * effect (a sandbox registers the kill of its command's processes); the run loop runs every
 * hook on the killing thread, before it interrupts the tool's thread. Hooks must be quick and
 * must not block: a kill of a thousand runs calls a thousand of them in a row.
 */
public final class Cancellation {
    private final List<Runnable> hooks = new CopyOnWriteArrayList<>();
    private volatile boolean cancelled;

    /** Registers {@code hook}; runs it at once when the call is already cancelled. */
    public void onCancel(Runnable hook) {
        hooks.add(hook);
        if (cancelled) {
            runQuietly(hook);
        }
    }

    /** Runs every hook (once each cancellation); later registrations run at once. */
    public void cancel() {
        cancelled = true;
        hooks.forEach(Cancellation::runQuietly);
    }

    public boolean cancelled() {
        return cancelled;
    }

    private static void runQuietly(Runnable hook) {
        try {
            hook.run();
        } catch (RuntimeException e) {
            // a hook that fails leaves the interrupt that follows to stop the call
        }
    }
}
