package io.myriad.core.budget;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Random concurrent admissions, settlements (never above the hold) and releases from many
 * threads over three runs in one execution: spend never exceeds any ceiling, and at the end
 * nothing stays reserved and the ledger's spend is the sum of what was settled.
 */
class BudgetLedgerProperties {

    @Property(tries = 60)
    void concurrentCallsNeverExceedAnyCeiling(@ForAll @LongRange(min = 0, max = 5_000) long tenantTokens,
                                              @ForAll @LongRange(min = 0, max = 3_000_000) long fleetNanos,
                                              @ForAll @IntRange(min = 0, max = 40) int runCalls,
                                              @ForAll long seed) throws Exception {
        BudgetLedger ledger = BudgetLedger.create(BudgetLedger.Listener.NONE);
        ledger.tenant("t", new Ceilings(OptionalLong.of(tenantTokens), OptionalDouble.empty(), OptionalLong.empty(),
                OptionalLong.empty(), Optional.empty(), 0.5));
        Ceilings fleet = new Ceilings(OptionalLong.empty(), OptionalDouble.of(Amount.usd(fleetNanos)), OptionalLong.empty(),
                OptionalLong.empty(), Optional.empty(), 0.5);
        ledger.execution("t", "e", fleet, 0);
        Ceilings run = new Ceilings(OptionalLong.empty(), OptionalDouble.empty(), OptionalLong.empty(),
                OptionalLong.of(runCalls), Optional.empty(), 0.5);
        AtomicLong settledTokens = new AtomicLong();
        AtomicLong settledNanos = new AtomicLong();
        AtomicLong settledCalls = new AtomicLong();
        int threads = 8;
        CountDownLatch go = new CountDownLatch(1);
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                java.util.Random random = new java.util.Random(seed + t);
                String runId = "r" + (t % 3);
                pool.execute(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < 200; i++) {
                            Amount worst = random.nextBoolean()
                                    ? new Amount(random.nextInt(300), random.nextInt(100_000), 1, 0)
                                    : Amount.TOOL_CALL;
                            var a = ledger.admit("t", "e", runId, run, Amount.ZERO, worst, 0);
                            if (a instanceof BudgetLedger.Reservation r) {
                                check(ledger, tenantTokens, fleetNanos);
                                if (random.nextInt(4) == 0) {
                                    r.release();
                                } else {
                                    Amount actual = new Amount(
                                            random.nextLong(worst.tokens() + 1), random.nextLong(worst.nanoUsd() + 1),
                                            worst.steps(), worst.toolCalls());
                                    r.settle(actual);
                                    settledTokens.addAndGet(actual.tokens());
                                    settledNanos.addAndGet(actual.nanoUsd());
                                    settledCalls.addAndGet(actual.toolCalls());
                                }
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
            }
            go.countDown();
        }
        assertThat(failures).isEmpty();
        var tenant = ledger.snapshot("t", Level.TENANT, "t").orElseThrow();
        var exec = ledger.snapshot("t", Level.FLEET, "e").orElseThrow();
        assertThat(tenant.reserved()).isEqualTo(Amount.ZERO);
        assertThat(exec.reserved()).isEqualTo(Amount.ZERO);
        assertThat(tenant.spent().tokens()).isEqualTo(settledTokens.get()).isLessThanOrEqualTo(tenantTokens);
        assertThat(exec.spent().nanoUsd()).isEqualTo(settledNanos.get()).isLessThanOrEqualTo(fleetNanos);
        long runCallsSpent = 0;
        for (int r = 0; r < 3; r++) {
            var snap = ledger.snapshot("t", Level.RUN, "r" + r);
            if (snap.isPresent()) {
                assertThat(snap.get().spent().toolCalls()).isLessThanOrEqualTo(runCalls);
                runCallsSpent += snap.get().spent().toolCalls();
            }
        }
        assertThat(runCallsSpent).isEqualTo(settledCalls.get());
    }

    private static void check(BudgetLedger ledger, long tenantTokens, long fleetNanos) {
        var t = ledger.snapshot("t", Level.TENANT, "t").orElseThrow();
        assertThat(t.spent().tokens() + t.reserved().tokens()).isLessThanOrEqualTo(tenantTokens);
        var e = ledger.snapshot("t", Level.FLEET, "e").orElseThrow();
        assertThat(e.spent().nanoUsd() + e.reserved().nanoUsd()).isLessThanOrEqualTo(fleetNanos);
    }
}
