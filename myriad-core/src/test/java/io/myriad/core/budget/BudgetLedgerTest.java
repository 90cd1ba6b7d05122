package io.myriad.core.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Admission against nested ceilings, settlement, release and warnings. */
class BudgetLedgerTest {
    static Ceilings usd(double usd) {
        return new Ceilings(OptionalLong.empty(), OptionalDouble.of(usd), OptionalLong.empty(), OptionalLong.empty(),
                Optional.empty(), Ceilings.DEFAULT_WARN_AT);
    }

    static Ceilings tokens(long tokens) {
        return new Ceilings(OptionalLong.of(tokens), OptionalDouble.empty(), OptionalLong.empty(), OptionalLong.empty(),
                Optional.empty(), Ceilings.DEFAULT_WARN_AT);
    }

    final List<BudgetLedger.Warning> warnings = new CopyOnWriteArrayList<>();
    final BudgetLedger ledger = BudgetLedger.create(warnings::add);

    BudgetLedger.Admission admit(String run, Amount worst) {
        return ledger.admit("acme", "f-1", run, Ceilings.NONE, Amount.ZERO, worst, 0);
    }

    @Test
    void admitsOnlyWhatFitsWithReservationsInFlightCounted() {
        ledger.tenant("acme", tokens(1_000));
        var first = admit("r1", new Amount(600, 0, 1, 0));
        assertThat(first).isInstanceOf(BudgetLedger.Reservation.class);
        // 600 held: a second worst case of 600 does not fit, even though nothing is spent yet.
        var second = admit("r2", new Amount(600, 0, 1, 0));
        assertThat(second).isInstanceOfSatisfying(BudgetLedger.Refused.class, r -> {
            assertThat(r.level()).isEqualTo(Level.TENANT);
            assertThat(r.resource()).isEqualTo(Resource.TOKENS);
            assertThat(r.spent()).isEqualTo(600);
            assertThat(r.needed()).isEqualTo(600);
            assertThat(r.message()).contains("tenant acme tokens budget is exhausted", "myriad budgets set --tenant acme --tokens");
        });
        // Settling at the actual usage frees the rest of the hold.
        ((BudgetLedger.Reservation) first).settle(new Amount(100, 0, 1, 0));
        assertThat(admit("r2", new Amount(600, 0, 1, 0))).isInstanceOf(BudgetLedger.Reservation.class);
        assertThat(ledger.snapshot("acme", Level.TENANT, "acme").orElseThrow().spent().tokens()).isEqualTo(100);
    }

