package io.myriad.store;

import io.myriad.core.MyriadException;
import io.myriad.core.journal.EventCodec;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalFenceException;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.RunState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The journal and the run repository in one SQLite file (WAL mode).
 *
 * <p>Notes. One platform thread, the journal writer, owns the write connection and
 * group-commits: it takes every queued append (up to {@code maxBatch}) into one transaction.
 * The queue is bounded, so producers block when the disk is slower than they are: events are
 * never dropped. Fencing is the conditional insert of an append's first event: its
 * {@code (run_id, seq)} must be free and its predecessor present, checked in the same
 * transaction, so it holds across threads and across processes (SQLite serialises writers).
 * The {@code runs} summary row is rewritten on a run's final append and every
 * {@value #SUMMARY_EVERY} events in between, not on every append: it is a listing aid, the
 * events are the truth. Reads use their own connection, which WAL lets run beside the writer.
 * Reads borrow one of a few read connections from a pool; {@code adminLock} guards the
 * connection that creates executions.
 */
public final class SqliteStore implements Journal, RunRepository {
    private static final int SCHEMA_VERSION = 1;

    /** How hard SQLite works to make each commit survive a power loss. */
    public enum Sync {
        /** Survives a killed process; a power loss may lose the last transactions (WAL stays consistent). */
        NORMAL,
        /** Survives a power loss; each commit waits for fsync. */
        FULL,
        /** Survives a killed process only in WAL mode; fastest. */
        OFF
    }

    private final Path file;
    private final BlockingQueue<Pending> queue;
    private final int maxBatch;
    private final Connection writeConnection;
    private final BlockingQueue<Connection> readers;
    private final List<Connection> readConnections = new ArrayList<>();
    private final Connection adminConnection;
    private final ReentrantLock adminLock = new ReentrantLock();
    private final Thread writer;
    private final java.util.concurrent.ExecutorService completer = java.util.concurrent.Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("myriad-journal-completer").daemon(true).factory());
    private volatile boolean closed;
    private final java.util.concurrent.atomic.LongAdder batches = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder appends = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder commitNanos = new java.util.concurrent.atomic.LongAdder();

    /** An append waiting for the writer, its events already encoded by the producer's thread. */
    private record Pending(Append append, String[] bodies, CompletableFuture<Void> done) {}

    /** Runs before each commit; tests slow the writer down with it, as a slow disk would. */
    private final Runnable beforeCommit;

    private SqliteStore(Path file, Sync sync, int queueCapacity, int maxBatch, Runnable beforeCommit) throws SQLException {
        this.beforeCommit = beforeCommit;
        this.file = file;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.maxBatch = maxBatch;
        this.writeConnection = open(file, sync);
        migrate(writeConnection);
        int readerCount = Math.max(2, Runtime.getRuntime().availableProcessors());
        this.readers = new ArrayBlockingQueue<>(readerCount);
        for (int i = 0; i < readerCount; i++) {
            Connection c = open(file, sync);
            readConnections.add(c);
            readers.add(c);
        }
        this.adminConnection = open(file, sync);
        this.writer = Thread.ofPlatform().name("myriad-journal-writer").daemon(true).start(this::writeLoop);
    }

    /** Opens (creating if needed) the store at {@code file} with the default settings. */
    public static SqliteStore open(Path file) {
        return open(file, Sync.NORMAL, 16_384, 1_000);
    }

    /**
     * Opens (creating if needed) the store.
     *
     * @param queueCapacity appends waiting for the writer before producers block
     * @param maxBatch      appends per transaction at most
     */
    public static SqliteStore open(Path file, Sync sync, int queueCapacity, int maxBatch) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(sync, "sync");
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            return new SqliteStore(file, sync, queueCapacity, maxBatch, () -> { });
        } catch (java.io.IOException | SQLException e) {
            throw new MyriadException("cannot open the journal at " + file + ": " + e.getMessage()
                    + " (check that the folder is writable, or choose another with --data)", false, e);
        }
    }

    /** A store whose writer runs {@code beforeCommit} before every transaction (tests only). */
    static SqliteStore openWithSlowWriter(Path file, int queueCapacity, int maxBatch, Runnable beforeCommit) {
        try {
            return new SqliteStore(file, Sync.NORMAL, queueCapacity, maxBatch, beforeCommit);
        } catch (SQLException e) {
            throw new MyriadException("cannot open the journal at " + file + ": " + e.getMessage(), false, e);
        }
    }

    private static Connection open(Path file, Sync sync) throws SQLException {
        var props = new java.util.Properties();
        // The driver would otherwise run "select last_insert_rowid()" after every insert.
        props.setProperty("jdbc.get_generated_keys", "false");
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), props);
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout=10000");
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA synchronous=" + sync.name());
            s.execute("PRAGMA cache_size=-262144");
            s.execute("PRAGMA temp_store=MEMORY");
        }
        return c;
    }

    private static void migrate(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            int version;
            try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
                version = rs.getInt(1);
            }
            if (version > SCHEMA_VERSION) {
                throw new SQLException("the journal was written by a newer Myriad (schema " + version
                        + ", this version knows " + SCHEMA_VERSION + ")");
            }
            if (version < 1) {
                c.setAutoCommit(false);
                s.execute("""
                        CREATE TABLE IF NOT EXISTS executions (
                          id TEXT PRIMARY KEY, fleet TEXT NOT NULL, n INTEGER NOT NULL, digest TEXT NOT NULL,
                          source TEXT NOT NULL, started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL DEFAULT 0,
                          tasks INTEGER NOT NULL)""");
                s.execute("CREATE INDEX IF NOT EXISTS executions_by_fleet ON executions(fleet, n)");
                s.execute("""
                        CREATE TABLE IF NOT EXISTS runs (
                          run_id TEXT PRIMARY KEY, execution TEXT NOT NULL, fleet TEXT NOT NULL, task TEXT NOT NULL,
                          agent TEXT NOT NULL, seq INTEGER NOT NULL, state TEXT NOT NULL, steps INTEGER NOT NULL,
                          model_calls INTEGER NOT NULL, tokens INTEGER NOT NULL, cost REAL NOT NULL, updated_at INTEGER NOT NULL, detail TEXT NOT NULL
                        ) WITHOUT ROWID""");
                s.execute("CREATE INDEX IF NOT EXISTS runs_by_execution ON runs(execution)");
                s.execute("""
                        CREATE TABLE IF NOT EXISTS events (
                          run_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL,
                          body TEXT NOT NULL, PRIMARY KEY (run_id, seq))""");
                s.execute("PRAGMA user_version=1");
                c.commit();
                c.setAutoCommit(true);
            }
        }
    }

    /** Where the database lives. */
    public Path file() {
        return file;
    }

    // ---------------------------------------------------------------- journal: writes

    @Override
    public CompletableFuture<Void> append(Append append) {
        Objects.requireNonNull(append, "append");
        if (closed) {
            return CompletableFuture.failedFuture(new MyriadException("the journal is closed", false));
        }
        if (append.expectedSeq() == 0 && !(append.events().getFirst() instanceof RunEvent.RunStarted)) {
            throw new IllegalArgumentException("the first event of a run must be run_started");
        }
        String[] bodies = new String[append.events().size()];
        for (int i = 0; i < bodies.length; i++) {
            bodies[i] = EventCodec.encode(append.events().get(i));
        }
        var pending = new Pending(append, bodies, new CompletableFuture<>());
        try {
            queue.put(pending);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new MyriadException("interrupted while waiting for the journal", true, e));
        }
        return pending.done();
    }

    private void writeLoop() {
        List<Pending> batch = new ArrayList<>(maxBatch);
        try (Statements st = new Statements(writeConnection)) {
            while (!closed || !queue.isEmpty()) {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                long begin = System.nanoTime();
                beforeCommit.run();
                commit(batch, st);
                commitNanos.add(System.nanoTime() - begin);
                batches.increment();
                appends.add(batch.size());
                batch.clear();
            }
        } catch (SQLException | InterruptedException e) {
            failAll(batch, e);
        } catch (RuntimeException e) {
            failAll(batch, e);
            throw e;
        }
    }

    /** The run's summary row is rewritten on its final append and at least every this many events. */
    private static final int SUMMARY_EVERY = 32;

    private void commit(List<Pending> batch, Statements st) {
        Set<Pending> fenced = Collections.newSetFromMap(new IdentityHashMap<>());
        try {
            writeConnection.setAutoCommit(false);
            for (Pending p : batch) {
                if (!appendOne(p, st)) {
                    fenced.add(p);
                }
            }
            st.insertEvent.executeBatch();
            writeConnection.commit();
            writeConnection.setAutoCommit(true);
        } catch (SQLException | RuntimeException e) {
            try {
                writeConnection.rollback();
                writeConnection.setAutoCommit(true);
            } catch (SQLException ignored) {
                // the original failure is what the callers need to see
            }
            failAll(batch, e);
            return;
        }
        // Waking the producers is a quarter of the writer's time when done here (JMH -prof stack);
        // the completer thread does it while the writer starts the next transaction.
        List<Pending> done = List.copyOf(batch);
        completer.execute(() -> {
            for (Pending p : done) {
                if (fenced.contains(p)) {
                    p.done().completeExceptionally(new JournalFenceException(p.append().runId(), p.append().expectedSeq()));
                } else {
                    p.done().complete(null);
                }
            }
        });
    }

    /**
     * Writes one append inside the open transaction, or nothing when it is fenced (returns false).
     * The fence is the first event's insert: it must not exist yet (primary key) and, after seq
     * 0, its predecessor must. The other events of the append follow it in the same transaction,
     * which no other writer can interleave.
     */
    private boolean appendOne(Pending p, Statements st) throws SQLException {
        Append a = p.append();
        RunStatus status = a.status();
        long newSeq = a.expectedSeq() + a.events().size();
        if (a.expectedSeq() == 0) {
            var started = (RunEvent.RunStarted) a.events().getFirst();
            PreparedStatement ins = st.insertRun;
            ins.setString(1, a.runId());
            ins.setString(2, started.execution());
            ins.setString(3, started.fleet());
            ins.setString(4, started.task());
            ins.setString(5, started.agent());
            bindStatus(ins, 6, newSeq, status);
            if (ins.executeUpdate() != 1) {
                return false;
            }
        }
        PreparedStatement first = st.insertFirstEvent;
        bindEvent(first, a.runId(), a.expectedSeq(), a.events().getFirst(), p.bodies()[0]);
        first.setString(6, a.runId());
        first.setLong(7, a.expectedSeq() - 1);
        first.setLong(8, a.expectedSeq());
        if (first.executeUpdate() != 1) {
            return false;
        }
        for (int i = 1; i < p.bodies().length; i++) {
            bindEvent(st.insertEvent, a.runId(), a.expectedSeq() + i, a.events().get(i), p.bodies()[i]);
            st.insertEvent.addBatch();
        }
        if (a.expectedSeq() > 0 && (status.state().isFinal() || newSeq / SUMMARY_EVERY != a.expectedSeq() / SUMMARY_EVERY)) {
            bindStatus(st.updateRun, 1, newSeq, status);
            st.updateRun.setString(9, a.runId());
            st.updateRun.executeUpdate();
        }
        return true;
    }

    private static void bindEvent(PreparedStatement ps, String runId, long seq, RunEvent e, String body) throws SQLException {
        ps.setString(1, runId);
        ps.setLong(2, seq);
        ps.setString(3, EventCodec.typeName(e));
        ps.setLong(4, e.at());
        ps.setString(5, body);
    }

    /** Binds seq, state, steps, model_calls, tokens, cost, updated_at, detail from {@code from}. */
    private static void bindStatus(PreparedStatement ps, int from, long seq, RunStatus st) throws SQLException {
        ps.setLong(from, seq);
        ps.setString(from + 1, st.state().name());
        ps.setLong(from + 2, st.steps());
        ps.setLong(from + 3, st.modelCalls());
        ps.setLong(from + 4, st.tokens());
        ps.setDouble(from + 5, st.costUsd());
        ps.setLong(from + 6, st.updatedAt());
        ps.setString(from + 7, st.detail());
    }

    /** The writer's prepared statements. */
    private static final class Statements implements AutoCloseable {
        final PreparedStatement insertRun;
        final PreparedStatement updateRun;
        final PreparedStatement insertFirstEvent;
        final PreparedStatement insertEvent;

        Statements(Connection c) throws SQLException {
            insertRun = c.prepareStatement(
                    "INSERT INTO runs(run_id, execution, fleet, task, agent, seq, state, steps, model_calls, tokens, cost,"
                            + " updated_at, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(run_id) DO NOTHING");
            updateRun = c.prepareStatement(
                    "UPDATE runs SET seq=?, state=?, steps=?, model_calls=?, tokens=?, cost=?, updated_at=?, detail=? WHERE run_id=?");
            insertFirstEvent = c.prepareStatement(
                    "INSERT INTO events(run_id, seq, type, at, body) SELECT ?,?,?,?,?"
                            + " WHERE EXISTS (SELECT 1 FROM events WHERE run_id=? AND seq=?) OR ?=0"
                            + " ON CONFLICT(run_id, seq) DO NOTHING");
            insertEvent = c.prepareStatement("INSERT INTO events(run_id, seq, type, at, body) VALUES (?,?,?,?,?)");
        }

        @Override
        public void close() throws SQLException {
            insertRun.close();
            updateRun.close();
            insertFirstEvent.close();
            insertEvent.close();
        }
    }

    private static void failAll(List<Pending> batch, Exception cause) {
        var failure = new MyriadException("journal write failed: " + cause.getMessage()
                + " (is the disk full or the file read-only?)", true, cause);
        batch.forEach(p -> p.done().completeExceptionally(failure));
    }

    // ---------------------------------------------------------------- journal: reads

    @Override
    public List<JournalRecord> read(String runId) {
        return query("SELECT seq, body FROM events WHERE run_id=? ORDER BY seq", ps -> ps.setString(1, runId), rs -> {
            List<JournalRecord> out = new ArrayList<>();
            while (rs.next()) {
                out.add(new JournalRecord(runId, rs.getLong(1), EventCodec.decode(rs.getString(2))));
            }
            return out;
        });
    }

    /** What the writer has done: transactions, appends in them, and time spent committing. */
    public record WriterStats(long transactions, long appends, long commitNanos) {
        public double appendsPerTransaction() {
            return transactions == 0 ? 0 : (double) appends / transactions;
        }
    }

    public WriterStats writerStats() {
        return new WriterStats(batches.sum(), appends.sum(), commitNanos.sum());
    }

    /** Events and bytes stored, for the figures printed after a run. */
    public record Size(long events, long bytes) {}

    public Size size() {
        return query("SELECT count(*), coalesce(sum(length(body)),0) FROM events", ps -> { },
                rs -> new Size(rs.getLong(1), rs.getLong(2)));
    }

    // ---------------------------------------------------------------- repository

    @Override
    public Optional<Execution> unfinishedExecution(String fleet) {
        return query("SELECT " + EXEC_COLS + " FROM executions WHERE fleet=? AND finished_at=0 ORDER BY n DESC LIMIT 1",
                ps -> ps.setString(1, fleet), rs -> rs.next() ? Optional.of(execution(rs)) : Optional.empty());
    }

    @Override
    public Execution createExecution(String fleet, String digest, String source, int tasks, long now) {
        adminLock.lock();
        try {
            adminConnection.setAutoCommit(false);
            int n;
            try (PreparedStatement ps = adminConnection.prepareStatement(
                    "SELECT coalesce(max(n),0)+1 FROM executions WHERE fleet=?")) {
                ps.setString(1, fleet);
                try (ResultSet rs = ps.executeQuery()) {
                    n = rs.getInt(1);
                }
            }
            String id = fleet + "-" + n;
            try (PreparedStatement ps = adminConnection.prepareStatement(
                    "INSERT INTO executions(id, fleet, n, digest, source, started_at, tasks) VALUES (?,?,?,?,?,?,?)")) {
                ps.setString(1, id);
                ps.setString(2, fleet);
                ps.setInt(3, n);
                ps.setString(4, digest);
                ps.setString(5, source);
                ps.setLong(6, now);
                ps.setInt(7, tasks);
                ps.executeUpdate();
            }
            adminConnection.commit();
            return new Execution(id, fleet, digest, source, now, 0, tasks);
        } catch (SQLException e) {
            rollbackQuietly(adminConnection);
            throw new MyriadException("cannot record the execution of fleet " + fleet + ": " + e.getMessage(), true, e);
        } finally {
            autoCommitQuietly(adminConnection);
            adminLock.unlock();
        }
    }

    @Override
    public void finishExecution(String executionId, long now) {
        adminLock.lock();
        try (PreparedStatement ps = adminConnection.prepareStatement("UPDATE executions SET finished_at=? WHERE id=?")) {
            ps.setLong(1, now);
            ps.setString(2, executionId);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new MyriadException("cannot mark execution " + executionId + " finished: " + e.getMessage(), true, e);
        } finally {
            adminLock.unlock();
        }
    }

    private static final String EXEC_COLS = "id, fleet, digest, source, started_at, finished_at, tasks";
    private static final String RUN_COLS =
            "run_id, execution, fleet, task, agent, seq, state, steps, model_calls, tokens, cost, updated_at, detail";

    private static Execution execution(ResultSet rs) throws SQLException {
        return new Execution(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                rs.getLong(6), rs.getInt(7));
    }

    private static RunRow runRow(ResultSet rs) throws SQLException {
        var status = new RunStatus(RunState.valueOf(rs.getString(7)), rs.getLong(8), rs.getLong(9), rs.getLong(10),
                rs.getDouble(11), rs.getLong(12), rs.getString(13));
        return new RunRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getLong(6), status);
    }

    @Override
    public Optional<Execution> execution(String executionId) {
        return query("SELECT " + EXEC_COLS + " FROM executions WHERE id=?", ps -> ps.setString(1, executionId),
                rs -> rs.next() ? Optional.of(execution(rs)) : Optional.empty());
    }

    @Override
    public List<Execution> executions(int limit) {
        return query("SELECT " + EXEC_COLS + " FROM executions ORDER BY started_at DESC, n DESC LIMIT ?",
                ps -> ps.setInt(1, limit), rs -> {
                    List<Execution> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(execution(rs));
                    }
                    return out;
                });
    }

    /** How many runs an execution has journaled, and how many of them are final. */
    public record RunCounts(long runs, long finals) {}

    /** Counts with one query, without loading the rows (a resumed execution may hold millions). */
    public RunCounts runCounts(String executionId) {
        String finals = java.util.Arrays.stream(RunState.values()).filter(RunState::isFinal)
                .map(st -> "'" + st.name() + "'").collect(java.util.stream.Collectors.joining(","));
        return query("SELECT count(*), coalesce(sum(state IN (" + finals + ")), 0) FROM runs WHERE execution=?",
                ps -> ps.setString(1, executionId), rs -> new RunCounts(rs.getLong(1), rs.getLong(2)));
    }

    @Override
    public List<RunRow> runs(String executionId) {
        return query("SELECT " + RUN_COLS + " FROM runs WHERE execution=? ORDER BY run_id", ps -> ps.setString(1, executionId),
                SqliteStore::runRows);
    }

    @Override
    public List<RunRow> recentRuns(int limit) {
        return query("SELECT " + RUN_COLS + " FROM runs ORDER BY updated_at DESC, run_id LIMIT ?", ps -> ps.setInt(1, limit),
                SqliteStore::runRows);
    }

    @Override
    public Optional<RunRow> run(String runId) {
        return query("SELECT " + RUN_COLS + " FROM runs WHERE run_id=?", ps -> ps.setString(1, runId),
                rs -> rs.next() ? Optional.of(runRow(rs)) : Optional.empty());
    }

    private static List<RunRow> runRows(ResultSet rs) throws SQLException {
        List<RunRow> out = new ArrayList<>();
        while (rs.next()) {
            out.add(runRow(rs));
        }
        return out;
    }

    // ---------------------------------------------------------------- plumbing

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private interface Reader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> T query(String sql, Binder binder, Reader<T> reader) {
        Connection c;
        try {
            c = readers.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MyriadException("interrupted while waiting for a journal reader", true, e);
        }
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            try (ResultSet rs = ps.executeQuery()) {
                return reader.read(rs);
            }
        } catch (SQLException e) {
            throw new MyriadException("journal query failed: " + e.getMessage(), true, e);
        } finally {
            readers.add(c);
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // reported by the caller
        }
    }

    private static void autoCommitQuietly(Connection c) {
        try {
            c.setAutoCommit(true);
        } catch (SQLException ignored) {
            // the next use reports it
        }
    }

    /** Drains the writer's queue, then closes every connection. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            writer.join();
            completer.shutdown();
            completer.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Connection> all = new ArrayList<>(readConnections);
        all.add(writeConnection);
        all.add(adminConnection);
        for (Connection c : all) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing; nothing more to do
            }
        }
    }
}
