package io.myriad.core.policy;

import java.util.Objects;

/**
 * What a {@link Policy} decided about one tool call.
 *
 * @param effect      allow, deny or needs approval
 * @param ruleId      the id of the rule that decided, {@link #DEFAULT} when no rule matched, or
 *                    {@link #NO_POLICY} when the fleet has no policy
 * @param explanation one sentence saying why, naming the rule and the condition that matched
 */
public record Decision(Effect effect, String ruleId, String explanation) {
    /** The rule id of a decision no rule made. */
    public static final String DEFAULT = "default";
    /** The rule id of every decision of {@link Policy#NONE}. */
    public static final String NO_POLICY = "no-policy";

    /** A policy's effects, strongest last: deny beats needs-approval beats allow. */
    public enum Effect { ALLOW, NEEDS_APPROVAL, DENY }

    public Decision {
        Objects.requireNonNull(effect, "effect");
        Objects.requireNonNull(ruleId, "ruleId");
        Objects.requireNonNull(explanation, "explanation");
    }

    public boolean allowed() {
        return effect == Effect.ALLOW;
    }
}
