package io.myriad.core.journal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** A journal in memory, fenced like the real ones; for tests of the engine. */
public final class InMemoryJournal implements Journal, RunRepository {
    private final Map<String, List<RunEvent>> runs = new ConcurrentHashMap<>();
    private final Map<String, RunStatus> statuses = new ConcurrentHashMap<>();

    @Override
    public synchronized CompletableFuture<Void> append(Append append) {
        List<RunEvent> events = runs.computeIfAbsent(append.runId(), k -> new ArrayList<>());
        if (events.size() != append.expectedSeq()) {
            return CompletableFuture.failedFuture(new JournalFenceException(append.runId(), append.expectedSeq()));
        }
        events.addAll(append.events());
        statuses.put(append.runId(), append.status());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized List<JournalRecord> read(String runId) {
        List<RunEvent> events = runs.getOrDefault(runId, List.of());
        List<JournalRecord> out = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            out.add(new JournalRecord(runId, i, events.get(i)));
        }
        return out;
    }

    public synchronized List<RunEvent> events(String runId) {
        return List.copyOf(runs.getOrDefault(runId, List.of()));
    }

    public RunStatus status(String runId) {
        return statuses.get(runId);
    }

    /** Drops the tail of a run's journal, as if the process had died before those appends. */
    public synchronized void truncate(String runId, int keep) {
        List<RunEvent> events = runs.get(runId);
        events.subList(keep, events.size()).clear();
    }

    @Override
    public void close() {}

    // ---- a minimal run repository: runs are listed from their statuses

    @Override
    public java.util.Optional<Execution> unfinishedExecution(String tenant, String fleet) {
        return java.util.Optional.empty();
    }

    @Override
    public Execution createExecution(String tenant, String fleet, String digest, String source, int tasks, long now) {
        return new Execution(fleet + "-1", fleet, digest, source, now, 0, tasks, tenant);
    }

    @Override
    public void finishExecution(String executionId, long now) {}

    @Override
    public java.util.Optional<Execution> execution(String executionId) {
        return java.util.Optional.empty();
    }

    @Override
    public List<RunRow> runs(String executionId) {
        return statuses.entrySet().stream().filter(e -> e.getKey().startsWith(executionId + ":"))
                .map(e -> new RunRow(e.getKey(), executionId, "", "", "", 0, e.getValue())).toList();
    }

    @Override
    public List<RunRow> recentRuns(int limit) {
        return List.of();
    }

    @Override
    public synchronized java.util.Optional<RunRow> run(String runId) {
        RunStatus status = statuses.get(runId);
        return status == null ? java.util.Optional.empty()
                : java.util.Optional.of(new RunRow(runId, "", "", "", "", runs.getOrDefault(runId, List.of()).size(), status));
    }

    @Override
    public List<Execution> executions(int limit) {
        return List.of();
    }
}
