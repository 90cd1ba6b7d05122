package io.myriad.core.control;

import java.util.Objects;

/**
 * What a control applies to: one run, one fleet of a tenant, every fleet of a tenant, or
 * everything. Stored as a kind and a value ({@link #kind()}, {@link #value()}).
 */
public sealed interface Scope {

    /** One run, by id. */
    record Run(String runId) implements Scope {
        public Run {
            requireText(runId, "runId");
        }
    }

    /** Every run of one fleet of one tenant. */
    record Fleet(String tenant, String fleet) implements Scope {
        public Fleet {
            requireText(tenant, "tenant");
            requireText(fleet, "fleet");
        }
    }

    /** Every run of one tenant. */
    record Tenant(String tenant) implements Scope {
        public Tenant {
            requireText(tenant, "tenant");
        }
    }

    /** Every run of every tenant. */
    record All() implements Scope {}

    /** {@code run}, {@code fleet}, {@code tenant} or {@code all}. */
    default String kind() {
        return switch (this) {
            case Run r -> "run";
            case Fleet f -> "fleet";
            case Tenant t -> "tenant";
            case All a -> "all";
        };
    }

    /** The run id, the fleet name, the tenant, or empty for {@code all}. */
    default String value() {
        return switch (this) {
            case Run r -> r.runId();
            case Fleet f -> f.fleet();
            case Tenant t -> t.tenant();
            case All a -> "";
        };
    }

    /** True when this scope covers the run {@code runId} of {@code fleet} in {@code tenant}. */
    default boolean covers(String tenant, String fleet, String runId) {
        Objects.requireNonNull(runId, "runId");
        return switch (this) {
            case Run r -> r.runId().equals(runId);
            default -> coversFleet(tenant, fleet);
        };
    }

    /** True when this scope covers every run of {@code fleet} in {@code tenant} (never for one run). */
    default boolean coversFleet(String tenant, String fleet) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(fleet, "fleet");
        return switch (this) {
            case Run r -> false;
            case Fleet f -> f.tenant().equals(tenant) && f.fleet().equals(fleet);
            case Tenant t -> t.tenant().equals(tenant);
            case All a -> true;
        };
    }

    /** Human-readable: {@code run R}, {@code fleet F (tenant T)}, {@code tenant T}, {@code everything}. */
    default String describe() {
        return switch (this) {
            case Run r -> "run " + r.runId();
            case Fleet f -> "fleet " + f.fleet() + " (tenant " + f.tenant() + ")";
            case Tenant t -> "tenant " + t.tenant();
            case All a -> "everything";
        };
    }

    /**
     * Rebuilds a scope from its stored form; {@code tenant} is needed for a fleet.
     *
     * @throws IllegalArgumentException for an unknown kind
     */
    static Scope of(String kind, String value, String tenant) {
        return switch (kind) {
            case "run" -> new Run(value);
            case "fleet" -> new Fleet(tenant, value);
            case "tenant" -> new Tenant(value);
            case "all" -> new All();
            default -> throw new IllegalArgumentException("unknown control scope '" + kind + "' (run, fleet, tenant, all)");
        };
    }

    /**
     * What a kill names (a run, a fleet of a tenant, a tenant, or everything), after checking that
     * {@code who} may control there. Killing everything needs the permission in every tenant.
     *
     * @param runId    the run, or null
     * @param fleet    the fleet (of {@code tenant}, else of the default tenant), or null
     * @param tenant   the tenant, or null
     * @param checkRun looks the run up for {@code who}, refusing one it may not control (or see)
     * @throws io.myriad.core.auth.AccessDenied when {@code who} may not control there
     */
    static Scope toKill(io.myriad.core.auth.Principal who, String runId, String fleet, String tenant,
            java.util.function.Consumer<String> checkRun) {
        io.myriad.core.auth.Permission control = io.myriad.core.auth.Permission.CONTROL;
        if (runId != null) {
            checkRun.accept(runId);
            return new Run(runId);
        }
        if (fleet != null) {
            String t = tenant != null ? tenant : io.myriad.core.auth.Principal.DEFAULT_TENANT;
            who.require(control, t);
            return new Fleet(t, fleet);
        }
        if (tenant != null) {
            who.require(control, tenant);
            return new Tenant(tenant);
        }
        if (!who.canEverywhere(control)) {
            throw new io.myriad.core.auth.AccessDenied(who.actor() + " may not kill everything: that needs the "
                    + control.label() + " permission in every tenant; kill a tenant or a fleet instead");
        }
        return new All();
    }

    private static void requireText(String s, String name) {
        Objects.requireNonNull(s, name);
        if (s.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
    }
}
