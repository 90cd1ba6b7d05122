package io.myriad.core.cluster;

import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.run.RunState;
import io.myriad.core.run.TaskIntake;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Where a cluster node's {@code FleetRunner} gets its work for one execution: at each poll it
 * claims as many of the execution's runnable runs as it has room for (its concurrency less the
 * runs it was handed and has not seen end), and hands over their tasks. The runs exist already
 * (a node seeded them, or another node started them and died); the runner resumes each from its
 * journal.
 *
 * <p>The owner of the runner tells this intake when a run ends here ({@link #settled}) or is let
 * go ({@link #abandoned}); an abandoned run is released so any node may claim it again at once.
 * A run this node lost with its lease and claimed again while it was still being driven here is
 * not handed over twice: the step in progress goes on under the new claim.
 * The execution is done ({@link #exhausted}) when {@code allFinal} says every run of it is final,
 * asked at most once a second.
 */
public final class ClusterIntake implements TaskIntake {
    private static final long CHECK_NANOS = 1_000_000_000L;

    private final ClusterMember member;
    private final String execution;
    private volatile int concurrency;
    private final Function<String, Optional<TaskSpec>> taskOf;
    private final BooleanSupplier allFinal;
    private final Consumer<String> log;
    private final Set<String> outstanding = ConcurrentHashMap.newKeySet();
    private final Set<String> unknown = ConcurrentHashMap.newKeySet();
    private long nextCheck;
    private boolean exhausted;

    /**
     * @param concurrency how many of this execution's runs the node drives at once
     * @param taskOf      the task of a run id of the execution (from the fleet file, or its journal)
     * @param allFinal    true when every run of the execution is final, on every node
     */
    public ClusterIntake(ClusterMember member, String execution, int concurrency, Function<String, Optional<TaskSpec>> taskOf,
            BooleanSupplier allFinal, Consumer<String> log) {
        this.member = Objects.requireNonNull(member, "member");
        this.execution = Objects.requireNonNull(execution, "execution");
        this.taskOf = Objects.requireNonNull(taskOf, "taskOf");
        this.allFinal = Objects.requireNonNull(allFinal, "allFinal");
        this.log = Objects.requireNonNull(log, "log");
        concurrency(concurrency);
    }

    /** Changes how many runs of the execution this node drives at once (a scaled fleet). */
    public void concurrency(int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        this.concurrency = concurrency;
    }

    @Override
    public List<TaskSpec> poll() {
        if (!member.valid() || member.draining()) {
            return List.of();
        }
        int room = concurrency - outstanding.size();
        if (room <= 0) {
            return List.of();
        }
        List<Claim> claims;
        try {
            claims = member.ownership().claim(member.node(), execution, room);
        } catch (RuntimeException e) {
            return List.of(); // the store cannot be reached, or the lease lapsed: the heartbeat deals with it
        }
        member.owned(claims);
        List<TaskSpec> tasks = new ArrayList<>(claims.size());
        for (Claim c : claims) {
            if (outstanding.contains(c.runId())) {
                // Still being driven here from before this node joined again: it goes on, now under the new claim.
                continue;
            }
            Optional<TaskSpec> task = taskOf.apply(c.runId());
            if (task.isEmpty()) {
                if (unknown.add(c.runId())) {
                    log.accept("cluster: run " + c.runId() + " names no task this node knows; it is left to the others");
                }
                member.release(c.runId());
                continue;
            }
            outstanding.add(c.runId());
            tasks.add(task.get());
        }
        return tasks;
    }

    /**
     * The run ended here for now, in {@code state}: a final one is forgotten; one this node's
     * runner keeps driving (waiting for an approval, or for its children) stays owned; any other
     * (interrupted, in doubt) is released, so any node may take it on once it can go on.
     */
    public void settled(String runId, RunState state) {
        outstanding.remove(runId);
        if (state.isFinal()) {
            member.forget(runId);
        } else if (state != RunState.AWAITING_APPROVAL && state != RunState.AWAITING_CHILDREN) {
            member.release(runId);
        }
    }

    /** The run was let go here (fenced, or failed inside this process): any node may claim it again. */
    public void abandoned(String runId) {
        outstanding.remove(runId);
        member.release(runId);
    }

    /**
     * Gives back every run handed over and not seen to end (the runner stopped or drained): any
     * node may claim them at once.
     */
    public void releaseOutstanding() {
        for (String runId : List.copyOf(outstanding)) {
            abandoned(runId);
        }
    }

    /** Runs handed over and not yet seen to end. */
    public int outstanding() {
        return outstanding.size();
    }

    @Override
    public boolean claims() {
        return true;
    }

    @Override
    public synchronized boolean exhausted() {
        long now = System.nanoTime();
        if (!exhausted && now - nextCheck >= 0) {
            nextCheck = now + CHECK_NANOS;
            try {
                exhausted = allFinal.getAsBoolean();
            } catch (RuntimeException e) {
                // The store cannot be reached: ask again later.
            }
        }
        return exhausted;
    }
}
