package io.myriad.core.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.fleet.Orchestration;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.journal.RunStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The reduce step of a map-reduce fleet, level by level: once every task of the previous level
 * is final, the next level's reducers get their results, {@code batch} per reducer; the level
 * with a single reducer (task {@value #FINAL}) is the last, and its answer is the fleet's result.
 *
 * <p>Task ids and inputs come from the map's task ids and the journaled outputs alone, so after
 * a crash the same reducers are found again (final ones counted, unfinished ones resumed).
 */
final class ReduceSteps {
    /** The task id of the last reducer, whose answer is the fleet's result. */
    static final String FINAL = "reduce";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Orchestration.ReduceSpec spec;
    private final String execution;
    private final Journal journal;
    private final RunRepository repository;
    private List<String> previous;
    private int level;
    private boolean done;

    ReduceSteps(Orchestration.ReduceSpec spec, String execution, List<String> mapTasks, Journal journal, RunRepository repository) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.execution = Objects.requireNonNull(execution, "execution");
        this.previous = List.copyOf(mapTasks);
        this.journal = journal;
        this.repository = repository;
    }

    /**
     * The reducers of the next level; empty when the last level is done, nothing is to be
     * reduced, or a result of the level below is not final yet (the next start goes on from there).
     */
    List<TaskSpec> next() {
        if (done || previous.isEmpty()) {
            return List.of();
        }
        // Only once every result of the level below is final (a run in doubt waits for a person first).
        for (String task : previous) {
            if (repository.run(FleetRunner.runId(execution, task)).map(r -> !r.status().state().isFinal()).orElse(true)) {
                return List.of();
            }
        }
        level++;
        int batches = (previous.size() + spec.batch() - 1) / spec.batch();
        boolean last = batches == 1;
        List<TaskSpec> out = new ArrayList<>(batches);
        for (int b = 0; b < batches; b++) {
            List<String> part = previous.subList(b * spec.batch(), Math.min(previous.size(), (b + 1) * spec.batch()));
            String id = last ? FINAL : "reduce-" + level + "-" + (b + 1);
            out.add(new TaskSpec(id, spec.agent(), input(part), 0));
        }
        previous = out.stream().map(TaskSpec::id).toList();
        done = last;
        return out;
    }

    /** A reducer's input: the instructions and each result (task, state, output), in order. */
    private String input(List<String> tasks) {
        ObjectNode in = JSON.createObjectNode().put("instructions", spec.instructions()).put("level", level);
        ArrayNode results = in.putArray("results");
        for (String task : tasks) {
            String runId = FleetRunner.runId(execution, task);
            Optional<RunRepository.RunRow> row = repository.run(runId);
            RunStatus st = row.map(RunRepository.RunRow::status).orElse(null);
            String output = st == null ? "the task did not run" : output(runId, st);
            if (output.length() > spec.outputChars()) {
                output = output.substring(0, spec.outputChars()) + "…";
            }
            results.addObject().put("task", task).put("state", st == null ? "missing" : st.state().label()).put("output", output);
        }
        return in.toString();
    }

    /** A succeeded run's whole answer (the status keeps only its start); a failure's reason. */
    private String output(String runId, RunStatus st) {
        if (st.state() != RunState.SUCCEEDED) {
            return st.detail();
        }
        List<JournalRecord> events = journal.read(runId);
        for (int i = events.size() - 1; i >= 0; i--) {
            if (events.get(i).event() instanceof RunEvent.RunSucceeded s) {
                return s.output();
            }
        }
        return st.detail();
    }
}
