package io.myriad.store;

import io.myriad.core.MyriadException;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.audit.JournalAudit;
import io.myriad.core.journal.EventCodec;
import io.myriad.core.journal.Journal.Append;
import io.myriad.core.journal.JournalFenceException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The journal's one writer: group commit, fencing, and riding out faults of the disk.
 *
 * <p>Notes. One platform thread ({@code myriad-journal-writer}) owns the write connection and
 * takes every queued append (up to {@code maxBatch}) into one transaction; a completer thread
 * completes their futures after COMMIT. Invariants:
 * <ul>
 *   <li>A future completes normally only after the transaction holding its append committed.
 *   <li>A {@link StorageFault} (disk full, locked, I/O error…) rolls the whole transaction back,
 *       and the same batch, in the same order, is tried again with back-off until it commits:
 *       its futures stay pending, producers wait, the queue fills and new work stops. Each
 *       attempt evaluates every append against the database from scratch; the writer keeps no
 *       state derived from a transaction (no cached seqs, no set of known runs), so a rolled-back
 *       attempt leaves nothing behind and a retry can neither duplicate nor mis-fence.
 *   <li>An append that is itself at fault (a constraint it violates) fails alone: the batch is
 *       redone with a savepoint around each append, only on that rare path.
 *   <li>Audit records ride in the same transactions: those derived from an append are written
 *       right after its events (a fenced append writes neither), control actions as their own
 *       queue entries. The chain's tail is read from the table by each transaction and
 *       forgotten on rollback ({@link AuditSql}), so retries and other processes cannot fork it.
 *   <li>Closing drains the queue; while stalled it waits {@code closeWait} for the fault to
 *       clear, then fails what it holds as not written (none of it was acknowledged).
 * </ul>
 * Threads: {@code connection}, {@code statements}, {@code maxPageCount} and {@code fault} are
 * confined to the writer thread (the constructor hands the connection over before starting it).
 * {@code health} and {@code exitReason} are written by the writer only; {@code closeDeadline} and
 * {@code closing} by {@link #close()} only. No locks.
 */
final class JournalWriter {
    private static final System.Logger LOG = System.getLogger(SqliteStore.class.getName());

    /** How long the writer waits for locks and between attempts; tests shorten them. */
    record Settings(int busyTimeoutMillis, long minBackoffMillis, long maxBackoffMillis, long closeWaitMillis,
            Runnable beforeCommit) {
        static final Settings DEFAULTS = new Settings(10_000, 50, 2_000, 10_000, () -> { });

        Settings {
            Objects.requireNonNull(beforeCommit, "beforeCommit");
            if (busyTimeoutMillis < 0 || minBackoffMillis < 1 || maxBackoffMillis < minBackoffMillis || closeWaitMillis < 0) {
                throw new IllegalArgumentException("invalid journal writer settings: " + this);
            }
        }

        Settings withBeforeCommit(Runnable r) {
            return new Settings(busyTimeoutMillis, minBackoffMillis, maxBackoffMillis, closeWaitMillis, r);
        }
    }

    /** Opens a write connection, configured; used again after a fault left the last one unusable. */
    interface Opener {
        Connection open() throws SQLException;
    }

    /** Runs on the writer thread between transactions (tests only). */
    interface Task<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * An append waiting for the writer, its events already encoded and its audit entries derived
     * by the producer's thread; or, with no append, audit entries alone (a control action).
     */
    private record Pending(Append append, String[] bodies, List<AuditEntry> audit, CompletableFuture<Void> done) {
        boolean write(AppendSql st) throws SQLException {
            if (append == null) {
                st.writeAudit(audit);
                return true;
            }
            return st.write(append, bodies, audit);
        }
    }

    /** What one attempt at a batch came to. */
    private sealed interface Outcome {}

    /** Committed; the fenced and refused appends wrote nothing, the others are durable. */
    private record Committed(Set<Pending> fenced, Map<Pending, Exception> refused) implements Outcome {}

    /** Rolled back because of the environment; the same batch is tried again. */
    private record Stalled(StorageFault fault, SQLException cause) implements Outcome {}

    /** Rolled back for a reason no retry can fix; every append of the batch fails. */
    private record Failed(Exception cause) implements Outcome {}

    private final Path file;
    private final java.util.function.Function<String, String> tenantOfRun;
    private final Opener opener;
    private final Settings settings;
    private final int maxBatch;
    private final BlockingQueue<Pending> queue;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final List<Consumer<JournalHealth>> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService completer = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("myriad-journal-completer").daemon(true).factory());
    private final LongAdder batches = new LongAdder();
    private final LongAdder appends = new LongAdder();
    private final LongAdder commitNanos = new LongAdder();
    private final Thread thread;

    private volatile JournalHealth health;
    private volatile long closeDeadline;
    private volatile boolean closing;
    private volatile String exitReason;

    private Connection connection;
    private AppendSql statements;
    private long maxPageCount;
    private StorageFault fault;

    JournalWriter(Path file, Connection connection, Opener opener, int queueCapacity, int maxBatch, Settings settings,
                  java.util.function.Function<String, String> tenantOfRun) {
        this.tenantOfRun = tenantOfRun;
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, got " + maxBatch);
        }
        this.file = file;
        this.connection = connection;
        this.opener = opener;
        this.settings = settings;
        this.maxBatch = maxBatch;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.health = JournalHealth.healthy(System.currentTimeMillis());
        this.thread = Thread.ofPlatform().name("myriad-journal-writer").daemon(true).start(this::run);
    }

    // ---------------------------------------------------------------- producers' side

    CompletableFuture<Void> submit(Append append) {
        if (closing) {
            return CompletableFuture.failedFuture(new MyriadException("the journal is closed: this append was NOT written", false));
        }
        String[] bodies = new String[append.events().size()];
        for (int i = 0; i < bodies.length; i++) {
            bodies[i] = EventCodec.encode(append.events().get(i));
        }
        return enqueue(new Pending(append, bodies, JournalAudit.of(append, tenantOfRun.apply(append.runId())),
                new CompletableFuture<>()));
    }

    CompletableFuture<Void> submitAudit(List<AuditEntry> entries) {
        if (closing) {
            return CompletableFuture.failedFuture(new MyriadException("the journal is closed: these audit records were NOT written", false));
        }
        return enqueue(new Pending(null, new String[0], List.copyOf(entries), new CompletableFuture<>()));
    }

    private CompletableFuture<Void> enqueue(Pending pending) {
        try {
            queue.put(pending);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new MyriadException("interrupted while waiting for the journal", true, e));
        }
        if (exitReason != null) {
            // The writer is gone; whatever is still queued (this append included) will never be written.
            failQueued();
        }
        return pending.done();
    }

    JournalHealth health() {
        return health;
    }

    void onHealthChange(Consumer<JournalHealth> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    SqliteStore.WriterStats stats() {
        return new SqliteStore.WriterStats(batches.sum(), appends.sum(), commitNanos.sum());
    }

    /** Runs {@code task} on the writer thread between transactions, or before its next retry (tests only). */
    <T> CompletableFuture<T> onWriterThread(Task<T> task) {
        var result = new CompletableFuture<T>();
        tasks.add(() -> {
            try {
                result.complete(task.run(writeConnection()));
            } catch (SQLException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        LockSupport.unpark(thread);
        if (exitReason != null) {
            result.completeExceptionally(new IllegalStateException("the journal writer has stopped"));
        }
        return result;
    }

    /**
     * Caps the database at {@code pages} pages, or at its current size if it is larger; the cap
     * is kept across reconnections. Returns the cap.
     */
    CompletableFuture<Long> setMaxPageCount(long pages) {
        return onWriterThread(c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA page_count")) {
                maxPageCount = Math.max(pages, rs.getLong(1));
            }
            return applyMaxPageCount(c);
        });
    }

    /**
     * Drains the queue and stops the writer. While stalled, waits up to {@code closeWait} for the
     * fault to clear, then fails the appends still held as not written. Returns within
     * {@code closeWait} plus one attempt (at most the busy timeout) once the writer is stalled.
     */
    void close() {
        closeDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.closeWaitMillis());
        closing = true;
        LockSupport.unpark(thread);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        completer.shutdown();
        try {
            completer.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- the writer thread

    private void run() {
        List<Pending> batch = new ArrayList<>(maxBatch);
        String reason = "the journal closed before this append was written";
        try {
            while (true) {
                runTasks();
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closing) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                Optional<String> gaveUp = write(batch);
                if (gaveUp.isPresent()) {
                    reason = gaveUp.get();
                    return;
                }
                batch.clear();
            }
        } catch (InterruptedException e) {
            reason = "the journal writer was interrupted";
        } catch (RuntimeException | Error e) {
            reason = "the journal writer failed: " + e;
            throw e;
        } finally {
            exitReason = reason;
            var cause = notWritten(reason, null);
            batch.forEach(p -> p.done().completeExceptionally(cause));
            failQueued();
            discardConnection();
        }
    }

    /**
     * Commits the batch, retrying while the environment is at fault; the reason it gave up,
     * when the store is closing and the fault outlasted the close wait.
     */
    private Optional<String> write(List<Pending> batch) throws InterruptedException {
        long backoff = settings.minBackoffMillis();
        while (true) {
            long begin = System.nanoTime();
            switch (attempt(batch)) {
                case Committed c -> {
                    commitNanos.add(System.nanoTime() - begin);
                    batches.increment();
                    appends.add(batch.size());
                    recovered(true);
                    complete(List.copyOf(batch), c);
                    return Optional.empty();
                }
                case Failed f -> {
                    recovered(false);
                    var failure = new MyriadException("journal write failed: " + f.cause().getMessage()
                            + "; the appends of this transaction were NOT written (check the journal with"
                            + " sqlite3 " + file.toAbsolutePath() + " 'PRAGMA integrity_check')", false, f.cause());
                    batch.forEach(p -> p.done().completeExceptionally(failure));
                    return Optional.empty();
                }
                case Stalled s -> {
                    stalled(s);
                    boolean closingNow = closing; // read before closeDeadline, which close() writes first
                    long left = closeDeadline - System.nanoTime();
                    if (closingNow && left <= 0) {
                        String reason = "the journal closed while stalled (" + health.problem() + ")";
                        var failure = notWritten(reason, s.cause());
                        batch.forEach(p -> p.done().completeExceptionally(failure));
                        return Optional.of(reason);
                    }
                    long wait = TimeUnit.MILLISECONDS.toNanos(backoff);
                    LockSupport.parkNanos(this, closingNow ? Math.min(wait, left) : wait);
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                    backoff = Math.min(backoff * 2, settings.maxBackoffMillis());
                    runTasks();
                }
            }
        }
    }

    /** One transaction for the whole batch; on a failure that is no fault of the environment, one append at a time. */
    private Outcome attempt(List<Pending> batch) {
        Set<Pending> fenced = Collections.newSetFromMap(new IdentityHashMap<>());
        try {
            settings.beforeCommit().run();
            AppendSql st = statements();
            connection.setAutoCommit(false);
            st.begin();
            for (Pending p : batch) {
                if (!p.write(st)) {
                    fenced.add(p);
                }
            }
            st.flushAll();
            connection.commit();
        } catch (SQLException e) {
            abort();
            Optional<StorageFault> f = StorageFault.of(e);
            return f.isPresent() ? new Stalled(f.get(), e) : attemptEachAlone(batch);
        } catch (RuntimeException e) {
            abort();
            return attemptEachAlone(batch);
        }
        endTransaction();
        return new Committed(fenced, Map.of());
    }

    /** The batch again, each append inside its own savepoint: only the appends at fault are refused. */
    private Outcome attemptEachAlone(List<Pending> batch) {
        Set<Pending> fenced = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<Pending, Exception> refused = new IdentityHashMap<>();
        try {
            AppendSql st = statements();
            connection.setAutoCommit(false);
            st.begin();
            for (Pending p : batch) {
                st.savepoint();
                try {
                    if (!p.write(st)) {
                        fenced.add(p);
                    }
                    st.flushAll();
                } catch (SQLException | RuntimeException e) {
                    if (e instanceof SQLException sql && StorageFault.of(sql).isPresent()) {
                        throw sql;
                    }
                    // The driver finalizes a statement that fails for most reasons: prepare them again.
                    st = renewStatements();
                    st.rollbackToSavepoint();
                    refused.put(p, e);
                }
                st.releaseSavepoint();
            }
            connection.commit();
        } catch (SQLException e) {
            abort();
            Optional<StorageFault> f = StorageFault.of(e);
            return f.isPresent() ? new Stalled(f.get(), e) : new Failed(e);
        } catch (RuntimeException e) {
            abort();
            return new Failed(e);
        }
        endTransaction();
        return new Committed(fenced, refused);
    }

    /** After COMMIT succeeded: the appends are durable whatever happens here. */
    private void endTransaction() {
        try {
            connection.setAutoCommit(true);
        } catch (SQLException e) {
            discardConnection();
        }
    }

    /**
     * Rolls the open transaction back and drops the connection; the next attempt opens a new one.
     * After a failure the old one cannot be trusted: SQLite may have rolled back by itself
     * (SQLITE_FULL can) while the driver believes a transaction is still open, and the driver
     * finalizes a statement that fails for most reasons (SQLITE_FULL, SQLITE_IOERR…).
     */
    private void abort() {
        if (connection == null) {
            return;
        }
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
        } catch (SQLException ignored) {
            // closing the connection rolls back whatever is still open
        }
        discardConnection();
    }

    private AppendSql renewStatements() throws SQLException {
        statements.close();
        statements = null;
        statements = new AppendSql(connection);
        return statements;
    }

    private Connection writeConnection() throws SQLException {
        statements();
        return connection;
    }

    private AppendSql statements() throws SQLException {
        if (statements != null) {
            return statements;
        }
        if (connection == null) {
            try {
                connection = opener.open();
            } catch (SQLException e) {
                if (StorageFault.of(e).isPresent()) {
                    throw e;
                }
                var cannotOpen = new SQLiteException(e.getMessage(), SQLiteErrorCode.SQLITE_CANTOPEN);
                cannotOpen.initCause(e);
                throw cannotOpen;
            }
        }
        try {
            applyMaxPageCount(connection);
            statements = new AppendSql(connection);
        } catch (SQLException e) {
            discardConnection();
            throw e;
        }
        return statements;
    }

    private long applyMaxPageCount(Connection c) throws SQLException {
        if (maxPageCount <= 0) {
            return 0;
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA max_page_count=" + maxPageCount)) {
            return rs.getLong(1);
        }
    }

    private void discardConnection() {
        if (statements != null) {
            statements.close();
            statements = null;
        }
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // replaced or closing: nothing more to do with it
            }
            connection = null;
        }
    }

    private void runTasks() {
        for (Runnable t = tasks.poll(); t != null; t = tasks.poll()) {
            t.run();
        }
    }

    /** Waking the producers here would be a quarter of the writer's time (JMH -prof stack); the completer does it. */
    private void complete(List<Pending> done, Committed c) {
        completer.execute(() -> {
            for (Pending p : done) {
                Exception refusal = c.refused().get(p);
                if (c.fenced().contains(p)) {
                    p.done().completeExceptionally(new JournalFenceException(p.append().runId(), p.append().expectedSeq()));
                } else if (refusal != null) {
                    String what = p.append() == null ? "audit append"
                            : "journal append to run " + p.append().runId() + " at seq " + p.append().expectedSeq();
                    p.done().completeExceptionally(new MyriadException(what + " was refused by the database and NOT written: "
                            + refusal.getMessage() + "; the other appends of its transaction were written", false, refusal));
                } else {
                    p.done().complete(null);
                }
            }
        });
    }

    private void failQueued() {
        List<Pending> left = new ArrayList<>();
        queue.drainTo(left);
        if (!left.isEmpty()) {
            var cause = notWritten(exitReason, null);
            left.forEach(p -> p.done().completeExceptionally(cause));
        }
    }

    private static MyriadException notWritten(String reason, Exception cause) {
        return new MyriadException(reason + ": this append was NOT written (it had not been acknowledged);"
                + " run the work again once the journal is open and healthy", true, cause);
    }

    // ---------------------------------------------------------------- health

    private void stalled(Stalled s) {
        JournalHealth before = health;
        if (s.fault() == fault) {
            health = new JournalHealth(false, before.problem(), before.since(), before.retries() + 1);
            return;
        }
        fault = s.fault();
        String problem = s.fault().problem(StorageFault.codeName(s.cause()), file, every(settings.maxBackoffMillis()));
        health = before.ok()
                ? new JournalHealth(false, problem, System.currentTimeMillis(), 1)
                : new JournalHealth(false, problem, before.since(), before.retries() + 1);
        LOG.log(Level.WARNING, problem + " [" + s.cause().getMessage() + "]");
        publish(health);
    }

    /** The stalled batch went through: committed, or failed for a reason no retry can fix. */
    private void recovered(boolean committed) {
        if (fault == null) {
            return;
        }
        JournalHealth was = health;
        fault = null;
        health = JournalHealth.healthy(System.currentTimeMillis());
        LOG.log(Level.INFO, "journal resumed after " + was.retries() + " failed attempts over "
                + (health.since() - was.since()) + " ms: the appends it held were "
                + (committed ? "committed" : "failed for another reason") + " (it was: " + was.problem() + ")");
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

    private static String every(long millis) {
        return millis % 1_000 == 0 ? millis / 1_000 + " s" : millis + " ms";
    }
}
