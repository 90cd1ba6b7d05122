package io.myriad.tools.sandbox;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Removes the cgroups of killed commands once the kernel has reaped their processes, on one
 * platform thread ({@code myriad-sandbox-reaper}), so that the caller of a cancelled command
 * returns at once. Tearing down a thousand sandboxes' namespaces takes the kernel seconds; a
 * caller waiting for each cgroup to empty would hold its thread (and, with file I/O on a virtual
 * thread, a carrier) that long.
 *
 * <p>The thread starts with the first group handed over. Thread-safety: the queue is safe to
 * share; {@link #thread} and {@link #closed} are guarded by {@code this}; {@code waiting} is
 * confined to the reaper thread.
 */
final class Reaper implements AutoCloseable {
    private static final long RETRY_MILLIS = 20;

    private final BlockingQueue<PidsCgroup.Group> queue = new LinkedBlockingQueue<>();
    private Thread thread;
    private boolean closed;

    /**
     * Kills what is left in {@code group} and removes it once the kernel has reaped it, on the
     * reaper's thread; never blocks. The caller does no file I/O: on a virtual thread that
     * would hold a carrier, and a thousand cancelled commands would starve the engine.
     */
    void remove(PidsCgroup.Group group) {
        synchronized (this) {
            if (closed) {
                return;
            }
            if (thread == null) {
                thread = Thread.ofPlatform().name("myriad-sandbox-reaper").daemon(true).start(this::loop);
            }
        }
        queue.add(group);
    }

    private void loop() {
        List<PidsCgroup.Group> waiting = new ArrayList<>();
        try {
            while (true) {
                PidsCgroup.Group g = waiting.isEmpty() ? queue.take() : queue.poll(RETRY_MILLIS, TimeUnit.MILLISECONDS);
                if (g != null) {
                    waiting.add(g);
                    queue.drainTo(waiting);
                }
                waiting.removeIf(PidsCgroup.Group::tryRemove);
            }
        } catch (InterruptedException e) {
            // closed: one last attempt each
            queue.drainTo(waiting);
            waiting.forEach(PidsCgroup.Group::tryRemove);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
