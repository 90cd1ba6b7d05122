package io.myriad.core.run;

import io.myriad.core.sched.FairQueue;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs steps on at most {@code maxThreads} threads at once, queueing the rest as plain
 * {@link Runnable}s. A queued step costs a queue node, not a thread and not a stack; a worker
 * thread runs queued steps back to back until the queue is empty.
 *
 * <p>Steps (and the tool calls they make) wait in the same hierarchical {@link FairQueue} as
 * model calls: tenants by weighted deficit round robin, then fleets, then run priority. A tenant
 * with a million runs stepping cannot hold every worker while a tenant with ten waits.
 *
 * <p>Without this bound, a million runs admitted at once would each block a virtual thread (and
 * its stack) on their first journal append; with it, the same million wait as queue nodes.
 */
public final class StepExecutor implements Executor {
    private final Executor threads;
    private final int maxThreads;
    private final AtomicInteger running = new AtomicInteger();
    private final FairQueue<Runnable> queue = FairQueue.create();

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

    /** Queues a step of no particular tenant (the tenant {@code default}). */
    @Override
    public void execute(Runnable step) {
        execute("default", "default", 0, step);
    }

    /** Queues a step of a run of {@code tenant}'s {@code fleet} with the run's priority. */
    public void execute(String tenant, String fleet, int priority, Runnable step) {
        queue.add(tenant, fleet, priority, 1, Objects.requireNonNull(step, "step"));
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
            while ((step = queue.poll().orElse(null)) != null) {
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
