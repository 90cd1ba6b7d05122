package io.myriad.core.budget;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A cluster node's ledger catching up with what the other nodes spent (the store's totals). */
class BudgetLedgerSyncTest {
    private final BudgetLedger ledger = BudgetLedger.create(w -> { });

    private BudgetLedger.Admission admit(String run, long tokens) {
        return ledger.admit("acme", "f-1", run, Ceilings.NONE, Amount.ZERO, new Amount(tokens, 0, 1, 0), 0);
    }

    @Test
    void spendJournaledByOtherNodesCountsAgainstTheCeiling() {
        ledger.tenant("acme", Ceilings.NONE);
        ledger.execution("acme", "f-1", BudgetLedgerTest.tokens(1_000), 0);
        assertThat(admit("r1", 600)).isInstanceOf(BudgetLedger.Reservation.class);
        ((BudgetLedger.Reservation) admit("r2", 100)).settle(new Amount(100, 0, 1, 0));
        // The store says the execution spent 700 tokens: this node's 100 and another node's 600.
        ledger.sync("acme", "f-1", new Amount(700, 0, 1, 0));
        // 700 spent + 600 reserved here: another 600 does not fit; 300 would not either (1,600 > 1,000 already).
        assertThat(admit("r3", 100)).isInstanceOf(BudgetLedger.Refused.class);
    }

    @Test
    void aSyncNeverCountsThisNodesOwnSpendTwiceNorForgetsWhatItHasNotJournaledYet() {
        ledger.tenant("acme", Ceilings.NONE);
        ledger.execution("acme", "f-1", BudgetLedgerTest.tokens(1_000), 0);
        ((BudgetLedger.Reservation) admit("r1", 400)).settle(new Amount(400, 0, 1, 0));
        // The store has journaled only 300 of it so far: the ledger keeps its 400.
        ledger.sync("acme", "f-1", new Amount(300, 0, 1, 0));
        assertThat(admit("r2", 600)).isInstanceOf(BudgetLedger.Reservation.class);
        // Then the store holds the same 400 (journaled): still 400, not 800.
        ledger.sync("acme", "f-1", new Amount(400, 0, 1, 0));
        assertThat(ledger.snapshot("acme", Level.FLEET, "f-1").orElseThrow().spent().tokens()).isEqualTo(400);
    }
}
