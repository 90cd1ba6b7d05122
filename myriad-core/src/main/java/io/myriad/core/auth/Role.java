package io.myriad.core.auth;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a principal may do in a tenant. A principal holds one or more roles per tenant; the
 * permissions of its roles add up.
 */
public enum Role {
    /** Everything in the tenant, including its keys, budgets and policies. */
    OWNER(EnumSet.allOf(Permission.class)),
    /** Runs, stops, pauses and resumes fleets; decides on calls left in doubt. */
    OPERATOR(EnumSet.of(Permission.VIEW, Permission.RUN, Permission.CONTROL, Permission.RESOLVE)),
    /** Approves or denies the tool calls that need a person. */
    APPROVER(EnumSet.of(Permission.VIEW, Permission.APPROVE)),
    /** Reads runs, transcripts, budgets and approvals; changes nothing. */
    VIEWER(EnumSet.of(Permission.VIEW)),
    /** Reads and verifies the audit log (and the runs it speaks of). */
    AUDITOR(EnumSet.of(Permission.VIEW, Permission.READ_AUDIT));

    private final Set<Permission> permissions;

    Role(Set<Permission> permissions) {
        this.permissions = Set.copyOf(permissions);
    }

    public Set<Permission> permissions() {
        return permissions;
    }

    public boolean grants(Permission permission) {
        return permissions.contains(permission);
    }

    /** The lower-case name used in files, flags and messages. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a role name (any case); says which names exist when it is not one. */
    public static Role parse(String name) {
        try {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown role '" + name + "'; roles are owner, operator, approver, viewer, auditor");
        }
    }
}
