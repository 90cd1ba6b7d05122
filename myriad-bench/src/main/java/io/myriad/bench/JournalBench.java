package io.myriad.bench;

import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.RunState;
import io.myriad.store.SqliteStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The SQLite journal: what one append costs a run, and how many appends per second the single
 * writer sustains when many runs append at once and their appends are group-committed.
 *
 * <p>Each trial opens a fresh store in a new temporary folder (under {@code java.io.tmpdir}, so
 * pass {@code -Djava.io.tmpdir=...} through {@code -jvmArgsAppend} to measure another disk) and
 * deletes it afterwards. Appends are those of a run loop: one small {@code tool_call_completed}
 * event, fenced on the run's next sequence number, joined before the next one.
 */
public class JournalBench {

    /** A run's small event: a tool call that returned "ok". */
    static Journal.Append append(String runId, long seq) {
        return new Journal.Append(runId, seq,
                List.of(new RunEvent.ToolCallCompleted(1_700_000_000_000L + seq, "call_" + seq, "ok", 3)),
                new RunStatus(RunState.ACTING, seq, 100 * seq, 0.0001 * seq, 1_700_000_000_000L + seq, ""));
    }

    static Journal.Append start(String runId) {
        return new Journal.Append(runId, 0,
                List.of(new RunEvent.RunStarted(1_700_000_000_000L, "bench", "bench-1", runId, "agent",
                        "input of " + runId, "model")),
                new RunStatus(RunState.AWAITING_MODEL, 0, 0, 0, 1_700_000_000_000L, ""));
    }

    /** A store in a temporary folder of its own, removed when the trial ends. */
    abstract static class Store {
        Path dir;
        SqliteStore store;

        void open(SqliteStore.Sync sync, int queueCapacity, int maxBatch) throws IOException {
            dir = Files.createTempDirectory("myriad-bench-journal");
            store = SqliteStore.open(dir.resolve("journal.db"), sync, queueCapacity, maxBatch);
        }

        void close() throws IOException {
            store.close();
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
    }

    // ---------------------------------------------------------------- (a) latency of one append

    /** One run, one producer: nothing to group, so every append is a transaction of its own. */
    @State(Scope.Thread)
    public static class SingleRun extends Store {
        @Param({"NORMAL", "FULL", "OFF"})
        public SqliteStore.Sync sync;

        long seq;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            open(sync, 16_384, 1_000);
            store.append(start("run-0")).join();
            seq = 1;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            close();
        }
    }

    /** Append one small event and wait until it is durable (as durable as {@code sync} makes it). */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void appendAndJoin(SingleRun s) {
        s.store.append(append("run-0", s.seq++)).join();
    }

    // ---------------------------------------------------------------- (b) group-commit throughput

    /**
     * {@code producers} virtual threads, each the only writer of its own run, each appending and
     * joining {@code appendsPerProducer} events per benchmark invocation.
     */
    @State(Scope.Benchmark)
    public static class ManyRuns extends Store {
        @Param({"64"})
        public int producers;

        @Param({"1", "32", "1000"})
        public int maxBatch;

        @Param({"NORMAL", "FULL", "OFF"})
        public SqliteStore.Sync sync;

        @Param({"20"})
        public int appendsPerProducer;

        long[] seqs;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            open(sync, 16_384, maxBatch);
            seqs = new long[producers];
            for (int p = 0; p < producers; p++) {
                store.append(start("run-" + p)).join();
                seqs[p] = 1;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            close();
        }
    }

    /**
     * What the writer did, as rates beside the invocation rate: {@code appends} per second,
     * {@code transactions} per second (their ratio is the realised batch size) and
     * {@code commitMicros}, microseconds per second the writer spent in transactions (divide by
     * 10,000 for the percentage of its time).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class WriterCounters {
        public long appends;
        public long transactions;
        public long commitMicros;

        @Setup(Level.Iteration)
        public void reset() {
            appends = 0;
            transactions = 0;
            commitMicros = 0;
        }

        /**
         * Adds one invocation. The writer counts a transaction just after completing its
         * appends, so the last one of an invocation may fall into the next invocation's count.
         */
        void add(long invocationAppends, SqliteStore.WriterStats before, SqliteStore.WriterStats after) {
            appends += invocationAppends;
            transactions += after.transactions() - before.transactions();
            commitMicros += (after.commitNanos() - before.commitNanos()) / 1_000;
        }
    }

    /**
     * One invocation: every producer appends {@code appendsPerProducer} events to its run, one at
     * a time. Read the {@code appends} line of the result: appends per second across all runs.
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public void groupCommit(ManyRuns s, WriterCounters counter) throws InterruptedException, ExecutionException {
        SqliteStore store = s.store;
        SqliteStore.WriterStats before = store.writerStats();
        int perProducer = s.appendsPerProducer;
        List<Future<?>> done = new ArrayList<>(s.producers);
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int p = 0; p < s.producers; p++) {
                String runId = "run-" + p;
                int producer = p;
                done.add(executor.submit(() -> {
                    long seq = s.seqs[producer];
                    for (int i = 0; i < perProducer; i++) {
                        store.append(append(runId, seq++)).join();
                    }
                    s.seqs[producer] = seq;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        counter.add((long) s.producers * perProducer, before, store.writerStats());
    }

    // ---------------------------------------------------------------- the writer's ceiling

    /** One run whose producer does not wait: the writer always finds a full queue. */
    @State(Scope.Benchmark)
    public static class Pipelined extends Store {
        @Param({"NORMAL", "FULL", "OFF"})
        public SqliteStore.Sync sync;

        @Param({"1000"})
        public int maxBatch;

        @Param({"2000"})
        public int appendsPerInvocation;

        long seq;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            open(sync, 16_384, maxBatch);
            store.append(start("run-0")).join();
            seq = 1;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            close();
        }
    }

    /**
     * Not what a run does (a run waits for each append): {@code appendsPerInvocation} appends
     * queued back to back, then the last one joined. The writer's own cost per append with the
     * largest batches, the ceiling for {@link #groupCommit}. Read the {@code appends} line.
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public void writerCeiling(Pipelined s, WriterCounters counter) {
        SqliteStore.WriterStats before = s.store.writerStats();
        CompletableFuture<Void> last = null;
        for (int i = 0; i < s.appendsPerInvocation; i++) {
            last = s.store.append(append("run-0", s.seq++));
        }
        last.join();
        counter.add(s.appendsPerInvocation, before, s.store.writerStats());
    }
}
