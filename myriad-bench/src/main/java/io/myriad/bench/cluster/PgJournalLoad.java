package io.myriad.bench.cluster;

import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.RunState;
import io.myriad.store.PostgresStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What one PostgreSQL server sustains as the journal of a cluster: {@code nodes} stores (each
 * with its own pool and group-committing writer, as separate processes would have) append to
 * one database at once, each from {@code producers} virtual threads, every producer the only
 * writer of its own run, appending one small event at a time and waiting until it is durable.
 * Prints appends per second per round; run it with the database's durability settings as they
 * will be used.
 *
 * <pre>java -cp … io.myriad.bench.cluster.PgJournalLoad jdbc:postgresql://… NODES PRODUCERS APPENDS ROUNDS</pre>
 */
public final class PgJournalLoad {
    private PgJournalLoad() {}

    public static void main(String[] args) throws Exception {
        String url = args[0];
        int nodes = Integer.parseInt(args[1]);
        int producers = Integer.parseInt(args[2]);
        int appends = Integer.parseInt(args[3]);
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        List<PostgresStore> stores = new ArrayList<>();
        for (int n = 0; n < nodes; n++) {
            stores.add(PostgresStore.open(url));
        }
        String prefix = "load-" + System.currentTimeMillis();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int round = 1; round <= rounds; round++) {
                long begin = System.nanoTime();
                List<Future<?>> done = new ArrayList<>();
                for (int n = 0; n < nodes; n++) {
                    PostgresStore store = stores.get(n);
                    for (int p = 0; p < producers; p++) {
                        String runId = prefix + "-r" + round + ":n" + n + "p" + p;
                        done.add(threads.submit(() -> produce(store, runId, appends)));
                    }
                }
                for (Future<?> f : done) {
                    f.get();
                }
                double seconds = (System.nanoTime() - begin) / 1e9;
                long total = (long) nodes * producers * appends;
                System.out.printf(Locale.ROOT, "round %d: %d node(s) x %d producers x %d appends = %,d appends in %.2f s: %,.0f appends/s%n",
                        round, nodes, producers, appends, total, seconds, total / seconds);
            }
        } finally {
            stores.forEach(PostgresStore::close);
        }
    }

    private static void produce(PostgresStore store, String runId, int appends) {
        store.append(new Journal.Append(runId, 0, List.of(new RunEvent.RunStarted(1, "load", "load-1", runId, "a", "in", "m")),
                new RunStatus(RunState.AWAITING_MODEL, 0, 0, 0, 1, ""))).join();
        for (long seq = 1; seq < appends; seq++) {
            store.append(new Journal.Append(runId, seq, List.of(new RunEvent.ToolCallCompleted(seq, "call_" + seq, "ok", 3)),
                    new RunStatus(RunState.ACTING, seq, 100 * seq, 0, seq, ""))).join();
        }
    }
}
