package io.myriad.core.gateway;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A timer driven by a {@link ManualClock}: tasks run on the test's thread when {@link #advance}
 * moves the clock past their time, so a test skips minutes without sleeping. Only
 * {@link #schedule(Runnable, long, TimeUnit)} is supported, the one method the gateway uses.
 */
final class ManualTimer extends AbstractExecutorService implements ScheduledExecutorService {
    private record Task(long dueMillis, long order, Runnable action) {}

    private final ManualClock clock;
    private final List<Task> tasks = new ArrayList<>();
    private long scheduled;

    ManualTimer(ManualClock clock) {
        this.clock = clock;
    }

    /** Moves the clock by {@code millis} one millisecond at a time, running each task when it falls due. */
    void advance(long millis) {
        for (long i = 0; i < millis; i++) {
            clock.advance(1);
            runDue();
        }
    }

    /** Moves the clock to the next task's time and runs what is due; false when nothing is scheduled. */
    boolean advanceToNext() {
        Task first;
        synchronized (this) {
            first = tasks.stream().min(Comparator.comparingLong(Task::dueMillis)).orElse(null);
        }
        if (first == null) {
            return false;
        }
        long delta = first.dueMillis() - clock.millis();
        if (delta > 0) {
            clock.advance(delta);
        }
        runDue();
        return true;
    }

    /** Tasks scheduled and not yet run. */
    synchronized int pending() {
        return tasks.size();
    }

    /** Runs every task due now, including ones they schedule for now. */
    void runDue() {
        while (true) {
            Task due;
            synchronized (this) {
                due = tasks.stream().filter(t -> t.dueMillis() <= clock.millis())
                        .min(Comparator.comparingLong(Task::dueMillis).thenComparingLong(Task::order)).orElse(null);
                if (due == null) {
                    return;
                }
                tasks.remove(due);
            }
            due.action().run();
        }
    }

    @Override
    public synchronized ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        tasks.add(new Task(clock.millis() + unit.toMillis(delay), scheduled++, command));
        return new Handle(unit.toMillis(delay));
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return false;
    }

    @Override
    public boolean isTerminated() {
        return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return true;
    }

    @Override
    public void execute(Runnable command) {
        command.run();
    }

    /** A handle the gateway never uses: it neither cancels nor waits on its timer tasks. */
    private record Handle(long delayMillis) implements ScheduledFuture<Object> {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(delayMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.MILLISECONDS), o.getDelay(TimeUnit.MILLISECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return false;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public boolean isDone() {
            return false;
        }

        @Override
        public Object get() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            throw new UnsupportedOperationException();
        }
    }
}
