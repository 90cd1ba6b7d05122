package io.myriad.store;

import io.myriad.core.MyriadException;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.audit.JournalAudit;
import io.myriad.core.journal.EventCodec;
import io.myriad.core.journal.Journal.Append;
import io.myriad.core.journal.JournalFenceException;
import io.myriad.store.PgAppendSql.Pending;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The PostgreSQL journal's writer: group commit of queued appends in multi-row statements, one
 * transaction per batch.
 *
 * <p>Notes. One platform thread ({@code myriad-journal-writer}) owns a connection of its own and
 * takes every queued append (up to {@code maxBatch}) into one transaction ({@link PgAppendSql});
 * a completer thread completes the futures after COMMIT, so that no producer's continuation runs
 * on the writer. Invariants, as on SQLite:
 * <ul>
 *   <li>A future completes normally only after the transaction holding its append committed.
 *   <li>A failure the environment causes (connection lost, server shutting down, deadlock or
 *       serialization failure, out of resources: SQLSTATE classes 08, 40, 53, 57, 58) rolls the
 *       batch back, and the same batch is tried again, on a new connection when the old one may
 *       be broken, with back-off from 50 ms to 2 s. Futures stay pending, producers block as the
 *       queue fills. Each attempt checks every fence against the database again.
 *   <li>Any other failure (a constraint or a value the append itself violates) fails the batch's
 *       appends one by one: each is tried alone, so only the guilty one fails.
 *   <li>Closing drains the queue; while stalled it waits {@code closeWaitMillis}, then fails
 *       what it holds as NOT written.
 * </ul>
 * Threads: {@code connection} is confined to the writer thread; {@code health} is written by it.
 */
final class PgJournalWriter {
    private static final System.Logger LOG = System.getLogger(PostgresStore.class.getName());

    /** Opens the writer's connection (again after a failure that may have broken it). */
    interface Opener {
        Connection open() throws SQLException;
    }

