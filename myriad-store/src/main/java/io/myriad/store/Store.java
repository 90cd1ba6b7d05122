package io.myriad.store;

import io.myriad.core.audit.AuditLog;
import io.myriad.core.audit.AuditRecord;
import io.myriad.core.auth.AccessStore;
import io.myriad.core.auth.TenantScope;
import io.myriad.core.budget.BudgetStore;
import io.myriad.core.control.Control;
import io.myriad.core.control.Controls;
import io.myriad.core.control.Scope;
import io.myriad.core.delivery.Deliveries;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.message.Mailbox;
import io.myriad.core.message.MessageLimits;
import io.myriad.core.run.RunState;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Everything the CLI and the node keep in a database: the journal, runs and executions, the audit
 * log, keys and tenants, budgets, controls, deliveries, submitted tasks, messages and the live
 * tail of events. {@link SqliteStore} keeps it in one file for one machine; {@link PostgresStore}
 * in a PostgreSQL database that several nodes share. Both pass the same contract tests.
 *
 * <p>{@link Stores#open} picks one from a {@code --store} value.
 */
public interface Store extends Journal, RunRepository, AuditLog, AccessStore, BudgetStore, Controls, Deliveries {

    /** What the writer has done: transactions, appends in them, and time spent committing. */
    record WriterStats(long transactions, long appends, long commitNanos) {
        public double appendsPerTransaction() {
            return transactions == 0 ? 0 : (double) appends / transactions;
        }
    }

    /** Events and bytes stored, for the figures printed after a run. */
    record Size(long events, long bytes) {}

    /** How many runs an execution has journaled, and how many of them are final. */
    record RunCounts(long runs, long finals) {}

    /** One page of runs. */
    record RunPage(List<RunRow> runs, Optional<RunQuery.Key> next) {}

    /** An execution's runs by state (states without runs left out), and their tokens and cost. */
    record ExecutionTally(Map<RunState, Long> byState, long tokens, double costUsd) {}

    /** A task submitted to a running execution, numbered {@code seq} in submission order. */
    record SubmittedTask(long seq, TaskSpec task) {}

    /**
     * One journaled event as the tail reads it: its position (the tail's cursor), the stored
     * event, and its run's tenant, fleet, execution and agent ({@code ""} when the run has no
     * summary row).
     */
    record TailRow(long rowid, String runId, long seq, String type, long at, String body, String tenant,
            String fleet, String execution, String agent) {}

    /** A tenant and a run state: the key of {@link #runsByState()}. */
    record TenantState(String tenant, RunState state) {}

    /** Where the store is, for messages: a file path or a database URL without its password. */
    String describe();

    /** The journal writer's health (degraded while it retries a failed batch). */
    JournalHealth health();

    /** Called on every change of {@link #health()}. */
    void onHealthChange(Consumer<JournalHealth> listener);

    /** The run's events after {@code afterSeq}, in order. */
    List<JournalRecord> read(String runId, long afterSeq);

    /** What the writer has done so far. */
    WriterStats writerStats();

    /** Events and bytes stored. */
    Size size();

    /** The audit record numbered {@code seq}. */
    Optional<AuditRecord> auditRecord(long seq);

    /** Audit records of the tenants in scope, newest first. */
    List<AuditRecord> latestAudit(int limit, TenantScope scope);

    /** How many runs an execution has, and how many are final. */
    RunCounts runCounts(String executionId);

    /** Runs of the tenants in scope matching the query, one page, in the query's order. */
    RunPage runsPage(RunQuery query, TenantScope scope);

    /** The most recent runs of the tenants in scope. */
    List<RunRow> recentRuns(int limit, TenantScope scope);

    /** How many runs of the execution are in each state. */
    Map<RunState, Long> runStateCounts(String executionId);

    /** At most {@code limit} runs in {@code state}, of one execution when it is not null, in scope. */
    List<RunRow> runsInState(RunState state, String executionId, int limit, TenantScope scope);

    /** At most {@code limit} runs in {@code state}, of one execution when it is not null. */
    List<RunRow> runsInState(RunState state, String executionId, int limit);

    /** An execution's runs by state, tokens and cost. */
    ExecutionTally executionTally(String executionId);

    /** Keeps tasks submitted to a running execution (a task id already submitted is ignored). */
    void submitTasks(String execution, List<TaskSpec> tasks);

    /** The tasks submitted to an execution after {@code afterSeq}, in submission order. */
    List<SubmittedTask> submittedTasks(String execution, long afterSeq);

    /** The most recent executions of the tenants in scope. */
    List<Execution> executions(int limit, TenantScope scope);

    /** The tenant of a run's execution; {@code "default"} when unknown. */
    String tenantOfRun(String runId);

    /** The mailbox of agent messages kept in this store. */
    Mailbox mailbox(MessageLimits limits, InstantSource clock);

    /** At most {@code limit} events stored after position {@code rowid}, in the order they were written. */
    List<TailRow> eventsAfter(long rowid, int limit);

    /** The position of the last event written; 0 when the journal is empty. */
    long eventsHead();

    /** How many runs each tenant has in each state (states without runs are absent). */
    Map<TenantState, Long> runsByState();

    /** The control that holds the fleet paused; empty when it is not paused. */
    Optional<Control> pause(String tenant, String fleet);

    /** The runs not final in scope. */
    List<RunRow> unfinishedRuns(Scope scope);

    @Override
    void close();
}
