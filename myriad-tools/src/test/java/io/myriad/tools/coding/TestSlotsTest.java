package io.myriad.tools.coding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TestSlotsTest {

    @Test
    void neverMoreThanNAtOnceAndEveryoneIsServed() throws Exception {
        TestSlots slots = TestSlots.of(3);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger served = new AtomicInteger();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                calls.add(pool.submit(() -> {
                    try (TestSlots.Slot slot = slots.acquire(Duration.ofSeconds(60)).orElseThrow()) {
                        int now = inside.incrementAndGet();
                        most.accumulateAndGet(now, Math::max);
                        assertThat(slots.running()).isBetween(1, 3);
                        Thread.sleep(2);
                        inside.decrementAndGet();
                        served.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : calls) {
                f.get();
            }
        }
        assertThat(served).hasValue(200);
        assertThat(most.get()).isEqualTo(3);
        assertThat(slots.running()).isZero();
        assertThat(slots.waiting()).isZero();
    }

    @Test
    void refusesWhenNoSlotFreesUpInTime() throws Exception {
        TestSlots slots = TestSlots.of(1);
        TestSlots.Slot held = slots.acquire(Duration.ZERO).orElseThrow();
        long start = System.nanoTime();
        assertThat(slots.acquire(Duration.ofMillis(100))).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(
                Duration.ofMillis(100));
        assertThat(slots.acquire(Duration.ZERO)).isEmpty();
        held.close();
        held.close(); // a second close frees nothing more
        Optional<TestSlots.Slot> again = slots.acquire(Duration.ZERO);
        assertThat(again).isPresent();
        assertThat(slots.acquire(Duration.ZERO)).as("still one slot, not two").isEmpty();
        again.get().close();
    }

    @Test
    void anInterruptedWaiterHoldsNoSlotAndKeepsItsInterrupt() throws Exception {
        TestSlots slots = TestSlots.of(1);
        TestSlots.Slot held = slots.acquire(Duration.ZERO).orElseThrow();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> flag = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Thread waiter = Thread.ofVirtual().start(() -> {
            started.countDown();
            try {
                slots.acquire(Duration.ofMinutes(5));
            } catch (InterruptedException e) {
                thrown.set(e);
                flag.set(Thread.currentThread().isInterrupted());
            }
        });
        started.await();
        while (slots.waiting() == 0) {
            Thread.sleep(1);
        }
        waiter.interrupt();
        waiter.join(5000);
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertThat(slots.waiting()).isZero();
        held.close();
        assertThat(slots.running()).isZero();
        try (TestSlots.Slot s = slots.acquire(Duration.ZERO).orElseThrow()) {
            assertThat(slots.running()).isEqualTo(1);
        }
    }

    @Test
    void waitersAreServedInArrivalOrder() throws Exception {
        TestSlots slots = TestSlots.of(1);
        TestSlots.Slot held = slots.acquire(Duration.ZERO).orElseThrow();
        List<Integer> order = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int id = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try (TestSlots.Slot s = slots.acquire(Duration.ofSeconds(30)).orElseThrow()) {
                    order.add(id);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            while (slots.queued() < i + 1) {
                Thread.sleep(1);
            }
        }
        held.close();
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertThat(order).containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> TestSlots.of(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1");
        assertThatThrownBy(() -> TestSlots.of(1).acquire(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(TestSlots.perProcessor().size())
                .isEqualTo(Runtime.getRuntime().availableProcessors());
    }
}
