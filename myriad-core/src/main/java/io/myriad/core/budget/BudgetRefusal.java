package io.myriad.core.budget;

/**
 * A call was not admitted: it does not fit in a budget. Not retriable: the run ends as
 * {@code budget_exhausted} until someone raises the ceiling.
 */
public final class BudgetRefusal extends io.myriad.core.MyriadException {
    private static final long serialVersionUID = 1L;
    private final transient BudgetLedger.Refused refused;

    public BudgetRefusal(BudgetLedger.Refused refused) {
        super(refused.message(), false);
        this.refused = refused;
    }

    /** Where and why. */
    public BudgetLedger.Refused refused() {
        return refused;
    }
}
