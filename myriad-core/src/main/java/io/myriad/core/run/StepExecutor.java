package io.myriad.core.run;

import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs steps on at most {@code maxThreads} threads at once, queueing the rest as plain
 * {@link Runnable}s. A queued step costs a queue node, not a thread and not a stack; a worker
 * thread runs queued steps back to back until the queue is empty.
 *
 * <p>Without this bound, a million runs admitted at once would each block a virtual thread (and
 * its stack) on their first journal append; with it, the same million wait as queue nodes.
 */
public final class StepExecutor implements Executor {
    private final Executor threads;
    private final int maxThreads;
    private final AtomicInteger running = new AtomicInteger();
    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();

    private StepExecutor(Executor threads, int maxThreads) {
        this.threads = threads;
        this.maxThreads = maxThreads;
    }

    /**
     * @param threads    starts worker threads (a virtual-thread-per-task executor)
     * @param maxThreads workers at most
     */
    public static StepExecutor create(Executor threads, int maxThreads) {
        Objects.requireNonNull(threads, "threads");
        if (maxThreads < 1) {
            throw new IllegalArgumentException("maxThreads must be at least 1");
        }
        return new StepExecutor(threads, maxThreads);
    }

    @Override
    public void execute(Runnable step) {
        queue.add(Objects.requireNonNull(step, "step"));
        startWorkers();
    }

    /** Steps waiting for a worker. */
    public int queued() {
        return queue.size();
    }

    /** Workers running now. */
    public int running() {
        return running.get();
    }

    private void startWorkers() {
        while (!queue.isEmpty()) {
            int n = running.get();
            if (n >= maxThreads) {
                return;
            }
            if (running.compareAndSet(n, n + 1)) {
                threads.execute(this::work);
            }
        }
    }

    private void work() {
        try {
            Runnable step;
            while ((step = queue.poll()) != null) {
                try {
                    step.run();
                } catch (RuntimeException | Error e) {
                    Thread t = Thread.currentThread();
                    t.getUncaughtExceptionHandler().uncaughtException(t, e);
                }
            }
        } finally {
            running.decrementAndGet();
        }
        // A step queued while this worker was leaving must not be stranded.
        startWorkers();
    }
}