    @Test
    void releaseGivesTheWholeHoldBackAndASecondFinishIsRefused() {
        ledger.tenant("acme", usd(1));
        var r = (BudgetLedger.Reservation) admit("r1", new Amount(0, Amount.nanos(0.9), 1, 0));
        r.release();
        var snap = ledger.snapshot("acme", Level.TENANT, "acme").orElseThrow();
        assertThat(snap.spent()).isEqualTo(Amount.ZERO);
        assertThat(snap.reserved()).isEqualTo(Amount.ZERO);
        assertThatThrownBy(() -> r.settle(Amount.ZERO)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theFirstLevelThatRefusesIsNamedFromTheTenantDown() {
        ledger.tenant("acme", usd(10));
        ledger.execution("acme", "f-1", tokens(50), 0);
        var refused = ledger.admit("acme", "f-1", "r1", usd(0.001), Amount.ZERO, Amount.modelCall(100, 0.5), 0);
        assertThat(refused).isInstanceOfSatisfying(BudgetLedger.Refused.class, r -> {
            assertThat(r.level()).isEqualTo(Level.FLEET);
            assertThat(r.owner()).isEqualTo("f-1");
            assertThat(r.message()).contains("raise budget.tokens in the fleet file");
        });
        var run = ledger.admit("acme", "f-1", "r1", usd(0.001), Amount.ZERO, Amount.modelCall(10, 0.5), 0);
        assertThat(run).isInstanceOfSatisfying(BudgetLedger.Refused.class, r -> {
            assertThat(r.level()).isEqualTo(Level.RUN);
            assertThat(r.resource()).isEqualTo(Resource.USD);
            assertThat(r.message()).contains("raise limits.max_usd");
        });
    }

    @Test
    void anotherTenantIsNotAffected() {
        ledger.tenant("acme", tokens(0));
        assertThat(admit("r1", new Amount(1, 0, 1, 0))).isInstanceOf(BudgetLedger.Refused.class);
        assertThat(ledger.admit("beta", "g-1", "s1", Ceilings.NONE, Amount.ZERO, new Amount(1_000_000, 0, 1, 0), 0))
                .isInstanceOf(BudgetLedger.Reservation.class);
    }

    @Test
    void restoredSpendCountsAndRunSpendSeedsTheRunAccount() {
        ledger.tenant("acme", tokens(1_000));
        ledger.restore("acme", null, new Amount(950, 0, 10, 2));
        assertThat(admit("r1", new Amount(100, 0, 1, 0))).isInstanceOf(BudgetLedger.Refused.class);
        var calls = new Ceilings(OptionalLong.empty(), OptionalDouble.empty(), OptionalLong.empty(), OptionalLong.of(3),
                Optional.empty(), 0.8);
        var seeded = ledger.admit("other", "x-1", "r9", calls, new Amount(0, 0, 3, 3), Amount.TOOL_CALL, 0);
        assertThat(seeded).isInstanceOfSatisfying(BudgetLedger.Refused.class,
                r -> assertThat(r.resource()).isEqualTo(Resource.TOOL_CALLS));
    }

    @Test
    void wallIsCheckedAgainstTheExecutionStart() {
        var wall = new Ceilings(OptionalLong.empty(), OptionalDouble.empty(), OptionalLong.empty(), OptionalLong.empty(),
                Optional.of(Duration.ofMinutes(1)), 0.8);
        ledger.execution("acme", "f-1", wall, 1_000);
        assertThat(ledger.admit("acme", "f-1", "r", Ceilings.NONE, Amount.ZERO, Amount.TOOL_CALL, 60_999))
                .isInstanceOf(BudgetLedger.Reservation.class);
        assertThat(ledger.admit("acme", "f-1", "r", Ceilings.NONE, Amount.ZERO, Amount.TOOL_CALL, 61_000))
                .isInstanceOfSatisfying(BudgetLedger.Refused.class, r -> {
                    assertThat(r.resource()).isEqualTo(Resource.WALL);
                    assertThat(r.message()).contains("ran for 60.0 s of the 60.0 s allowed");
                });
    }

    @Test
    void warnsOncePerScopeAndResourceAtTheFraction() {
        ledger.tenant("acme", tokens(1_000));
        List<BudgetLedger.Reservation> held = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            held.add((BudgetLedger.Reservation) admit("r" + i, new Amount(100, 0, 0, 0)));
        }
        assertThat(warnings).hasSize(1);
        assertThat(warnings.getFirst().level()).isEqualTo(Level.TENANT);
        assertThat(warnings.getFirst().message()).isEqualTo(
                "tenant acme has used 80% of its tokens ceiling (800 tokens of 1,000 tokens, calls in flight included;"
                        + " warning at 80%)");
        held.forEach(r -> r.settle(new Amount(100, 0, 0, 0)));
        assertThat(warnings).hasSize(1);
    }

    @Test
    void dollarsAreCountedInNanoDollarsRoundedUp() {
        assertThat(Amount.nanos(0.00007)).isGreaterThanOrEqualTo(70_000);
        assertThat(Amount.nanos(1e-10)).isEqualTo(1);
        assertThat(Amount.nanos(0)).isZero();
        assertThatThrownBy(() -> Amount.nanos(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Ceilings(OptionalLong.empty(), OptionalDouble.empty(), OptionalLong.empty(),
                OptionalLong.empty(), Optional.empty(), 1.5)).hasMessageContaining("warn_at");
    }
}
