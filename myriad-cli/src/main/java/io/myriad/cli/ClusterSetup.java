package io.myriad.cli;

import io.myriad.core.cluster.ClusterIntake;
import io.myriad.core.cluster.ClusterMember;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.run.FleetRunner;
import io.myriad.store.PostgresStore;
import io.myriad.store.Store;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * How a process running fleets on a PostgreSQL store takes part in the cluster: it joins as a
 * node, starts the runs of an execution's tasks once (whichever node gets there first), and then
 * drives the runs it claims.
 */
final class ClusterSetup {
    /** A node owns at most this many non-final runs; its fleets' concurrency is the real bound. */
    static final int NODE_CAPACITY = 1_000_000;

    private ClusterSetup() {}

    /** The default node id: the host name and this process's id, unique on a machine. */
    static String defaultNodeId() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "node";
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    /** Joins the cluster of {@code store} as {@code nodeId} (or the default), heart-beating five times per lease. */
    static ClusterMember join(PostgresStore store, String nodeId, Duration lease, ScheduledExecutorService timer, PrintWriter err) {
        if (lease.toMillis() < 500) {
            throw new IllegalArgumentException("--lease must be at least 500ms, got " + lease);
        }
        String id = nodeId == null || nodeId.isBlank() ? defaultNodeId() : nodeId;
        ClusterMember member = ClusterMember.join(store.ownership(lease), id, NODE_CAPACITY, lease.dividedBy(5), timer, line -> {
            err.println("myriad: " + line);
            err.flush();
        });
        err.println("cluster: node " + id + " (epoch " + member.node().epoch() + ") joined " + store.describe()
                + "; lease " + lease.toMillis() + " ms");
        err.flush();
        return member;
    }

    /** The provider accounts' limits of this process are shared with the cluster from now on. */
    static void shareLimits(ClusterMember member, PostgresStore store, PrintWriter err) {
        ProviderLimits.shared().cluster(member, store, line -> {
            err.println("myriad: " + line);
            err.flush();
        });
    }

    /**
     * Starts the runs of the fleet's tasks that no node started yet (under a cluster-wide lock, so
     * one node does it), and returns the intake through which this node claims runs of the execution.
     */
    static ClusterIntake intake(ClusterMember member, PostgresStore store, FleetRunner runner, FleetSpec fleet,
            RunRepository.Execution execution, PrintWriter err) {
        int seeded = store.exclusively("seed " + execution.id(), () -> {
            Set<String> have = store.runs(execution.id()).stream().map(RunRepository.RunRow::runId).collect(Collectors.toSet());
            List<TaskSpec> missing = fleet.tasks().stream()
                    .filter(t -> !have.contains(FleetRunner.runId(execution.id(), t.id()))).toList();
            return missing.isEmpty() ? 0 : runner.seed(fleet, execution, missing, store);
        });
        if (seeded > 0) {
            err.println("cluster: this node started the " + seeded + " runs of execution " + execution.id()
                    + "; every node claims them as it has room");
        }
        Map<String, TaskSpec> byId = fleet.tasks().stream().collect(Collectors.toMap(TaskSpec::id, Function.identity(), (a, b) -> a));
        String prefix = execution.id() + ":";
        Function<String, Optional<TaskSpec>> taskOf = runId -> {
            if (!runId.startsWith(prefix)) {
                return Optional.empty();
            }
            TaskSpec known = byId.get(runId.substring(prefix.length()));
            if (known != null) {
                return Optional.of(known);
            }
            // A child, a reducer or a submitted task: its first event says what it is.
            List<JournalRecord> journal = store.read(runId, -1);
            return journal.stream().findFirst().map(JournalRecord::event)
                    .filter(RunEvent.RunStarted.class::isInstance).map(RunEvent.RunStarted.class::cast)
                    .map(st -> new TaskSpec(st.task(), st.agent(), st.input(), 0));
        };
        err.flush();
        return new ClusterIntake(member, execution.id(), fleet.concurrency(), taskOf, () -> allFinal(store, fleet, execution),
                line -> {
                    err.println("myriad: " + line);
                    err.flush();
                });
    }

    /**
     * The runs of the execution waiting for a person that a node does not hold itself, read from
     * the store at most once a second: {@code approvals.max_pending} counts the whole cluster's.
     */
    static java.util.function.ToIntFunction<Set<String>> approvalsElsewhere(Store store, RunRepository.Execution execution) {
        return new java.util.function.ToIntFunction<>() {
            private long readAt = Long.MIN_VALUE;
            private List<String> waiting = List.of();

            @Override
            public synchronized int applyAsInt(Set<String> held) {
                long now = System.nanoTime();
                if (now - readAt > 1_000_000_000L) {
                    try {
                        waiting = store.runsInState(io.myriad.core.run.RunState.AWAITING_APPROVAL, execution.id(), 1_000_000)
                                .stream().map(RunRepository.RunRow::runId).toList();
                        readAt = now;
                    } catch (RuntimeException e) {
                        // Keep the last count: the store is unreachable, and so, for approvals, are the others.
                    }
                }
                return (int) waiting.stream().filter(r -> !held.contains(r)).count();
            }
        };
    }

    /** True when the execution has a run for every task of the file and all its runs are final. */
    static boolean everyRunFinal(Store store, FleetSpec fleet, RunRepository.Execution execution) {
        Store.RunCounts counts = store.runCounts(execution.id());
        return counts.runs() >= fleet.tasks().size() && counts.finals() == counts.runs();
    }

    /**
     * True when the execution has a run for every task of the file and each is final or in doubt
     * (waiting for a person, whose decision a later start of the fleet goes on from).
     */
    static boolean allFinal(Store store, FleetSpec fleet, RunRepository.Execution execution) {
        Map<io.myriad.core.run.RunState, Long> states = store.runStateCounts(execution.id());
        long runs = states.values().stream().mapToLong(Long::longValue).sum();
        long settled = states.entrySet().stream()
                .filter(e -> e.getKey().isFinal() || e.getKey() == io.myriad.core.run.RunState.IN_DOUBT)
                .mapToLong(Map.Entry::getValue).sum();
        return runs >= fleet.tasks().size() && settled == runs;
    }
}
