package io.myriad.core.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Steps run on a bounded number of workers, shared fairly between tenants. */
class StepExecutorTest {

    @Test
    void neverMoreWorkersThanTheBoundAndEveryStepRuns() throws Exception {
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            StepExecutor steps = StepExecutor.create(threads, 3);
            AtomicInteger running = new AtomicInteger();
            AtomicInteger max = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(500);
            for (int i = 0; i < 500; i++) {
                steps.execute("t", "f", 0, () -> {
                    max.accumulateAndGet(running.incrementAndGet(), Math::max);
                    Thread.yield();
                    running.decrementAndGet();
                    done.countDown();
                });
            }
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(max.get()).isBetween(1, 3);
        }
    }

    @Test
    void aSmallTenantsStepsAreNotStuckBehindABigTenantsBacklog() throws Exception {
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            StepExecutor steps = StepExecutor.create(threads, 1);
            CountDownLatch gate = new CountDownLatch(1);
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            steps.execute("big", "f", 0, () -> {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (int i = 0; i < 1_000; i++) {
                String name = "big-" + i;
                steps.execute("big", "f", 0, () -> order.add(name));
            }
            for (int i = 0; i < 5; i++) {
                String name = "small-" + i;
                steps.execute("small", "f", 0, () -> order.add(name));
            }
            CountDownLatch all = new CountDownLatch(1);
            steps.execute("big", "f", 0, all::countDown);
            gate.countDown();
            assertThat(all.await(30, TimeUnit.SECONDS)).isTrue();
            // One worker, equal weights: the small tenant's five steps alternate with the big
            // tenant's and all run within the first ten or so, not after the thousand.
            assertThat(order.indexOf("small-4")).isBetween(4, 12);
        }
    }
}
