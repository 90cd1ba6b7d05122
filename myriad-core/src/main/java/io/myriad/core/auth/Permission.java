package io.myriad.core.auth;

import java.util.Locale;

/** One kind of operation, checked against a principal's roles in the tenant it touches. */
public enum Permission {
    /** List and read runs, transcripts, executions, approvals, budgets, deliveries. */
    VIEW,
    /** Start or resume a fleet's execution (spends the tenant's budget). */
    RUN,
    /** Kill, pause and resume runs and fleets. */
    CONTROL,
    /** Decide on a tool call left in doubt after a crash. */
    RESOLVE,
    /** Approve or deny a tool call that needs a person. */
    APPROVE,
    /** Read, export and verify the audit log. */
    READ_AUDIT,
    /** Set the tenant's budgets and prices. */
    MANAGE_BUDGETS,
    /** Create and revoke the tenant's keys and grant roles. */
    MANAGE_ACCESS;

    /** Lower-case words, for messages: {@code read audit}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