    private final Opener opener;
    private final Function<String, String> tenantOfRun;
    private final int maxBatch;
    private final long closeWaitMillis;
    private final BlockingQueue<Pending> queue;
    private final ExecutorService completer = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("myriad-journal-completer").daemon(true).factory());
    private final LongAdder batches = new LongAdder();
    private final LongAdder appends = new LongAdder();
    private final LongAdder commitNanos = new LongAdder();
    private final Thread thread;

    private final List<Consumer<JournalHealth>> listeners = new CopyOnWriteArrayList<>();
    private volatile JournalHealth health = JournalHealth.healthy(System.currentTimeMillis());
    private volatile boolean closing;
    private volatile long closeDeadline;
    private volatile boolean exited;

    private Connection connection;
    private AuditSql audit;

    PgJournalWriter(Opener opener, int queueCapacity, int maxBatch, long closeWaitMillis, Function<String, String> tenantOfRun) {
        if (maxBatch < 1 || queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity and maxBatch must be at least 1, got " + queueCapacity + ", " + maxBatch);
        }
        this.opener = opener;
        this.tenantOfRun = tenantOfRun;
        this.maxBatch = maxBatch;
        this.closeWaitMillis = closeWaitMillis;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.thread = Thread.ofPlatform().name("myriad-journal-writer").daemon(true).start(this::run);
    }

    CompletableFuture<Void> submit(Append append) {
        String[] bodies = new String[append.events().size()];
        for (int i = 0; i < bodies.length; i++) {
            bodies[i] = EventCodec.encode(append.events().get(i));
        }
        return enqueue(new Pending(append, bodies, JournalAudit.of(append, tenantOfRun.apply(append.runId())),
                new CompletableFuture<>()));
    }

    CompletableFuture<Void> submitAudit(List<AuditEntry> entries) {
        return enqueue(new Pending(null, new String[0], List.copyOf(entries), new CompletableFuture<>()));
    }

    private CompletableFuture<Void> enqueue(Pending p) {
        if (closing) {
            return CompletableFuture.failedFuture(new MyriadException("the journal is closed: this append was NOT written", false));
        }
        try {
            queue.put(p);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new MyriadException("interrupted while waiting for the journal", true, e));
        }
        if (exited) {
            failQueued("the journal writer has stopped");
        }
        return p.done();
    }

    JournalHealth health() {
        return health;
    }

    /**
     * Calls {@code listener} each time the journal stalls or resumes; not for every failed retry.
     * Listeners run on the completer thread, in order, and must return quickly.
     */
    void onHealthChange(Consumer<JournalHealth> listener) {
        listeners.add(java.util.Objects.requireNonNull(listener, "listener"));
    }

    SqliteStore.WriterStats stats() {
        return new SqliteStore.WriterStats(batches.sum(), appends.sum(), commitNanos.sum());
    }

    void close() {
        closeDeadline = System.currentTimeMillis() + closeWaitMillis;
        closing = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failQueued("the journal is closed");
        completer.shutdown();
        try {
            completer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- the writer thread

    private void run() {
        try {
            List<Pending> batch = new ArrayList<>(maxBatch);
            while (true) {
                Pending first = queue.poll(50, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closing && queue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                batch.clear();
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                write(List.copyOf(batch));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            exited = true;
            discardConnection();
        }
    }

    /** Writes the batch, retrying faults of the environment until it commits or the store closes. */
    private void write(List<Pending> batch) throws InterruptedException {
        long backoff = 50;
        long retries = 0;
        while (true) {
            try {
                long start = System.nanoTime();
                Set<Pending> fenced = attempt(batch);
                commitNanos.add(System.nanoTime() - start);
                batches.increment();
                appends.add(batch.size());
                if (retries > 0) {
                    recovered(retries, "committed");
                }
                completer.execute(() -> {
                    for (Pending p : batch) {
                        if (fenced.contains(p)) {
                            var a = p.append();
                            p.done().completeExceptionally(a.owner()
                                    .map(owner -> new JournalFenceException(a.runId(), a.expectedSeq(), owner))
                                    .orElseGet(() -> new JournalFenceException(a.runId(), a.expectedSeq())));
                        } else {
                            p.done().complete(null);
                        }
                    }
                });
                return;
            } catch (SQLException e) {
                rollbackQuietly();
                if (!retriable(e)) {
                    if (retries > 0) {
                        recovered(retries, "failed for another reason");
                    }
                    if (batch.size() > 1) {
                        for (Pending p : batch) {
                            write(List.of(p));
                        }
                    } else {
                        Pending p = batch.getFirst();
                        completer.execute(() -> p.done().completeExceptionally(new MyriadException(
                                "journal append was NOT written: " + e.getMessage(), false, e)));
                    }
                    return;
                }
                discardConnection();
                retries++;
                if (retries == 1) {
                    String problem = "journal stalled: PostgreSQL " + e.getSQLState() + " (" + e.getMessage()
                            + "); holding " + batch.size() + " appends and retrying";
                    LOG.log(Level.WARNING, problem);
                    health = new JournalHealth(false, problem, System.currentTimeMillis(), 1);
                    publish(health);
                } else {
                    JournalHealth h = health;
                    health = new JournalHealth(false, h.problem().isEmpty() ? "journal stalled" : h.problem(), h.since(), retries);
                }
                if (closing && System.currentTimeMillis() > closeDeadline) {
                    for (Pending p : batch) {
                        completer.execute(() -> p.done().completeExceptionally(new MyriadException(
                                "the journal closed while PostgreSQL was failing (" + e.getMessage() + "): this append was NOT written",
                                false, e)));
                    }
                    return;
                }
                Thread.sleep(backoff);
                backoff = Math.min(2_000, backoff * 2);
            }
        }
    }

    /** The stalled batch went through; {@code how}: committed, or failed for a reason no retry can fix. */
    private void recovered(long retries, String how) {
        JournalHealth was = health;
        health = JournalHealth.healthy(System.currentTimeMillis());
        LOG.log(Level.INFO, "journal resumed after " + retries + " failed attempts over " + (health.since() - was.since())
                + " ms: the appends it held were " + how + " (it was: " + was.problem() + ")");
        publish(health);
    }

    private void publish(JournalHealth h) {
        if (listeners.isEmpty()) {
            return;
        }
        completer.execute(() -> {
            for (Consumer<JournalHealth> listener : listeners) {
                try {
                    listener.accept(h);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "a journal health listener failed", e);
                }
            }
        });
    }

    private Set<Pending> attempt(List<Pending> batch) throws SQLException {
        if (connection == null) {
            connection = opener.open();
            connection.setAutoCommit(false);
            audit = new AuditSql(connection);
        }
        if (batch.stream().anyMatch(p -> p.append() != null)) {
            PgTail.lockPositions(connection);
        }
        Set<Pending> fenced = PgAppendSql.write(connection, batch);
        PgAppendSql.writeAudit(connection, audit, batch, fenced);
        connection.commit();
        return fenced;
    }

    /** Environment faults: connection (08), transaction rollback (40), resources (53), operator (57), system (58). */
    static boolean retriable(SQLException e) {
        String state = e.getSQLState();
        if (state == null) {
            return true; // the driver reports an I/O failure without a state
        }
        return state.startsWith("08") || state.startsWith("40") || state.startsWith("53") || state.startsWith("57")
                || state.startsWith("58") || state.equals("55P03");
    }

    private void rollbackQuietly() {
        if (connection == null) {
            return;
        }
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            discardConnection();
        }
    }

    private void discardConnection() {
        if (audit != null) {
            audit.close();
            audit = null;
        }
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // broken already
            }
            connection = null;
        }
    }

    private void failQueued(String reason) {
        List<Pending> left = new ArrayList<>();
        queue.drainTo(left);
        for (Pending p : left) {
            p.done().completeExceptionally(new MyriadException(reason + ": this append was NOT written", false));
        }
    }
}
