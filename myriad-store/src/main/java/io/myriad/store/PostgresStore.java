package io.myriad.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.myriad.core.MyriadException;
import io.myriad.core.audit.AuditChain;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.audit.AuditLog;
import io.myriad.core.audit.AuditRecord;
import io.myriad.core.audit.AuditVerification;
import io.myriad.core.cluster.Ownership;
import io.myriad.core.journal.EventCodec;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The journal, the run repository and the audit log on a PostgreSQL database, which several
 * nodes may share.
 *
 * <p>Notes. The schema is SQLite's in PostgreSQL's types ({@link PgSchema}), migrated under an
 * advisory lock. Appends go to a {@link PgJournalWriter}: one thread group-commits queued appends
 * with multi-row statements on a connection of its own, fences stale writers, including those of
 * other nodes, with the conditional insert of each append's first event ({@link PgAppendSql}),
 * and rides out a lost connection or a server restart by retrying the batch. Reads and executions
 * use a HikariCP pool. Executions are numbered per fleet under an advisory lock, so two nodes
 * creating executions of one fleet at once get different numbers. Run ownership for a cluster
 * ({@link #ownership}) lives on the same tables ({@link PgOwnership}). Keys and tenants, budgets,
 * controls, deliveries, submitted tasks and messages are in {@link PgAccess}, {@link PgBudgets},
 * {@link PgControls}, {@link PgDeliveries}, {@link PgIntake} and {@link PgMailbox}; listings in
 * {@link PgQueries}; the live tail of events, numbered in commit order across nodes, in {@link PgTail}.
 */
public final class PostgresStore implements Store {
    private static final String EXEC_COLS = "id, fleet, digest, source, started_at, finished_at, tasks, tenant";
    private static final String AUDIT_COLS = "seq, at, tenant, actor, action, subject, details, prev, hash";

    /**
     * How to reach the database and how much to batch.
     *
     * @param url           a {@code jdbc:postgresql:} URL; user and password may be given in it
     * @param poolSize      connections for reads and executions (the writer has one more of its own)
     * @param queueCapacity appends waiting for the writer before producers block
     * @param maxBatch      appends per transaction at most
     */
    public record Options(String url, int poolSize, int queueCapacity, int maxBatch) {
        public Options {
            Objects.requireNonNull(url, "url");
            if (!url.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException("a PostgreSQL store needs a jdbc:postgresql: URL, got " + url);
            }
            if (poolSize < 1 || queueCapacity < 1 || maxBatch < 1) {
                throw new IllegalArgumentException("poolSize, queueCapacity and maxBatch must be at least 1");
            }
        }

        /** 8 pooled connections, a queue of 16,384 appends, batches of up to 1,000. */
        public static Options of(String url) {
            return new Options(url, 8, 16_384, 1_000);
        }
    }

    private final Options options;
    private final HikariDataSource pool;
    private final PgJournalWriter writer;
    private final PgTx tx;
    private final PgAccess access;
    private final PgBudgets budgets;
    private final PgControls controls;
    private final PgDeliveries deliveries;
    private final PgIntake intake;
    private final PgQueries queries;
    private final PgTail tail;
    private final ConcurrentHashMap<String, String> tenantByExecution = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private PostgresStore(Options options) throws SQLException {
        this.options = options;
        try (Connection c = connect(options.url())) {
            PgSchema.migrate(c);
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(options.url());
        config.setMaximumPoolSize(options.poolSize());
        config.setMinimumIdle(Math.min(2, options.poolSize()));
        config.setPoolName("myriad-store");
        config.setConnectionInitSql(IDLE_IN_TRANSACTION);
        config.setConnectionTimeout(10_000);
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        config.addDataSourceProperty("ApplicationName", "myriad");
        this.pool = new HikariDataSource(config);
        this.queries = new PgQueries(pool);
        this.tail = new PgTail(queries);
        this.writer = new PgJournalWriter(() -> connect(options.url()), options.queueCapacity(), options.maxBatch(), 10_000,
                this::tenantOfRun);
        this.tx = new PgTx(pool);
        this.access = new PgAccess(tx);
        this.budgets = new PgBudgets(tx);
        this.controls = new PgControls(tx);
        this.deliveries = new PgDeliveries(tx);
        this.intake = new PgIntake(tx);
    }

    /** Opens the store at {@code url} with the default options, migrating its schema. */
    public static PostgresStore open(String url) {
        return open(Options.of(url));
    }

    public static PostgresStore open(Options options) {
        Objects.requireNonNull(options, "options");
        try {
            return new PostgresStore(options);
        } catch (SQLException e) {
            throw new MyriadException("cannot open the journal on PostgreSQL at " + redacted(options.url()) + ": " + e.getMessage()
                    + " (check that the server is up and the URL, user and password are right)", true, e);
        }
    }

    private static Connection connect(String url) throws SQLException {
        Properties props = new Properties();
        props.setProperty("reWriteBatchedInserts", "true");
        props.setProperty("ApplicationName", "myriad-journal-writer");
        Connection c = DriverManager.getConnection(url, props);
        try (var st = c.createStatement()) {
            st.execute(IDLE_IN_TRANSACTION);
        }
        return c;
    }

    /**
     * A transaction left open by a process that stopped moving (SIGSTOP, a frozen VM, a lost
     * client) would hold its row locks forever, and with them the runs its node can no longer
     * drive: claims skip locked rows, so no other node could take them over. The server ends such
     * a session after this long idle inside a transaction (ours run statement after statement,
     * never waiting in between); the process, when it wakes, finds its connection gone and its
     * batch is retried, then fenced.
     */
    static final String IDLE_IN_TRANSACTION = "SET idle_in_transaction_session_timeout = '2s'";

    /** The URL without its password, for messages. */
    static String redacted(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    public Options options() {
        return options;
    }

    /**
     * Run ownership on this database, for a node of a cluster: which node works on which run,
     * leased through each node's heartbeat. Appends made with a {@link io.myriad.core.cluster.Claim}'s
     * owner are fenced once another node takes the run over.
     *
     * @param leaseTimeout how long a node may go without a heartbeat before others take its runs
     */
    public Ownership ownership(Duration leaseTimeout) {
        return new PgOwnership(pool, leaseTimeout);
    }

    /** How many events the runs of an execution journaled (what {@code myriad bench --nodes} counts). */
    public long eventsOf(String execution) {
        Objects.requireNonNull(execution, "execution");
        return query("SELECT count(*) FROM events e JOIN runs r ON r.run_id = e.run_id WHERE r.execution = ?",
                ps -> ps.setString(1, execution), rs -> rs.next() ? rs.getLong(1) : 0L);
    }

    /**
     * Runs {@code work} while holding the database-wide lock named {@code name} (a session advisory
     * lock on a connection of its own): the nodes of a cluster doing the same {@code name} at once
     * do it one after the other, e.g. choosing an execution of a fleet and starting its runs.
     */
    public <T> T exclusively(String name, java.util.function.Supplier<T> work) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(work, "work");
        try (Connection c = pool.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_lock(hashtextextended(?, 7))")) {
                ps.setString(1, name);
                ps.execute();
            }
            try {
                return work.get();
            } finally {
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(hashtextextended(?, 7))")) {
                    ps.setString(1, name);
                    ps.execute();
                }
            }
        } catch (SQLException e) {
            throw new MyriadException("cannot take the cluster lock " + name + ": " + e.getMessage(),
                    PgJournalWriter.retriable(e), e);
        }
    }

    /**
     * Limits shared by the nodes of a cluster on this database, such as a provider's concurrency:
     * each node leases a slice, counted while its lease in {@link #ownership} holds.
     *
     * @param leaseTimeout the same lease timeout as the cluster's {@link #ownership}
     */
    public io.myriad.core.cluster.LimitShares limitShares(Duration leaseTimeout) {
        return new PgLimitShares(pool, leaseTimeout);
    }

    // ---------------------------------------------------------------- journal

    @Override
    public CompletableFuture<Void> append(Append append) {
        Objects.requireNonNull(append, "append");
        if (append.expectedSeq() == 0 && !(append.events().getFirst() instanceof RunEvent.RunStarted)) {
            throw new IllegalArgumentException("the first event of a run must be run_started");
        }
        if (closed) {
            return CompletableFuture.failedFuture(new MyriadException("the journal is closed: this append was NOT written", false));
        }
        return writer.submit(append);
    }

    /** Whether the writer is committing, or stalled retrying a batch while PostgreSQL fails. */
    public JournalHealth health() {
        return writer.health();
    }

    public WriterStats writerStats() {
        return writer.stats();
    }

    @Override
    public List<JournalRecord> read(String runId) {
        return read(runId, -1);
    }

    /** The run's events after sequence number {@code afterSeq}, in order (a range of the primary key). */
    public List<JournalRecord> read(String runId, long afterSeq) {
        Objects.requireNonNull(runId, "runId");
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

    /** The tenant of a run, from the execution named in its id; {@code default} outside any execution. */
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

    // ---------------------------------------------------------------- audit log

    @Override
    public CompletableFuture<Void> appendAudit(List<AuditEntry> entries) {
        Objects.requireNonNull(entries, "entries");
        return entries.isEmpty() ? CompletableFuture.completedFuture(null) : writer.submitAudit(entries);
    }

    @Override
    public AuditVerification verifyAudit() {
        var verifier = new AuditChain.Verifier();
        return query("SELECT " + AUDIT_COLS + " FROM audit ORDER BY seq", ps -> ps.setFetchSize(4_096), rs -> {
            while (rs.next()) {
                AuditRecord r = StoreRows.auditRecord(rs);
                if (!verifier.accept(r.seq(), r.entry(), r.prev(), r.hash())) {
                    break;
                }
            }
            return verifier.result();
        });
    }

    @Override
    public void forEachAudit(long afterSeq, Consumer<AuditRecord> sink) {
        Objects.requireNonNull(sink, "sink");
        query("SELECT " + AUDIT_COLS + " FROM audit WHERE seq > ? ORDER BY seq", ps -> {
            ps.setLong(1, afterSeq);
            ps.setFetchSize(4_096);
        }, rs -> {
            while (rs.next()) {
                sink.accept(StoreRows.auditRecord(rs));
            }
            return null;
        });
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

    // ---------------------------------------------------------------- executions and runs

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
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
                    ps.setString(1, "myriad.execution:" + fleet);
                    ps.execute();
                }
                int n;
                try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(n),0)+1 FROM executions WHERE fleet=?")) {
                    ps.setString(1, fleet);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        n = rs.getInt(1);
                    }
                }
                String id = fleet + "-" + n;
                try (PreparedStatement ps = c.prepareStatement(
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
                c.commit();
                return new Execution(id, fleet, digest, source, now, 0, tasks, tenant);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new MyriadException("cannot record the execution of fleet " + fleet + ": " + e.getMessage(), true, e);
        }
    }

    @Override
    public void finishExecution(String executionId, long now) {
        update("UPDATE executions SET finished_at=? WHERE id=?", ps -> {
            ps.setLong(1, now);
            ps.setString(2, executionId);
        }, "cannot mark execution " + executionId + " finished");
    }

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

    @Override
    public List<RunRow> runs(String executionId) {
        return query(StoreRows.RUNS_OF_EXECUTION, ps -> ps.setString(1, executionId),
                StoreRows::runRows);
    }

    /** A run's children and their own: one range of the primary key (code-point order, {@code COLLATE "C"}). */
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

    @Override
    public Optional<RunRow> run(String runId) {
        return query("SELECT " + StoreRows.RUN_COLS + StoreRows.RUNS + "WHERE r.run_id=?", ps -> ps.setString(1, runId),
                rs -> rs.next() ? Optional.of(StoreRows.runRow(rs)) : Optional.empty());
    }

    // ---------------------------------------------------------------- plumbing

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private interface Reader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> T query(String sql, Binder binder, Reader<T> reader) {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            try (ResultSet rs = ps.executeQuery()) {
                return reader.read(rs);
            }
        } catch (SQLException e) {
            throw new MyriadException("journal query failed: " + e.getMessage(), PgJournalWriter.retriable(e), e);
        }
    }

    private void update(String sql, Binder binder, String what) {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new MyriadException(what + ": " + e.getMessage(), PgJournalWriter.retriable(e), e);
        }
    }

    /** Drains the writer's queue (waiting at most 10 s while PostgreSQL fails), then closes the pool. */
    @Override
    public String describe() {
        return options.url().replaceAll("(?i)(password=)[^&]*", "$1***");
    }


    @Override
    public void onHealthChange(java.util.function.Consumer<io.myriad.store.JournalHealth> a0) {
        writer.onHealthChange(a0);
    }

    @Override
    public Size size() {
        return queries.size();
    }

    @Override
    public java.util.Optional<io.myriad.core.audit.AuditRecord> auditRecord(long a0) {
        return queries.auditRecord(a0);
    }

    @Override
    public java.util.List<io.myriad.core.audit.AuditRecord> latestAudit(int a0, io.myriad.core.auth.TenantScope a1) {
        return queries.latestAudit(a0, a1);
    }

    @Override
    public RunCounts runCounts(String a0) {
        return queries.runCounts(a0);
    }

    @Override
    public java.util.List<io.myriad.core.journal.RunRepository.RunRow> recentRuns(int a0, io.myriad.core.auth.TenantScope a1) {
        return queries.recentRuns(a0, a1);
    }

    @Override
    public RunPage runsPage(io.myriad.store.RunQuery a0, io.myriad.core.auth.TenantScope a1) {
        return queries.runsPage(a0, a1);
    }

    @Override
    public java.util.Map<io.myriad.core.run.RunState, Long> runStateCounts(String a0) {
        return queries.runStateCounts(a0);
    }

    @Override
    public java.util.List<io.myriad.core.journal.RunRepository.RunRow> runsInState(io.myriad.core.run.RunState a0, String a1, int a2, io.myriad.core.auth.TenantScope a3) {
        return queries.runsInState(a0, a1, a2, a3);
    }

    @Override
    public ExecutionTally executionTally(String a0) {
        return queries.executionTally(a0);
    }

    @Override
    public void submitTasks(String a0, java.util.List<io.myriad.core.fleet.TaskSpec> a1) {
        intake.submitTasks(a0, a1);
    }

    @Override
    public java.util.List<SubmittedTask> submittedTasks(String a0, long a1) {
        return intake.submittedTasks(a0, a1);
    }

    @Override
    public java.util.List<io.myriad.core.journal.RunRepository.Execution> executions(int a0, io.myriad.core.auth.TenantScope a1) {
        return queries.executions(a0, a1);
    }

    @Override
    public boolean hasActiveKeys() {
        return access.hasActiveKeys();
    }

    @Override
    public java.util.Optional<io.myriad.core.auth.AccessStore.KeyRow> keyByHash(String a0) {
        return access.keyByHash(a0);
    }

    @Override
    public java.util.Optional<io.myriad.core.auth.AccessStore.KeyRow> key(String a0) {
        return access.key(a0);
    }

    @Override
    public java.util.List<io.myriad.core.auth.AccessStore.KeyRow> keys() {
        return access.keys();
    }

    @Override
    public void createKey(io.myriad.core.auth.AccessStore.KeyRow a0) {
        access.createKey(a0);
    }

    @Override
    public boolean revokeKey(String a0, long a1) {
        return access.revokeKey(a0, a1);
    }

    @Override
    public boolean createTenant(String a0, long a1, String a2) {
        return access.createTenant(a0, a1, a2);
    }

    @Override
    public java.util.List<io.myriad.core.auth.AccessStore.TenantRow> tenants() {
        return access.tenants();
    }

    @Override
    public java.util.List<io.myriad.core.journal.RunRepository.RunRow> runsInState(io.myriad.core.run.RunState a0, String a1, int a2) {
        return queries.runsInState(a0, a1, a2);
    }

    @Override
    public java.util.Optional<io.myriad.core.budget.Ceilings> tenantCeilings(String a0) {
        return budgets.tenantCeilings(a0);
    }

    @Override
    public java.util.Map<String, io.myriad.core.budget.Ceilings> allTenantCeilings() {
        return budgets.allTenantCeilings();
    }

    @Override
    public void setTenantCeilings(String a0, io.myriad.core.budget.Ceilings a1, long a2) {
        budgets.setTenantCeilings(a0, a1, a2);
    }

    @Override
    public void setExecutionCeilings(String a0, io.myriad.core.budget.Ceilings a1) {
        budgets.setExecutionCeilings(a0, a1);
    }

    @Override
    public java.util.Map<String, io.myriad.core.budget.Ceilings> executionCeilings(String a0) {
        return budgets.executionCeilings(a0);
    }

    @Override
    public java.util.Map<String, io.myriad.core.fleet.ModelSpec.Pricing> priceOverrides() {
        return budgets.priceOverrides();
    }

    @Override
    public void setPrice(String a0, io.myriad.core.fleet.ModelSpec.Pricing a1, long a2) {
        budgets.setPrice(a0, a1, a2);
    }

    @Override
    public java.util.Map<String, io.myriad.core.budget.BudgetStore.Spend> spendByExecution(String a0) {
        return budgets.spendByExecution(a0);
    }

    @Override
    public java.util.Map<String, io.myriad.core.budget.BudgetStore.Spend> spendByTenant() {
        return budgets.spendByTenant();
    }

    @Override
    public io.myriad.core.message.Mailbox mailbox(io.myriad.core.message.MessageLimits a0, java.time.InstantSource a1) {
        return new PgMailbox(tx, this::tenantOfRun, a0, a1);
    }

    @Override
    public void record(io.myriad.core.delivery.Delivery a0) {
        deliveries.record(a0);
    }

    @Override
    public java.util.Optional<io.myriad.core.delivery.Delivery> delivery(String a0, io.myriad.core.auth.TenantScope a1) {
        return deliveries.delivery(a0, a1);
    }

    @Override
    public java.util.List<io.myriad.core.delivery.Delivery> deliveries(io.myriad.core.auth.TenantScope a0, java.util.Optional<String> a1, java.util.Optional<io.myriad.core.delivery.Delivery.Verdict> a2, int a3) {
        return deliveries.deliveries(a0, a1, a2, a3);
    }

    @Override
    public io.myriad.core.control.Control record(long a0, String a1, io.myriad.core.control.Action a2, io.myriad.core.control.Scope a3, String a4) {
        return controls.record(a0, a1, a2, a3, a4);
    }

    @Override
    public java.util.List<io.myriad.core.control.Control> since(long a0) {
        return controls.since(a0);
    }

    @Override
    public long head() {
        return controls.head();
    }

    @Override
    public java.util.List<TailRow> eventsAfter(long a0, int a1) {
        return tail.eventsAfter(a0, a1);
    }

    @Override
    public long eventsHead() {
        return tail.eventsHead();
    }

    @Override
    public java.util.Map<TenantState, Long> runsByState() {
        return tail.runsByState();
    }

    @Override
    public java.util.Optional<io.myriad.core.control.Control> pause(String a0, String a1) {
        return controls.pause(a0, a1);
    }

    @Override
    public java.util.List<io.myriad.core.journal.RunRepository.RunRow> unfinishedRuns(io.myriad.core.control.Scope a0) {
        return queries.unfinishedRuns(a0);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        writer.close();
        pool.close();
    }
}
