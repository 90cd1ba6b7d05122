package io.myriad.tools.coding;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The limit on sandboxed test runs at once, separate from every other limit: a thousand agents
 * may think, edit and call cheap tools at the same time while the machine runs only as many test
 * commands as it has cores for.
 *
 * <p>Notes: a fair {@link Semaphore}, so callers are served in arrival order and none starves.
 * A caller waits at most the time it is given; when no slot frees up in that time it is refused,
 * not queued forever. A {@link Slot} is released once however often it is closed, so a
 * {@code try}-with-resources and an error path may both close it. An interrupted wait holds no
 * slot and keeps the interrupt. The counters are for metrics and are only eventually consistent
 * with each other.
 */
public final class TestSlots {
    private final int size;
    private final Semaphore permits;
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();

    private TestSlots(int size) {
        this.size = size;
        this.permits = new Semaphore(size, true);
    }

    /**
     * At most {@code size} test runs at once.
     *
     * @throws IllegalArgumentException when {@code size} is under 1
     */
    public static TestSlots of(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("the number of test slots must be at least 1, got "
                    + size);
        }
        return new TestSlots(size);
    }

    /** As many slots as the machine has processors. */
    public static TestSlots perProcessor() {
        return of(Runtime.getRuntime().availableProcessors());
    }

    /** The most test runs at once. */
    public int size() {
        return size;
    }

    /** Callers waiting for a slot now. */
    public int waiting() {
        return waiting.get();
    }

    /** Slots held now. */
    public int running() {
        return running.get();
    }

    /** Threads parked in the semaphore's queue (tests: a waiter counted here is in line). */
    int queued() {
        return permits.getQueueLength();
    }

    /**
     * Takes a slot, waiting at most {@code maxWait} for one.
     *
     * @return the slot, to close when the test run ends; empty when none came free in time
     * @throws InterruptedException when the caller is interrupted while waiting; it then holds no
     *                              slot
     */
    public Optional<Slot> acquire(Duration maxWait) throws InterruptedException {
        Objects.requireNonNull(maxWait, "maxWait");
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must not be negative, got " + maxWait);
        }
        waiting.incrementAndGet();
        boolean got;
        try {
            got = permits.tryAcquire(maxWait.toNanos(), TimeUnit.NANOSECONDS);
        } finally {
            waiting.decrementAndGet();
        }
        if (!got) {
            return Optional.empty();
        }
        running.incrementAndGet();
        return Optional.of(new Slot());
    }

    /** One held slot; closing it frees the slot (once). */
    public final class Slot implements AutoCloseable {
        private final AtomicBoolean released = new AtomicBoolean();

        private Slot() {}

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                running.decrementAndGet();
                permits.release();
            }
        }
    }

    @Override
    public String toString() {
        return "TestSlots[size=" + size + ", running=" + running() + ", waiting=" + waiting()
                + "]";
    }
}
