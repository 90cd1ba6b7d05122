package io.myriad.core.policy;

import io.myriad.core.tool.Effect;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * An ordered list of rules that decides whether a tool call may run, with Cedar's semantics:
 * an explicit deny beats any allow or needs-approval, needs-approval beats allow, and a call no
 * rule matches is allowed only when its tool is read-only ("deny by default for tools whose
 * effect is not read-only").
 *
 * <p>{@link #NONE} is the policy of a fleet file without a {@code policy} key: it allows every
 * call, because listing a tool in an agent's {@code tools} is itself the grant. The order of
 * rules never changes a decision; among rules of the deciding effect the first one is named.
 * Pure, thread-safe and allocation-light: {@link #decide} is on the path of every tool call.
 */
public final class Policy {
    /** No policy: every call to a tool the agent lists is allowed. */
    public static final Policy NONE = new Policy(List.of(), false);

    private final List<Rule> rules;
    private final boolean enforced;

    private Policy(List<Rule> rules, boolean enforced) {
        this.rules = rules;
        this.enforced = enforced;
    }

    /** A policy of {@code rules} (which may be empty: then only read-only tools may run). */
    public static Policy of(List<Rule> rules) {
        return new Policy(List.copyOf(rules), true);
    }

    public List<Rule> rules() {
        return rules;
    }

    /** False for {@link #NONE}, the policy of a fleet that has none. */
    public boolean enforced() {
        return enforced;
    }

    /**
     * SHA-256 (hex) of the rules as they were read, in order; what the audit log records of the
     * policy in force, so a changed policy shows as a changed digest. Empty without a policy.
     */
    public String digest() {
        if (!enforced) {
            return "";
        }
        try {
            var md = java.security.MessageDigest.getInstance("SHA-256");
            for (Rule r : rules) {
                md.update(r.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update((byte) '\n');
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Decides one call. */
    public Decision decide(Request request) {
        Objects.requireNonNull(request, "request");
        if (!enforced) {
            return new Decision(Decision.Effect.ALLOW, Decision.NO_POLICY,
                    "allowed: the fleet has no policy, so every tool the agent lists is allowed");
        }
        Rule.Match approval = null;
        Rule.Match allow = null;
        for (Rule rule : rules) {
            if (rule.effect() == Decision.Effect.ALLOW && allow != null) {
                continue; // a later allow cannot change the outcome or the rule named
            }
            if (rule.effect() == Decision.Effect.NEEDS_APPROVAL && approval != null) {
                continue;
            }
            Rule.Match m = rule.match(request);
            if (!m.matched()) {
                continue;
            }
            switch (rule.effect()) {
                case DENY -> {
                    return decision(m);
                }
                case NEEDS_APPROVAL -> approval = m;
                case ALLOW -> allow = m;
            }
        }
        if (approval != null) {
            return decision(approval);
        }
        if (allow != null) {
            return decision(allow);
        }
        if (request.toolEffect() == Effect.READ_ONLY) {
            return new Decision(Decision.Effect.ALLOW, Decision.DEFAULT,
                    "allowed by default: no rule matched and " + request.tool() + " is read-only");
        }
        return new Decision(Decision.Effect.DENY, Decision.DEFAULT, "denied by default: no policy rule allows "
                + request.tool() + ", and a tool that is not read-only ("
                + request.toolEffect().name().toLowerCase(Locale.ROOT) + ") is denied unless a rule allows it");
    }

    /** Every rule, in order, with whether it matched {@code request} and why: for {@code myriad policy check}. */
    public List<Rule.Match> explain(Request request) {
        Objects.requireNonNull(request, "request");
        return rules.stream().map(r -> r.match(request)).toList();
    }

    private static Decision decision(Rule.Match m) {
        String verb = switch (m.rule().effect()) {
            case ALLOW -> "allowed";
            case DENY -> "denied";
            case NEEDS_APPROVAL -> "needs approval";
        };
        return new Decision(m.rule().effect(), m.rule().id(), verb + " by policy rule " + m.rule().id() + ": " + m.why());
    }

    @Override
    public String toString() {
        return enforced ? "Policy[" + rules.size() + " rules]" : "Policy.NONE";
    }
}
