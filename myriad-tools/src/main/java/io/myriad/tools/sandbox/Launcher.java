package io.myriad.tools.sandbox;

import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Starts processes from one long-lived platform thread.
 *
 * <p>Why: bubblewrap's {@code --die-with-parent} uses {@code PR_SET_PDEATHSIG}, which fires when
 * the <em>thread</em> that forked the process ends, not the process. Callers are virtual threads
 * (and their carriers come and go), so a sandbox forked from one could be killed at a random
 * moment. Forking from this thread instead ties every sandbox to the life of the launcher: it
 * lives as long as its {@link Sandbox}, so a sandbox dies with the JVM (even on SIGKILL) or when
 * the sandbox is closed, never earlier.
 *
 * <p>The thread starts with the first process, so a sandbox that never runs a command costs no
 * thread. Thread-safety: the queue is safe to share; {@link #thread} and {@link #closed} are
 * guarded by {@code this}.
 */
final class Launcher implements AutoCloseable {
    private final BlockingQueue<FutureTask<Process>> queue = new LinkedBlockingQueue<>();
    private Thread thread;
    private boolean closed;

    private synchronized void ensureStarted() {
        if (closed) {
            throw new SandboxException("the sandbox is closed; create a new one", false);
        }
        if (thread == null) {
            thread = Thread.ofPlatform().name("myriad-sandbox-launcher").daemon(true)
                    .start(this::loop);
        }
    }

    private void loop() {
        try {
            while (true) {
                queue.take().run();
            }
        } catch (InterruptedException e) {
            // closed: ending this thread kills the sandboxes it started, as intended
        }
    }

    /**
     * Starts {@code builder}'s process on the launcher thread. Waits for the start even when
     * interrupted, so that a started process is never lost: the caller gets it and the interrupt
     * stays set for the caller to act on.
     */
    Process start(ProcessBuilder builder) throws IOException {
        ensureStarted();
        FutureTask<Process> task = new FutureTask<>(builder::start);
        queue.add(task);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    throw new SandboxException("cannot start the sandbox: " + e.getCause(), false,
                            e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
        queue.forEach(t -> t.cancel(false));
    }
}
