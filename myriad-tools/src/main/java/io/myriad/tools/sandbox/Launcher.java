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
    private final BlockingQueue<Start> queue = new LinkedBlockingQueue<>();

    /** A queued start; {@code state} decides, once, between starting it and cancelling it. */
    private static final class Start extends FutureTask<Process> {
        private static final int QUEUED = 0;
        private static final int TAKEN = 1;
        private static final int DROPPED = 2;
        private final java.util.concurrent.atomic.AtomicInteger state = new java.util.concurrent.atomic.AtomicInteger();

        Start(ProcessBuilder builder) {
            super(builder::start);
        }

        @Override
        public void run() {
            if (state.compareAndSet(QUEUED, TAKEN)) {
                super.run();
            }
        }

        /** True when the process will never start; false when it is starting or started. */
        boolean drop() {
            return state.compareAndSet(QUEUED, DROPPED);
        }
    }
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
     * Starts {@code builder}'s process on the launcher thread. Interrupted while the start still
     * waits in the queue, it never starts (a killed run starts no command). Interrupted once the
     * launcher took it, it waits for the start, so that a started process is never lost: the
     * caller gets it and the interrupt stays set for the caller to act on.
     *
     * @throws SandboxException when interrupted before the start was taken (the interrupt is kept)
     */
    Process start(ProcessBuilder builder) throws IOException {
        ensureStarted();
        Start task = new Start(builder);
        queue.add(task);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                    if (task.drop()) {
                        queue.remove(task);
                        throw new SandboxException("the command was cancelled before it started", false);
                    }
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
