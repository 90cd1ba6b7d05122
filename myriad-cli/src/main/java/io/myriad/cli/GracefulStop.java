package io.myriad.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * SIGTERM or Ctrl-C during {@code myriad run}: drain the runner (no new steps; in-flight steps
 * get {@code grace} to finish), let the command print its summary and close the journal, then
 * exit with the command's code (0 for a drained fleet).
 *
 * <p>Notes. Built on a shutdown hook rather than a signal handler (no internal API): the JVM runs
 * the hook on SIGTERM, SIGINT and SIGHUP while the command's thread keeps running; the hook waits
 * for that thread to say it has finished and then halts with its exit code, since the
 * {@code System.exit} the command's thread would call cannot complete during a shutdown. A
 * normal end removes the hook. If the process is killed outright instead, nothing acknowledged
 * is lost either: that is the journal's job, and the next start resumes.
 */
final class GracefulStop {
    private final Duration grace;
    private final PrintWriter err;
    private final Thread hook;
    private final AtomicBoolean signalled = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile Consumer<Duration> drain;
    private volatile int exit = Main.EXIT_PLATFORM;
    private boolean manual;

    private GracefulStop(Duration grace, PrintWriter err) {
        this.grace = grace;
        this.err = err;
        this.hook = Thread.ofPlatform().name("myriad-graceful-stop").unstarted(this::onShutdown);
    }

    /**
     * A stop that no signal triggers, only {@link #signal()}: for a fleet hosted by
     * {@code myriad serve}, which drains its fleets itself when it stops.
     */
    static GracefulStop manual(Duration grace, PrintWriter err) {
        GracefulStop stop = new GracefulStop(grace, err);
        stop.manual = true;
        return stop;
    }

    /** Drains the fleet as a signal would (for a manual stop). */
    void signal() {
        if (signalled.compareAndSet(false, true)) {
            Consumer<Duration> d = drain;
            if (d != null) {
                d.accept(grace);
            }
        }
    }

    static GracefulStop install(Duration grace, PrintWriter err) {
        GracefulStop stop = new GracefulStop(grace, err);
        Runtime.getRuntime().addShutdownHook(stop.hook);
        return stop;
    }

    /** What to do on a signal; called at once if the signal already came. */
    void onSignal(Consumer<Duration> drain) {
        this.drain = drain;
        if (signalled.get()) {
            drain.accept(grace);
        }
    }

    /** True once a signal asked the process to stop. */
    boolean signalled() {
        return signalled.get();
    }

    /** The command is done (its journal closed) and exits with {@code code}. */
    void finished(int code) {
        exit = code;
        finished.countDown();
        if (!signalled.get() && !manual) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running or about to; it will see that the command finished.
            }
        }
    }

    private void onShutdown() {
        if (finished.getCount() == 0) {
            return;
        }
        signalled.set(true);
        err.println("myriad: stopping gracefully: no new steps start; steps in flight have "
                + io.myriad.cli.fleet.Durations.format(grace) + " to finish; unfinished runs resume on the next start");
        err.flush();
        Consumer<Duration> d = drain;
        if (d != null) {
            d.accept(grace);
        }
        try {
            // The grace, then time to print the summary and close the journal.
            if (!finished.await(grace.toMillis() + 15_000, TimeUnit.MILLISECONDS)) {
                err.println("myriad: did not stop within the grace period; exiting (the journal keeps every acknowledged step)");
                err.flush();
                Runtime.getRuntime().halt(Main.EXIT_PLATFORM);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Runtime.getRuntime().halt(exit);
    }
}
