package io.myriad.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/**
 * The retry budget under any sequence of first attempts, retries and passing time: it never admits
 * more retries than the ratio of the first attempts plus the floor plus the cap, it announces
 * exactly the wait a retry needs, and the floor always lets a retry through in the end.
 */
class RetryBudgetProperties {

    sealed interface Op permits Advance, First, Retry, Greedy {}

    record Advance(long millis) implements Op {}

    /** A first attempt sent. */
    record First() implements Op {}

    /** A retry asking once. */
    record Retry() implements Op {}

    /** A retry that waits as told until it is admitted. */
    record Greedy() implements Op {}

    @Property(tries = 1_000)
    void retriesNeverExceedTheRatioOfFirstsPlusTheFloorPlusTheCap(
            @ForAll("ratios") double ratio,
            @ForAll("floors") double floor,
            @ForAll @LongRange(min = -1_000_000_000L, max = 1_000_000_000L) long start,
            @ForAll("ops") @Size(max = 300) List<Op> ops) {
        RetryBudget budget = RetryBudget.create(ratio, floor);
        double cap = Math.max(1, floor * RetryBudget.DEFAULT_CAP_SECONDS);
        long now = start;
        long firsts = 0;
        long retries = 0;
        for (Op op : ops) {
            switch (op) {
                case Advance(long millis) -> now += millis;
                case First() -> {
                    budget.deposit(now);
                    firsts++;
                }
                case Retry() -> {
                    if (budget.tryWithdraw(now)) {
                        retries++;
                    }
                }
                case Greedy() -> {
                    long wait = budget.millisUntilAvailable(now);
                    now += wait;
                    assertThat(budget.tryWithdraw(now)).as("admitted after the announced wait of %d ms", wait).isTrue();
                    retries++;
                }
            }
            double seconds = (now - start) / 1000.0;
            assertThat((double) retries)
                    .as("retries after %d firsts in %.3f s", firsts, seconds)
                    .isLessThanOrEqualTo(ratio * firsts + floor * seconds + cap + 1e-9); // the bound in doubles can round down
        }
    }

    @Property(tries = 500)
    void theAnnouncedWaitIsExactlyTheWaitNeeded(
            @ForAll("ratios") double ratio,
            @ForAll("floors") double floor,
            @ForAll("ops") @Size(max = 100) List<Op> ops) {
        RetryBudget budget = RetryBudget.create(ratio, floor);
        long now = 0;
        for (Op op : ops) {
            switch (op) {
                case Advance(long millis) -> now += millis;
                case First() -> budget.deposit(now);
                case Retry(), Greedy() -> budget.tryWithdraw(now);
            }
        }
        while (budget.tryWithdraw(now)) {
            // empty it
        }
        long wait = budget.millisUntilAvailable(now);
        // The floor's rate is rounded down to whole units a millisecond: at most 0.1% slower here.
        assertThat(wait).as("an empty budget holds a token again within 1/floor seconds")
                .isBetween(1L, (long) Math.ceil(1000 / floor * 1.001) + 1);
        assertThat(budget.millisUntilAvailable(now + wait - 1)).as("one millisecond early").isPositive();
        assertThat(budget.tryWithdraw(now + wait)).as("on time").isTrue();
    }

    @Example
    void firstAttemptsEarnTheirRatioUpToTheCap() {
        RetryBudget budget = RetryBudget.create(0.5, 1);
        assertThat(budget.balance(0)).isEqualTo(10.0);
        for (int i = 0; i < 10; i++) {
            assertThat(budget.tryWithdraw(0)).isTrue();
        }
        assertThat(budget.tryWithdraw(0)).isFalse();
        assertThat(budget.millisUntilAvailable(0)).isEqualTo(1_000);
        budget.deposit(0);
        budget.deposit(0);
        assertThat(budget.tryWithdraw(0)).as("two first attempts at 0.5 pay for one retry").isTrue();
        assertThat(budget.tryWithdraw(0)).isFalse();
        for (int i = 0; i < 100; i++) {
            budget.deposit(0);
        }
        assertThat(budget.balance(0)).as("capped").isEqualTo(10.0);
        assertThat(budget.balance(-5_000)).as("time going back adds nothing").isEqualTo(10.0);
    }

    @Example
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> RetryBudget.create(-0.1, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ratio must be from 0");
        assertThatThrownBy(() -> RetryBudget.create(0.5, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("never starved");
        assertThatThrownBy(() -> RetryBudget.create(0.5, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryBudget.create(0.5, 5, 0.5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cap must be from 1");
    }

    @Provide
    Arbitrary<Double> ratios() {
        return Arbitraries.bigDecimals().between(BigDecimal.ZERO, BigDecimal.valueOf(3)).ofScale(2)
                .map(BigDecimal::doubleValue);
    }

    @Provide
    Arbitrary<Double> floors() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.bigDecimals().between(new BigDecimal("0.001"), BigDecimal.valueOf(20)).ofScale(3)
                        .map(BigDecimal::doubleValue)),
                Tuple.of(1, Arbitraries.of(0.001, 1.0, 5.0, 1_000.0)));
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.longs().between(0, 5_000).map(Advance::new)),
                Tuple.of(2, Arbitraries.longs().between(0, 50).map(Advance::new)),
                Tuple.of(5, Arbitraries.just(new First())),
                Tuple.of(5, Arbitraries.just(new Retry())),
                Tuple.of(2, Arbitraries.just(new Greedy())));
        return op.list();
    }
}
