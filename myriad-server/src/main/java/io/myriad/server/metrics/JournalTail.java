package io.myriad.server.metrics;

import io.myriad.core.MyriadException;
import io.myriad.core.journal.EventCodec;
import io.myriad.core.journal.RunEvent;
import io.myriad.store.Store;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Follows the journal as it grows and hands each new event, in the order it was written, to its
 * listeners (metrics, traces). One tail reads for all listeners, so the journal is read once
 * whatever is watching it.
 *
 * <p>Notes: the cursor is the events table's rowid, which the one writer assigns in commit
 * order, so nothing below the cursor can appear later. A poll reads batches of
 * {@code batchSize} until it has caught up. An event this version cannot decode is skipped (and
 * counted, {@link #undecodable()}); a listener that throws is reported to the error handler and
 * does not stop the others. Listeners run on the tail's thread, one event at a time: they need no
 * locks of their own for what only they touch. {@link #pollOnce()} holds {@code lock}, so a test
 * stepping the tail and the timer never overlap.
 */
public final class JournalTail implements AutoCloseable {
    private final Store store;
    private final List<Consumer<TailEvent>> listeners;
    private final Consumer<RuntimeException> onError;
    private final int batchSize;
    private final Duration interval;
    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@code lock}. */
    private long cursor;
    /** Guarded by {@code lock}. */
    private long undecodable;
    /** Guarded by {@code lock}. */
    private Thread thread;
    private volatile boolean closed;

    private JournalTail(Builder b) {
        this.store = b.store;
        this.listeners = List.copyOf(b.listeners);
        this.onError = b.onError;
        this.batchSize = b.batchSize;
        this.interval = b.interval;
        this.cursor = b.fromStart ? 0 : store.eventsHead();
    }

    /** A tail of {@code store}'s journal; from its current end unless {@link Builder#fromStart()}. */
    public static Builder builder(Store store) {
        return new Builder(store);
    }

    /**
     * Reads every event written after the cursor, hands each to the listeners, and moves the cursor
     * past them.
     *
     * @return how many events were read
     */
    public int pollOnce() {
        lock.lock();
        try {
            int read = 0;
            while (!closed) {
                List<Store.TailRow> rows = store.eventsAfter(cursor, batchSize);
                for (Store.TailRow row : rows) {
                    deliver(row);
                    cursor = row.rowid();
                }
                read += rows.size();
                if (rows.size() < batchSize) {
                    break;
                }
            }
            return read;
        } finally {
            lock.unlock();
        }
    }

    private void deliver(Store.TailRow row) {
        RunEvent event;
        try {
            event = EventCodec.decode(row.body());
        } catch (MyriadException e) {
            undecodable++;
            return;
        }
        TailEvent te = new TailEvent(row.rowid(), row.runId(), row.seq(), event, row.tenant(), row.fleet(),
                row.execution(), row.agent());
        for (Consumer<TailEvent> l : listeners) {
            try {
                l.accept(te);
            } catch (RuntimeException e) {
                onError.accept(e);
            }
        }
    }

    /** The rowid of the last event handed to the listeners. */
    public long cursor() {
        lock.lock();
        try {
            return cursor;
        } finally {
            lock.unlock();
        }
    }

    /** Events skipped because this version cannot decode them. */
    public long undecodable() {
        lock.lock();
        try {
            return undecodable;
        } finally {
            lock.unlock();
        }
    }

    /** Polls every interval on a platform thread of its own ({@code myriad-journal-tail}) until closed. */
    public JournalTail start() {
        lock.lock();
        try {
            if (thread != null) {
                throw new IllegalStateException("the journal tail is already started");
            }
            thread = Thread.ofPlatform().daemon().name("myriad-journal-tail").start(this::loop);
            return this;
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        while (!closed) {
            try {
                pollOnce();
            } catch (RuntimeException e) {
                onError.accept(e); // the journal is unreadable for now: try again next time
            }
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Stops polling; waits for a poll in progress to end. */
    @Override
    public void close() {
        closed = true;
        Thread t;
        lock.lock();
        try {
            t = thread;
        } finally {
            lock.unlock();
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Configures a {@link JournalTail}. */
    public static final class Builder {
        private final Store store;
        private final List<Consumer<TailEvent>> listeners = new ArrayList<>();
        private Consumer<RuntimeException> onError = e -> { };
        private int batchSize = 500;
        private Duration interval = Duration.ofMillis(500);
        private boolean fromStart;

        private Builder(Store store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /** Adds a listener; listeners see each event in the order they were added. */
        public Builder listener(Consumer<TailEvent> listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** Reads the whole journal first, not only what is written after the tail is built. */
        public Builder fromStart() {
            this.fromStart = true;
            return this;
        }

        /** How long the timer waits between polls; 500 ms unless set. */
        public Builder interval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("the interval must be positive, got " + interval);
            }
            this.interval = interval;
            return this;
        }

        /** Events per read; 500 unless set. */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("the batch size must be positive, got " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /** Told of a listener that threw or a poll that failed; ignored unless set. */
        public Builder onError(Consumer<RuntimeException> onError) {
            this.onError = Objects.requireNonNull(onError, "onError");
            return this;
        }

        /** The tail, its cursor at the journal's current end (or at 0 with {@link #fromStart()}). */
        public JournalTail build() {
            return new JournalTail(this);
        }
    }
}
