package io.myriad.bench;

import io.myriad.core.sched.FairQueue;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The scheduler's fair queue in steady state: each operation dequeues the next item and enqueues
 * it again for the same tenant, so the queue keeps its size and its shape.
 *
 * <p>Shapes: {@code tenants1000}, 100,000 items spread evenly over 1,000 tenants (10 fleets
 * each); {@code skewed2}, the same 100,000 items with 99% belonging to one tenant and 1% to the
 * other. Priorities (0 to 3) and costs (1 to 1,000) are drawn from a fixed seed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FairQueueBench {

    /** An item that remembers where it was enqueued, so it can be enqueued there again. */
    public record Job(String tenant, String fleet, int priority, long cost) {}

    @Param({"tenants1000", "skewed2"})
    public String shape;

    @Param({"100000"})
    public int items;

    private FairQueue<Job> queue;

    @Setup(Level.Trial)
    public void fill() {
        queue = FairQueue.create();
        var random = new SplittableRandom(42);
        for (int i = 0; i < items; i++) {
            String tenant = switch (shape) {
                case "tenants1000" -> "tenant-" + (i % 1_000);
                case "skewed2" -> i % 100 == 0 ? "small" : "big";
                default -> throw new IllegalArgumentException("unknown shape " + shape + "; use tenants1000 or skewed2");
            };
            var job = new Job(tenant, tenant + "/fleet-" + random.nextInt(10), random.nextInt(4),
                    1 + random.nextInt(1_000));
            queue.add(job.tenant(), job.fleet(), job.priority(), job.cost(), job);
        }
        if (queue.size() != items) {
            throw new IllegalStateException("the queue holds " + queue.size() + " items, not " + items);
        }
    }

    /** One dequeue and one enqueue. */
    @Benchmark
    public Job pollAndAdd() {
        Job job = queue.poll().orElseThrow();
        queue.add(job.tenant(), job.fleet(), job.priority(), job.cost(), job);
        return job;
    }
}
