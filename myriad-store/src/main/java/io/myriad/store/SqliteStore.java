package io.myriad.store;

import io.myriad.core.MyriadException;
import io.myriad.core.budget.BudgetStore;
import io.myriad.core.budget.Ceilings;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.audit.AuditChain;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.audit.AuditLog;
import io.myriad.core.audit.AuditRecord;
import io.myriad.core.audit.AuditVerification;
import io.myriad.core.auth.AccessStore;
import io.myriad.core.auth.Role;
import io.myriad.core.auth.TenantScope;
import io.myriad.core.control.Action;
import io.myriad.core.control.Control;
import io.myriad.core.control.Controls;
import io.myriad.core.control.Scope;
import io.myriad.core.delivery.Deliveries;
import io.myriad.core.delivery.Delivery;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.run.DuplicateTaskException;
import io.myriad.core.journal.EventCodec;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
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
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The journal and the run repository in one SQLite file (WAL mode).
 *
 * <p>Notes. Appends go to the {@link JournalWriter}: one platform thread that group-commits
 * queued appends, blocks producers when its bounded queue is full (events are never dropped),
 * fences stale writers with a conditional insert, and rides out faults of the disk (full,
 * locked by another process, I/O errors) by holding and retrying its transaction, which
 * {@link #health()} reports. The {@code runs} summary row is rewritten on a run's final append
 * and every 32 events in between, not on every append: it is a listing aid, the events are the
 * truth. Reads borrow one of a few read connections from a pool, which WAL lets run beside the
 * writer; {@code adminLock} guards the connection that creates executions. The audit log
 * ({@code audit} table) is appended by the same writer: the records derived from a journal
 * append go in that append's transaction, control actions through {@link #appendAudit}; the
 * writer assigns each its seq and chains its hash to the last one. Deliveries, like keys,
 * budgets and controls, are written in a transaction of their own on the admin connection, never
 * through the writer's queue; SQLite's busy timeout orders them with the writer's commits.
 */
public final class SqliteStore implements Store {
    private static final int SCHEMA_VERSION = 11;

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
    private final JournalWriter writer;
    private final BlockingQueue<Connection> readers;
    private final List<Connection> readConnections = new ArrayList<>();
    private final Connection adminConnection;
    private final ReentrantLock adminLock = new ReentrantLock();
    private final java.util.concurrent.ConcurrentHashMap<String, String> tenantByExecution = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closed;

    private SqliteStore(Path file, Sync sync, int queueCapacity, int maxBatch, JournalWriter.Settings settings)
            throws SQLException {
        this.file = file;
        Connection writeConnection = connect(file, sync, settings.busyTimeoutMillis());
        migrate(writeConnection);
        int readerCount = Math.max(2, Runtime.getRuntime().availableProcessors());
        this.readers = new ArrayBlockingQueue<>(readerCount);
        for (int i = 0; i < readerCount; i++) {
            Connection c = connect(file, sync, DEFAULT_BUSY_TIMEOUT_MILLIS);
            readConnections.add(c);
            readers.add(c);
        }
        // Its transactions read then write (the next execution number, then the row): begun
        // IMMEDIATE they wait for another writer, where a deferred one would fail at once with
        // SQLITE_BUSY on the upgrade (seen with two fleets started together by myriad serve).
        this.adminConnection = connect(file, sync, DEFAULT_BUSY_TIMEOUT_MILLIS, true);
        this.writer = new JournalWriter(file, writeConnection, () -> connect(file, sync, settings.busyTimeoutMillis()),
                queueCapacity, maxBatch, settings, this::tenantOfRun);
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
            return open(file, sync, queueCapacity, maxBatch, JournalWriter.Settings.DEFAULTS);
        } catch (java.io.IOException e) {
            throw new MyriadException("cannot open the journal at " + file + ": " + e.getMessage()
                    + " (check that the folder is writable, or choose another with --data)", false, e);
        }
    }

    /** Opens the store with the writer's timeouts and back-off of {@code settings} (tests shorten them). */
    static SqliteStore open(Path file, Sync sync, int queueCapacity, int maxBatch, JournalWriter.Settings settings) {
        try {
            return new SqliteStore(file, sync, queueCapacity, maxBatch, settings);
        } catch (SQLException e) {
            throw new MyriadException("cannot open the journal at " + file + ": " + e.getMessage()
                    + " (check that the folder is writable, or choose another with --data)", false, e);
        }
    }

    /** A store whose writer runs {@code beforeCommit} before every transaction (tests only). */
    static SqliteStore openWithSlowWriter(Path file, int queueCapacity, int maxBatch, Runnable beforeCommit) {
        return open(file, Sync.NORMAL, queueCapacity, maxBatch, JournalWriter.Settings.DEFAULTS.withBeforeCommit(beforeCommit));
    }

    /** How long a connection waits for another process's lock before SQLite reports SQLITE_BUSY. */
    private static final int DEFAULT_BUSY_TIMEOUT_MILLIS = 10_000;

    /**
     * Switches to WAL. Switching a new database needs an exclusive lock, and SQLite answers
     * SQLITE_BUSY at once, without its busy handler, while another connection opens the same new
     * file: try again for as long as the busy timeout allows.
     */
    private static void enterWal(Statement s, int busyTimeoutMillis) throws SQLException {
        long deadline = System.nanoTime() + busyTimeoutMillis * 1_000_000L;
        while (true) {
            try {
                s.execute("PRAGMA journal_mode=WAL");
                return;
            } catch (SQLException e) {
                boolean busy = e.getErrorCode() == 5 || String.valueOf(e.getMessage()).contains("SQLITE_BUSY");
                if (!busy || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static Connection connect(Path file, Sync sync, int busyTimeoutMillis) throws SQLException {
        return connect(file, sync, busyTimeoutMillis, false);
    }

    private static Connection connect(Path file, Sync sync, int busyTimeoutMillis, boolean immediate) throws SQLException {
        var props = new java.util.Properties();
        if (immediate) {
            props.setProperty("transaction_mode", "IMMEDIATE");
        }
        // The driver would otherwise run "select last_insert_rowid()" after every insert.
        props.setProperty("jdbc.get_generated_keys", "false");
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), props);
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout=" + busyTimeoutMillis);
            enterWal(s, busyTimeoutMillis);
            s.execute("PRAGMA synchronous=" + sync.name());
            s.execute("PRAGMA cache_size=-262144");
            s.execute("PRAGMA temp_store=MEMORY");
        } catch (SQLException e) {
            // The writer reconnects every few seconds while the disk is at fault: leak nothing.
            try {
                c.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return c;
    }

    /**
     * Brings the schema to {@link #SCHEMA_VERSION} in one transaction that holds SQLite's write
     * lock from the start: two processes opening a new database at once (a fleet starting while
     * `myriad runs ls` looks) would otherwise both read the old version and both migrate.
     */
    private static void migrate(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            int version = userVersion(s);
            if (version == SCHEMA_VERSION) {
                return;
            }
            if (version > SCHEMA_VERSION) {
                throw newerSchema(version);
            }
            s.execute("BEGIN IMMEDIATE");
            try {
                migrate(s, userVersion(s)); // again, under the lock: another process may have migrated meanwhile
                s.execute("COMMIT");
            } catch (SQLException e) {
                try {
                    s.execute("ROLLBACK");
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
    }

    private static int userVersion(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
            return rs.getInt(1);
        }
    }

    private static SQLException newerSchema(int version) {
        return new SQLException("the journal was written by a newer Myriad (schema " + version
                + ", this version knows " + SCHEMA_VERSION + ")");
    }

    private static void migrate(Statement s, int version) throws SQLException {
        if (version > SCHEMA_VERSION) {
            throw newerSchema(version);
        }
        if (version < 1) {
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
        }
        if (version < 2) {
            s.execute("""
                    CREATE TABLE IF NOT EXISTS audit (
                      seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, tenant TEXT NOT NULL, actor TEXT NOT NULL,
                      action TEXT NOT NULL, subject TEXT NOT NULL, details TEXT NOT NULL, prev TEXT NOT NULL,
                      hash TEXT NOT NULL)""");
            s.execute("PRAGMA user_version=2");
        }
        if (version < 3) {
            // Tenants own executions (and so runs); journals written before belong to the default tenant.
            s.execute("ALTER TABLE executions ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default'");
            s.execute("CREATE INDEX IF NOT EXISTS executions_by_tenant ON executions(tenant, fleet, n)");
            s.execute("PRAGMA user_version=3");
        }
        if (version < 4) {
            // Tenants and API keys: keys are kept only as their SHA-256.
            s.execute("CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL, created_by TEXT NOT NULL)");
            s.execute("""
                    CREATE TABLE IF NOT EXISTS api_keys (
                      id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,
                      created_by TEXT NOT NULL, revoked_at INTEGER NOT NULL DEFAULT 0)""");
            s.execute("""
                    CREATE TABLE IF NOT EXISTS grants (
                      key_id TEXT NOT NULL, tenant TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (key_id, tenant, role))""");
            s.execute("PRAGMA user_version=4");
        }
        if (version < 6) {
            // Budgets: tenant ceilings and price overrides (spend is recomputed from the events).
            BudgetSql.migrate(s);
            s.execute("PRAGMA user_version=6");
        }
        if (version < 7) {
            // Operator controls (kill, pause, resume).
            ControlSql.create(s);
            s.execute("PRAGMA user_version=7");
        }
        if (version < 8) {
            // Deliveries: the verdicts on coding runs' submissions.
            DeliverySql.create(s);
            s.execute("PRAGMA user_version=8");
        }
        if (version < 9) {
            // Runs listings: filtered pages in (updated_at, run_id) order.
            RunQuerySql.index(s);
            s.execute("PRAGMA user_version=9");
        }
        if (version < 10) {
            // Intake: tasks submitted to a running execution.
            IntakeSql.create(s);
            s.execute("PRAGMA user_version=10");
        }
        if (version < 11) {
            // Messages between runs: inboxes and their read cursors.
            MessageSql.create(s);
            s.execute("PRAGMA user_version=11");
        }
    }

    /** Where the database lives. */
    public Path file() {
        return file;
    }

    @Override
    public String describe() {
        return file.toString();
    }

    // ---------------------------------------------------------------- journal: writes

    @Override
    public CompletableFuture<Void> append(Append append) {
        Objects.requireNonNull(append, "append");
        if (append.expectedSeq() == 0 && !(append.events().getFirst() instanceof RunEvent.RunStarted)) {
            throw new IllegalArgumentException("the first event of a run must be run_started");
        }
        return writer.submit(append);
    }

    /**
     * Whether the writer is committing, or stalled on a fault of the disk or the file (full,
     * locked by another process, I/O error) while it holds and retries the appends it took.
     */
    public JournalHealth health() {
        return writer.health();
    }

    /**
     * Calls {@code listener} each time the journal stalls, its problem changes, or it resumes;
     * not for every failed retry. Listeners run on the journal's completer thread, in order, and
     * must return quickly.
     */
    public void onHealthChange(Consumer<JournalHealth> listener) {
        writer.onHealthChange(listener);
    }

    /** Caps the database file at {@code pages} pages on the writer's connection, so that it fills up (tests only). */
    CompletableFuture<Long> setMaxPageCountForTest(long pages) {
        return writer.setMaxPageCount(pages);
    }

    /** Runs {@code task} on the writer thread between transactions (tests only: it can hold the writer). */
    CompletableFuture<Void> onWriterThreadForTest(Runnable task) {
        return writer.onWriterThread(c -> {
            task.run();
            return null;
        });
    }

    // ---------------------------------------------------------------- journal: reads

    @Override
    public List<JournalRecord> read(String runId) {
        return read(runId, -1);
    }

    /** The run's events after sequence number {@code afterSeq}, in order (an index range read). */
    public List<JournalRecord> read(String runId, long afterSeq) {
        return query("SELECT seq, body FROM events WHERE run_id=? AND seq>? ORDER BY seq", ps -> {
            ps.setString(1, runId);
            ps.setLong(2, afterSeq);
        }, rs -> {
            List<JournalRecord> out = new ArrayList<>();
            while (rs.next()) {
                out.add(new JournalRecord(runId, rs.getLong(1), EventCodec.decode(rs.getString(2))));
            }
            return out;
        });
    }


    public WriterStats writerStats() {
        return writer.stats();
    }


    public Size size() {
        return query("SELECT count(*), coalesce(sum(length(body)),0) FROM events", ps -> { },
                rs -> new Size(rs.getLong(1), rs.getLong(2)));
    }

    // ---------------------------------------------------------------- audit log

    @Override
    public CompletableFuture<Void> appendAudit(List<AuditEntry> entries) {
        Objects.requireNonNull(entries, "entries");
        if (entries.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return writer.submitAudit(entries);
    }

    private static final String AUDIT_COLS = "seq, at, tenant, actor, action, subject, details, prev, hash";

    /** Streams the table in seq order on one read connection; memory stays flat whatever its size. */
    @Override
    public AuditVerification verifyAudit() {
        var verifier = new AuditChain.Verifier();
        return query("SELECT " + AUDIT_COLS + " FROM audit ORDER BY seq", ps -> ps.setFetchSize(4_096), rs -> {
            while (rs.next()) {
                var e = new AuditEntry(rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getString(6), rs.getString(7));
                if (!verifier.accept(rs.getLong(1), e, rs.getString(8), rs.getString(9))) {
                    break;
                }
            }
            return verifier.result();
        });
    }

    @Override
    public void forEachAudit(long afterSeq, Consumer<AuditRecord> sink) {
        Objects.requireNonNull(sink, "sink");
        query("SELECT " + AUDIT_COLS + " FROM audit WHERE seq > ? ORDER BY seq", ps -> ps.setLong(1, afterSeq), rs -> {
            while (rs.next()) {
                sink.accept(StoreRows.auditRecord(rs));
            }
            return null;
        });
    }

    /** The record {@code seq}, as stored, if the log has it. */
    public Optional<AuditRecord> auditRecord(long seq) {
        return query("SELECT " + AUDIT_COLS + " FROM audit WHERE seq=?", ps -> ps.setLong(1, seq),
                rs -> rs.next() ? Optional.of(StoreRows.auditRecord(rs)) : Optional.empty());
    }

    /** The last {@code limit} records of the tenants in {@code scope}, newest first. */
    public List<AuditRecord> latestAudit(int limit, TenantScope scope) {
        return scoped(scope, () -> latestAudit(limit), "SELECT " + AUDIT_COLS + " FROM audit", "tenant", "seq DESC", limit,
                StoreRows::auditRecord);
    }

    @Override
    public List<AuditRecord> latestAudit(int limit) {
        return query("SELECT " + AUDIT_COLS + " FROM audit ORDER BY seq DESC LIMIT ?", ps -> ps.setInt(1, limit), rs -> {
            List<AuditRecord> out = new ArrayList<>();
            while (rs.next()) {
                out.add(StoreRows.auditRecord(rs));
            }
            return out;
        });
    }

    /**
     * Appends {@code n} generated entries in one transaction on the writer thread, chained like
     * any other (tests only: builds a log of a million records in seconds).
     */
    CompletableFuture<Void> bulkAuditForTest(int n, java.util.function.IntFunction<AuditEntry> entry) {
        return writer.onWriterThread(c -> {
            var chain = AuditChain.create();
            long seq;
            String hash;
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")) {
                boolean any = rs.next();
                seq = any ? rs.getLong(1) : 0;
                hash = any ? rs.getString(2) : AuditChain.GENESIS;
            }
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit(" + AUDIT_COLS + ") VALUES (?,?,?,?,?,?,?,?,?)")) {
                for (int i = 0; i < n; i++) {
                    AuditRecord r = chain.next(seq, hash, entry.apply(i));
                    AuditSql.bind(ps, r);
                    ps.addBatch();
                    if (i % 10_000 == 9_999) {
                        ps.executeBatch();
                    }
                    seq = r.seq();
                    hash = r.hash();
                }
                ps.executeBatch();
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- repository

    @Override
    public Optional<Execution> unfinishedExecution(String tenant, String fleet) {
        return query("SELECT " + EXEC_COLS + " FROM executions WHERE tenant=? AND fleet=? AND finished_at=0 ORDER BY n DESC LIMIT 1",
                ps -> {
                    ps.setString(1, tenant);
                    ps.setString(2, fleet);
                }, rs -> rs.next() ? Optional.of(StoreRows.execution(rs)) : Optional.empty());
    }

    @Override
    public Execution createExecution(String tenant, String fleet, String digest, String source, int tasks, long now) {
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
                    "INSERT INTO executions(id, fleet, n, digest, source, started_at, tasks, tenant) VALUES (?,?,?,?,?,?,?,?)")) {
                ps.setString(1, id);
                ps.setString(2, fleet);
                ps.setInt(3, n);
                ps.setString(4, digest);
                ps.setString(5, source);
                ps.setLong(6, now);
                ps.setInt(7, tasks);
                ps.setString(8, tenant);
                ps.executeUpdate();
            }
            adminConnection.commit();
            return new Execution(id, fleet, digest, source, now, 0, tasks, tenant);
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

    private static final String EXEC_COLS = "id, fleet, digest, source, started_at, finished_at, tasks, tenant";
    /** Run rows with their tenant, from the execution that holds them. */

    @Override
    public Optional<Execution> execution(String executionId) {
        return query("SELECT " + EXEC_COLS + " FROM executions WHERE id=?", ps -> ps.setString(1, executionId),
                rs -> rs.next() ? Optional.of(StoreRows.execution(rs)) : Optional.empty());
    }

    @Override
    public List<Execution> executions(int limit) {
        return query("SELECT " + EXEC_COLS + " FROM executions ORDER BY started_at DESC, n DESC LIMIT ?",
                ps -> ps.setInt(1, limit), rs -> {
                    List<Execution> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(StoreRows.execution(rs));
                    }
                    return out;
                });
    }


    /** Counts with one query, without loading the rows (a resumed execution may hold millions). */
    public RunCounts runCounts(String executionId) {
        String finals = java.util.Arrays.stream(RunState.values()).filter(RunState::isFinal)
                .map(st -> "'" + st.name() + "'").collect(java.util.stream.Collectors.joining(","));
        return query("SELECT count(*), coalesce(sum(state IN (" + finals + ")), 0) FROM runs WHERE execution=?",
                ps -> ps.setString(1, executionId), rs -> new RunCounts(rs.getLong(1), rs.getLong(2)));
    }

    @Override
    public List<RunRow> runs(String executionId) {
        return query(StoreRows.RUNS_OF_EXECUTION, ps -> ps.setString(1, executionId),
                StoreRows::runRows);
    }

    /** A run's children and their own: one range of the primary key, whatever the size of the execution. */
    @Override
    public List<RunRow> runs(String executionId, String runIdPrefix) {
        if (runIdPrefix.isEmpty()) {
            return runs(executionId);
        }
        String upper = StoreRows.afterPrefix(runIdPrefix);
        return query(StoreRows.RUNS_IN_RANGE, ps -> {
            ps.setString(1, runIdPrefix);
            ps.setString(2, upper);
            ps.setString(3, executionId);
        }, StoreRows::runRows);
    }

    @Override
    public List<RunRow> recentRuns(int limit) {
        return query(StoreRows.RECENT_RUNS, ps -> ps.setInt(1, limit),
                StoreRows::runRows);
    }

    /** The newest runs of the tenants in {@code scope}, newest first, at most {@code limit}. */
    public List<RunRow> recentRuns(int limit, TenantScope scope) {
        return scoped(scope, () -> recentRuns(limit), "SELECT " + StoreRows.RUN_COLS + StoreRows.RUNS, "e.tenant", "r.updated_at DESC, r.run_id",
                limit, StoreRows::runRow);
    }


    /**
     * A page of the runs of the tenants in {@code scope} that meet {@code query}, newest first;
     * {@code next} is the key to ask the following page with, empty on the last page.
     */
    public RunPage runsPage(RunQuery query, TenantScope scope) {
        Objects.requireNonNull(query, "query");
        if (scope.none()) {
            return new RunPage(List.of(), Optional.empty());
        }
        RunQuerySql.Sql sql = RunQuerySql.page("SELECT " + StoreRows.RUN_COLS + StoreRows.RUNS, query, scope);
        return RunQuerySql.pageOf(query(sql.text(), sql::bind, StoreRows::runRows), query);
    }

    /** The page query {@link #runsPage} runs, for checking its plan. */
    static String runsPageSql(RunQuery query, TenantScope scope) {
        return RunQuerySql.page("SELECT " + StoreRows.RUN_COLS + StoreRows.RUNS, query, scope).text();
    }

    /** How many runs of an execution are in each state; states without runs are left out. */
    public Map<RunState, Long> runStateCounts(String executionId) {
        return executionTally(executionId).byState();
    }

    /**
     * Runs in {@code state} of the tenants in {@code scope} (of one execution when it is not null),
     * newest first, at most {@code limit}: the tenants are filtered in the query, before the limit.
     */
    public List<RunRow> runsInState(RunState state, String executionId, int limit, TenantScope scope) {
        RunQuery q = RunQuery.first(Math.min(limit, Integer.MAX_VALUE - 1)).state(state);
        return runsPage(executionId == null ? q : q.execution(executionId), scope).runs();
    }


    /** The execution's tally, in one grouped read of its summary rows. */
    public ExecutionTally executionTally(String executionId) {
        Objects.requireNonNull(executionId, "executionId");
        return read(c -> RunQuerySql.tally(c, executionId));
    }


    /**
     * Keeps {@code tasks} as submitted to the execution, durably, after the ones before, and adds
     * them to its task count; all or none.
     *
     * @throws DuplicateTaskException when an id was already used in the execution (a submitted
     *     task or a run) or twice in {@code tasks}: nothing is kept
     */
    public void submitTasks(String execution, List<TaskSpec> tasks) {
        Objects.requireNonNull(execution, "execution");
        List<TaskSpec> copy = List.copyOf(tasks);
        List<String> used = admin("submit tasks to execution " + execution, c -> {
            List<String> taken = IntakeSql.used(c, execution, copy);
            if (taken.isEmpty()) {
                IntakeSql.insert(c, execution, copy, System.currentTimeMillis());
            }
            return taken;
        });
        if (!used.isEmpty()) {
            throw new DuplicateTaskException(execution, used);
        }
    }

    /** The tasks submitted to the execution after {@code afterSeq} (0: all), in seq order. */
    public List<SubmittedTask> submittedTasks(String execution, long afterSeq) {
        Objects.requireNonNull(execution, "execution");
        return read(c -> IntakeSql.after(c, execution, afterSeq));
    }

    /** Executions of the tenants in {@code scope}, newest first. */
    public List<Execution> executions(int limit, TenantScope scope) {
        return scoped(scope, () -> executions(limit), "SELECT " + EXEC_COLS + " FROM executions", "tenant",
                "started_at DESC, n DESC", limit, StoreRows::execution);
    }

    private interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /**
     * At most {@code limit} rows of {@code select} whose {@code tenantColumn} is in {@code scope},
     * in {@code orderBy} order: {@code all} when the scope is every tenant, nothing when it is none.
     */
    private <T> List<T> scoped(TenantScope scope, java.util.function.Supplier<List<T>> all, String select,
            String tenantColumn, String orderBy, int limit, Row<T> row) {
        if (scope.all()) {
            return all.get();
        }
        return scoped(scope, select, tenantColumn, List.of(), orderBy, limit, row);
    }

    /**
     * At most {@code limit} rows of {@code select} whose {@code tenantColumn} is in {@code scope}
     * and that meet every filter, in {@code orderBy} order; nothing when the scope is none.
     */
    private <T> List<T> scoped(TenantScope scope, String select, String tenantColumn, List<ScopedSql.Filter> filters,
            String orderBy, int limit, Row<T> row) {
        if (scope.none()) {
            return List.of();
        }
        RunQuerySql.Sql sql = ScopedSql.of(scope, select, tenantColumn, filters, orderBy, limit);
        return query(sql.text(), sql::bind, rs -> {
            List<T> out = new ArrayList<>();
            while (rs.next()) {
                out.add(row.read(rs));
            }
            return out;
        });
    }

    /**
     * The tenant of a run, from the execution named in its id ({@code <execution>:<task>});
     * {@code default} for runs outside any recorded execution. Cached: executions never change tenant.
     */
    public String tenantOfRun(String runId) {
        String execution = StoreRows.executionOf(runId);
        String cached = tenantByExecution.get(execution);
        if (cached != null) {
            return cached;
        }
        String tenant = query("SELECT tenant FROM executions WHERE id=?", ps -> ps.setString(1, execution),
                rs -> rs.next() ? rs.getString(1) : null);
        if (tenant == null) {
            return io.myriad.core.auth.Principal.DEFAULT_TENANT;
        }
        tenantByExecution.put(execution, tenant);
        return tenant;
    }

    // ---------------------------------------------------------------- tenants and keys

    @Override
    public boolean hasActiveKeys() {
        return query("SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at=0)", ps -> { }, rs -> rs.getInt(1) == 1);
    }

    private static final String KEY_COLS = "id, name, hash, created_at, created_by, revoked_at";

    @Override
    public Optional<KeyRow> keyByHash(String hash) {
        return keyRows(query("SELECT " + KEY_COLS + " FROM api_keys WHERE hash=?", ps -> ps.setString(1, hash), SqliteStore::rawKeys))
                .stream().findFirst();
    }

    @Override
    public Optional<KeyRow> key(String id) {
        return keyRows(query("SELECT " + KEY_COLS + " FROM api_keys WHERE id=?", ps -> ps.setString(1, id), SqliteStore::rawKeys))
                .stream().findFirst();
    }

    @Override
    public List<KeyRow> keys() {
        return keyRows(query("SELECT " + KEY_COLS + " FROM api_keys ORDER BY created_at DESC, id", ps -> { }, SqliteStore::rawKeys));
    }

    private record RawKey(String id, String name, String hash, long createdAt, String createdBy, long revokedAt) {}

    private static List<RawKey> rawKeys(ResultSet rs) throws SQLException {
        List<RawKey> raws = new ArrayList<>();
        while (rs.next()) {
            raws.add(new RawKey(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getString(5), rs.getLong(6)));
        }
        return raws;
    }

    /**
     * The keys with their grants. Called after the keys' own query has given its reader back: a
     * query made while holding a reader waits for a second one, and two such requests at once
     * held every reader of a two-core machine and waited for each other for ever.
     */
    private List<KeyRow> keyRows(List<RawKey> raws) {
        List<KeyRow> out = new ArrayList<>(raws.size());
        for (RawKey r : raws) {
            java.util.Map<String, java.util.Set<Role>> grants = new java.util.TreeMap<>();
            for (String[] g : query("SELECT tenant, role FROM grants WHERE key_id=? ORDER BY tenant, role",
                    ps -> ps.setString(1, r.id()), grs -> {
                        List<String[]> list = new ArrayList<>();
                        while (grs.next()) {
                            list.add(new String[] {grs.getString(1), grs.getString(2)});
                        }
                        return list;
                    })) {
                grants.computeIfAbsent(g[0], t -> java.util.EnumSet.noneOf(Role.class)).add(Role.valueOf(g[1]));
            }
            out.add(new KeyRow(r.id(), r.name(), r.hash(), grants, r.createdAt(), r.createdBy(), r.revokedAt()));
        }
        return out;
    }

    @Override
    public void createKey(KeyRow key) {
        admin("store the key " + key.id(), c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO api_keys(" + KEY_COLS + ") VALUES (?,?,?,?,?,?)")) {
                ps.setString(1, key.id());
                ps.setString(2, key.name());
                ps.setString(3, key.hash());
                ps.setLong(4, key.createdAt());
                ps.setString(5, key.createdBy());
                ps.setLong(6, key.revokedAt());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO grants(key_id, tenant, role) VALUES (?,?,?)")) {
                for (var g : key.grants().entrySet()) {
                    for (Role role : g.getValue()) {
                        ps.setString(1, key.id());
                        ps.setString(2, g.getKey());
                        ps.setString(3, role.name());
                        ps.addBatch();
                    }
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    @Override
    public boolean revokeKey(String id, long at) {
        return admin("revoke the key " + id, c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE api_keys SET revoked_at=? WHERE id=? AND revoked_at=0")) {
                ps.setLong(1, at);
                ps.setString(2, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    @Override
    public boolean createTenant(String name, long at, String by) {
        return admin("record the tenant " + name, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT OR IGNORE INTO tenants(name, created_at, created_by) VALUES (?,?,?)")) {
                ps.setString(1, name);
                ps.setLong(2, at);
                ps.setString(3, by);
                return ps.executeUpdate() == 1;
            }
        });
    }

    @Override
    public List<TenantRow> tenants() {
        return query("""
                SELECT name, min(created_at), min(created_by) FROM (
                  SELECT name, created_at, created_by FROM tenants
                  UNION ALL SELECT tenant, min(started_at), '' FROM executions GROUP BY tenant)
                GROUP BY name ORDER BY name""", ps -> { }, rs -> {
                    List<TenantRow> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(new TenantRow(rs.getString(1), rs.getLong(2), rs.getString(3)));
                    }
                    return out;
                });
    }

    interface AdminWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** One transaction on the admin connection. */
    <T> T admin(String what, AdminWork<T> work) {
        adminLock.lock();
        try {
            adminConnection.setAutoCommit(false);
            T result = work.run(adminConnection);
            adminConnection.commit();
            return result;
        } catch (SQLException e) {
            rollbackQuietly(adminConnection);
            throw new MyriadException("cannot " + what + ": " + e.getMessage(), true, e);
        } finally {
            autoCommitQuietly(adminConnection);
            adminLock.unlock();
        }
    }

    /** Runs in one state (of one execution, when given), by run id; a scan of the summary rows. */
    public List<RunRow> runsInState(RunState state, String executionId, int limit) {
        String where = executionId == null ? "r.state=?" : "r.state=? AND r.execution=?";
        return query("SELECT " + StoreRows.RUN_COLS + StoreRows.RUNS + "WHERE " + where + " ORDER BY r.run_id LIMIT ?", ps -> {
            ps.setString(1, state.name());
            if (executionId != null) {
                ps.setString(2, executionId);
            }
            ps.setInt(executionId == null ? 2 : 3, limit);
        }, StoreRows::runRows);
    }

    @Override
    public Optional<RunRow> run(String runId) {
        return query("SELECT " + StoreRows.RUN_COLS + StoreRows.RUNS + "WHERE r.run_id=?", ps -> ps.setString(1, runId),
                rs -> rs.next() ? Optional.of(StoreRows.runRow(rs)) : Optional.empty());
    }

    // ---------------------------------------------------------------- budgets (BudgetSql)

    @Override
    public Optional<Ceilings> tenantCeilings(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        return read(c -> BudgetSql.tenantCeilings(c, tenant));
    }

    @Override
    public Map<String, Ceilings> allTenantCeilings() {
        return read(BudgetSql::allTenantCeilings);
    }

    @Override
    public void setTenantCeilings(String tenant, Ceilings ceilings, long at) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(ceilings, "ceilings");
        admin("set the budget of tenant " + tenant, c -> {
            BudgetSql.setTenantCeilings(c, tenant, ceilings, at);
            return null;
        });
    }

    @Override
    public void setExecutionCeilings(String execution, Ceilings ceilings) {
        Objects.requireNonNull(execution, "execution");
        Objects.requireNonNull(ceilings, "ceilings");
        admin("record the budget of execution " + execution, c -> {
            BudgetSql.setExecutionCeilings(c, execution, ceilings);
            return null;
        });
    }

    @Override
    public Map<String, Ceilings> executionCeilings(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        return read(c -> BudgetSql.executionCeilings(c, tenant));
    }

    @Override
    public Map<String, ModelSpec.Pricing> priceOverrides() {
        return read(BudgetSql::prices);
    }

    @Override
    public void setPrice(String model, ModelSpec.Pricing pricing, long at) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(pricing, "pricing");
        admin("set the price of " + model, c -> {
            BudgetSql.setPrice(c, model, pricing, at);
            return null;
        });
    }

    @Override
    public Map<String, Spend> spendByExecution(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        return read(c -> BudgetSql.spendByExecution(c, tenant));
    }

    @Override
    public Map<String, Spend> spendByTenant() {
        return read(BudgetSql::spendByTenant);
    }

    interface SqlWork<T> {
        T apply(Connection c) throws SQLException;
    }

    /** {@code work} on a read connection borrowed from the pool. */
    <T> T read(SqlWork<T> work) {
        Connection c;
        try {
            c = readers.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MyriadException("interrupted while waiting for a journal reader", true, e);
        }
        try {
            return work.apply(c);
        } catch (SQLException e) {
            throw new MyriadException("journal query failed: " + e.getMessage(), true, e);
        } finally {
            readers.add(c);
        }
    }

    // ---------------------------------------------------------------- messages (SqliteMailbox)

    /**
     * The runs' inboxes in this store, bounded by {@code limits}, stamping messages with
     * {@code clock}'s time.
     */
    public io.myriad.core.message.Mailbox mailbox(io.myriad.core.message.MessageLimits limits,
            java.time.InstantSource clock) {
        return new SqliteMailbox(this, Objects.requireNonNull(limits, "limits"), Objects.requireNonNull(clock, "clock"));
    }

    // ---------------------------------------------------------------- deliveries (DeliverySql)

    @Override
    public void record(Delivery delivery) {
        Objects.requireNonNull(delivery, "delivery");
        admin("record the delivery " + delivery.id(), c -> {
            DeliverySql.upsert(c, delivery);
            return null;
        });
    }

    @Override
    public Optional<Delivery> delivery(String id, TenantScope scope) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(scope, "scope");
        return scoped(scope, "SELECT " + DeliverySql.COLS + " FROM deliveries", "tenant", List.of(new ScopedSql.Filter("id", id)),
                "id", 1, DeliverySql::read).stream().findFirst();
    }

    @Override
    public List<Delivery> deliveries(TenantScope scope, Optional<String> execution, Optional<Delivery.Verdict> verdict,
            int limit) {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(execution, "execution");
        Objects.requireNonNull(verdict, "verdict");
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be at least 0, not " + limit);
        }
        List<ScopedSql.Filter> filters = new ArrayList<>();
        execution.ifPresent(e -> filters.add(new ScopedSql.Filter("execution", e)));
        verdict.ifPresent(v -> filters.add(new ScopedSql.Filter("verdict", v.label())));
        return scoped(scope, "SELECT " + DeliverySql.COLS + " FROM deliveries", "tenant", filters,
                "created_at DESC, id DESC", limit, DeliverySql::read);
    }

    // ---------------------------------------------------------------- controls

    @Override
    public Control record(long at, String actor, Action action, Scope scope, String reason) {
        if (action != Action.KILL && !(scope instanceof Scope.Fleet)) {
            throw new IllegalArgumentException(action.label() + " applies to a fleet, not to " + scope.describe());
        }
        adminLock.lock();
        try {
            adminConnection.setAutoCommit(false);
            Control control = ControlSql.insert(adminConnection, at, actor, action, scope, reason);
            adminConnection.commit();
            return control;
        } catch (SQLException e) {
            rollbackQuietly(adminConnection);
            throw new MyriadException("cannot record the " + action.label() + " of " + scope.describe() + ": "
                    + e.getMessage() + " (nothing was changed; try again)", true, e);
        } finally {
            autoCommitQuietly(adminConnection);
            adminLock.unlock();
        }
    }

    @Override
    public List<Control> since(long seq) {
        return query("SELECT " + ControlSql.COLS + " FROM controls WHERE seq > ? ORDER BY seq", ps -> ps.setLong(1, seq),
                ControlSql::read);
    }

    @Override
    public long head() {
        return query("SELECT coalesce(max(seq), 0) FROM controls", ps -> { }, rs -> rs.getLong(1));
    }

    // ---------------------------------------------------------------- journal tail (TailSql)



    /** At most {@code limit} events stored after {@code rowid}, in the order they were written. */
    public List<TailRow> eventsAfter(long rowid, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, got " + limit);
        }
        return query(TailSql.AFTER, ps -> {
            ps.setLong(1, rowid);
            ps.setInt(2, limit);
        }, TailSql::rows);
    }

    /** The rowid of the last event written; 0 when the journal is empty. */
    public long eventsHead() {
        return query(TailSql.HEAD, ps -> { }, rs -> rs.getLong(1));
    }

    /** How many runs each tenant has in each state (states without runs are absent); a scan of the summary rows. */
    public Map<TenantState, Long> runsByState() {
        return query(TailSql.BY_STATE, ps -> { }, TailSql::byState);
    }

    @Override
    public Optional<Control> pause(String tenant, String fleet) {
        return query("SELECT c.seq, c.at, c.actor, c.action, c.scope, c.value, c.tenant, c.reason"
                        + " FROM paused p JOIN controls c ON c.seq = p.seq WHERE p.tenant=? AND p.fleet=?",
                ps -> {
                    ps.setString(1, tenant);
                    ps.setString(2, fleet);
                }, ControlSql::first);
    }

    /** The runs a scope covers that are not final (in doubt included), by run id; a scan of the summary rows. */
    public List<RunRow> unfinishedRuns(Scope scope) {
        String finals = java.util.Arrays.stream(RunState.values()).filter(RunState::isFinal)
                .map(st -> "'" + st.name() + "'").collect(java.util.stream.Collectors.joining(","));
        return query("SELECT " + StoreRows.RUN_COLS + StoreRows.RUNS + "WHERE " + ControlSql.where(scope) + " AND r.state NOT IN (" + finals
                + ") ORDER BY r.run_id", ps -> ControlSql.bind(ps, scope), StoreRows::runRows);
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

    /**
     * Drains the writer's queue, then closes every connection. While the journal is stalled,
     * waits a bounded time for the fault to clear (10 s, plus the attempt in progress: at most
     * one 10 s lock wait), then fails the appends still waiting: they were NOT written, and none
     * of them had been acknowledged.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        writer.close();
        List<Connection> all = new ArrayList<>(readConnections);
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
