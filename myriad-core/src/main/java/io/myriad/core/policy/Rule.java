package io.myriad.core.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One policy rule: when a call matches the rule's tenant, fleet, agent, tool pattern and every
 * condition, the rule applies its effect.
 *
 * @param id         names the rule in decisions and the journal
 * @param effect     what the rule decides
 * @param tenant     the tenant it applies to (a glob), or empty for every tenant
 * @param fleet      the fleet it applies to (a glob), or empty for every fleet
 * @param agent      the agent it applies to (a glob), or empty for every agent
 * @param tool       the tools it applies to, a glob in which {@code *} matches anything: {@code fs.*}
 * @param conditions on the call's arguments, all of which must hold
 */
public record Rule(String id, Decision.Effect effect, Optional<String> tenant, Optional<String> fleet,
        Optional<String> agent, String tool, List<Condition> conditions) {

    public Rule {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(effect, "effect");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(tool, "tool");
        conditions = List.copyOf(conditions);
        if (id.isBlank()) {
            throw new IllegalArgumentException("a rule id must not be blank");
        }
    }

    /** A rule on every tenant, fleet and agent. */
    public static Rule of(String id, Decision.Effect effect, String tool, List<Condition> conditions) {
        return new Rule(id, effect, Optional.empty(), Optional.empty(), Optional.empty(), tool, conditions);
    }

    /** Whether the rule applies to {@code request}, and why it does or does not. */
    public Match match(Request request) {
        Optional<String> miss = scope("tenant", tenant, request.tenant())
                .or(() -> scope("fleet", fleet, request.fleet()))
                .or(() -> scope("agent", agent, request.agent()));
        if (miss.isPresent()) {
            return new Match(this, false, miss.get());
        }
        if (!Glob.matchesName(tool, request.tool())) {
            return new Match(this, false, "tool " + request.tool() + " does not match '" + tool + "'");
        }
        if (conditions.isEmpty()) {
            return new Match(this, true, "tool " + request.tool() + " matches '" + tool + "'");
        }
        List<String> why = new ArrayList<>(conditions.size());
        for (Condition c : conditions) {
            Condition.Check check = c.test(request.arguments());
            if (!check.holds()) {
                return new Match(this, false, check.why());
            }
            why.add(check.why());
        }
        return new Match(this, true, String.join(", ", why));
    }

    private static Optional<String> scope(String what, Optional<String> pattern, String actual) {
        if (pattern.isEmpty() || Glob.matchesName(pattern.get(), actual)) {
            return Optional.empty();
        }
        return Optional.of(what + " " + actual + " is not '" + pattern.get() + "'");
    }

    /** Whether {@link #rule} applies to a call, and why. */
    public record Match(Rule rule, boolean matched, String why) {}

}
