package io.myriad.cli;

import io.myriad.core.auth.AccessDenied;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.journal.RunRepository;
import io.myriad.store.Store;

/**
 * How commands find what a principal may touch. A run of a tenant the caller may not view is
 * reported exactly like a run that does not exist, so a principal learns nothing about other
 * tenants; a run it may view but not act on is refused by name.
 */
final class Access {
    private Access() {}

    /**
     * The run, when {@code who} may view it, after checking {@code needed} in its tenant.
     *
     * @throws NotFound     when there is no such run among the runs {@code who} may view
     * @throws AccessDenied when {@code who} may view the run but not do {@code needed}
     */
    static RunRepository.RunRow run(Store store, Principal who, String runId, Permission needed) {
        RunRepository.RunRow row = store.run(runId).filter(r -> who.can(Permission.VIEW, r.tenant()))
                .orElseThrow(() -> new NotFound("no run " + runId + " among the runs you may see; list them with: myriad runs ls"));
        who.require(needed, row.tenant());
        return row;
    }

    /** The execution, when {@code who} may view it. */
    static RunRepository.Execution execution(Store store, Principal who, String executionId) {
        return store.execution(executionId).filter(e -> who.can(Permission.VIEW, e.tenant()))
                .orElseThrow(() -> new NotFound("no execution " + executionId + " among those you may see"));
    }

    /**
     * The tenants where {@code who} holds {@code permission}, for a listing; a principal that
     * holds it nowhere is refused.
     */
    static io.myriad.core.auth.TenantScope scope(Principal who, Permission permission) {
        io.myriad.core.auth.TenantScope scope = who.scopeOf(permission);
        if (scope.none()) {
            who.require(permission, Principal.DEFAULT_TENANT);
        }
        return scope;
    }

    /** A line saying who acts, for the start of a command's output; marks a single-user install. */
    static String describe(Principal who) {
        return who.kind() == Principal.Kind.IMPLICIT_OWNER
                ? "acting as " + who.name() + ", owner of every tenant (single-user install: no API keys yet; "
                        + "see `myriad keys create --help`)"
                : "acting as " + who.name() + " (" + who.id() + ")";
    }

    /** Nothing by that name among what the caller may see: a bad input, not a denial. */
    static final class NotFound extends IllegalArgumentException {
        NotFound(String message) {
            super(message);
        }
    }
}
