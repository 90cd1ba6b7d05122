package io.myriad.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.tool.Effect;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Policy decisions under any rules and calls: an explicit deny always wins whatever the order of
 * rules, removing an allow never turns a deny into an allow, and a call no rule matches is denied
 * unless its tool is read-only.
 */
class PolicyProperties {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TOOLS = List.of("fs.read", "fs.write", "shell", "ledger.pay", "mcp.crm.lookup");
    private static final List<String> PATHS = List.of("src/a.java", ".env", "src/../.env", "docs/x.md", "secrets/k");

    @Property(tries = 2_000)
    void anExplicitDenyWinsWhateverTheOrder(@ForAll("rules") List<Rule> rules, @ForAll("requests") Request request,
            @ForAll long seed) {
        Decision decision = Policy.of(rules).decide(request);
        List<Rule> shuffled = new ArrayList<>(rules);
        Collections.shuffle(shuffled, new java.util.Random(seed));
        Decision again = Policy.of(shuffled).decide(request);
        assertThat(again.effect()).isEqualTo(decision.effect());
        boolean anyDenyMatches = rules.stream()
                .anyMatch(r -> r.effect() == Decision.Effect.DENY && r.match(request).matched());
        if (anyDenyMatches) {
            assertThat(decision.effect()).isEqualTo(Decision.Effect.DENY);
            assertThat(decision.ruleId()).isNotEqualTo(Decision.DEFAULT);
        }
    }

    @Property(tries = 2_000)
    void removingAnAllowNeverTurnsADenyIntoAnAllow(@ForAll("rules") List<Rule> rules, @ForAll("requests") Request request) {
        Decision before = Policy.of(rules).decide(request);
        for (int i = 0; i < rules.size(); i++) {
            if (rules.get(i).effect() != Decision.Effect.ALLOW) {
                continue;
            }
            List<Rule> fewer = new ArrayList<>(rules);
            fewer.remove(i);
            Decision after = Policy.of(fewer).decide(request);
            if (before.effect() != Decision.Effect.ALLOW) {
                assertThat(after.effect()).isEqualTo(before.effect());
            }
        }
    }

    @Property(tries = 1_000)
    void theDefaultForANonReadOnlyToolIsDeny(@ForAll("rules") List<Rule> rules, @ForAll("requests") Request request) {
        List<Rule> denials = rules.stream().filter(r -> r.effect() == Decision.Effect.DENY).toList();
        Decision d = Policy.of(denials).decide(request);
        if (request.toolEffect() == Effect.READ_ONLY) {
            assertThat(d.effect()).isIn(Decision.Effect.ALLOW, Decision.Effect.DENY);
        } else {
            assertThat(d.effect()).isEqualTo(Decision.Effect.DENY);
        }
        Decision none = Policy.of(List.of()).decide(request);
        assertThat(none.ruleId()).isEqualTo(Decision.DEFAULT);
        assertThat(none.effect()).isEqualTo(request.toolEffect() == Effect.READ_ONLY ? Decision.Effect.ALLOW : Decision.Effect.DENY);
    }

    @Property(tries = 500)
    void withoutAPolicyEveryCallIsAllowed(@ForAll("requests") Request request) {
        assertThat(Policy.NONE.decide(request).effect()).isEqualTo(Decision.Effect.ALLOW);
    }

    @Provide
    Arbitrary<List<Rule>> rules() {
        Arbitrary<Decision.Effect> effect = Arbitraries.of(Decision.Effect.class);
        Arbitrary<String> tool = Arbitraries.of("fs.*", "fs.write", "shell", "*", "ledger.*", "mcp.crm.*");
        Arbitrary<List<Condition>> when = Arbitraries.oneOf(
                Arbitraries.just(List.<Condition>of()),
                Arbitraries.of("src/**", "**/.env", "*.md", "docs/**").map(g -> List.of(cond("path", g))),
                Arbitraries.of("< 500", ">= 10", "== 3", "!= 0").map(c -> List.of(cond("amount", c))),
                Arbitraries.of("rm *", "re:curl", "ls*").map(c -> List.of(cond("command", c))));
        return Combinators.combine(effect, tool, when, Arbitraries.integers().between(0, 999))
                .as((e, t, w, n) -> Rule.of("r" + n, e, t, w))
                .list().ofMaxSize(8);
    }

    @Provide
    Arbitrary<Request> requests() {
        Arbitrary<String> tool = Arbitraries.of(TOOLS);
        Arbitrary<Effect> effect = Arbitraries.of(Effect.class);
        Arbitrary<ObjectNode> args = Combinators.combine(
                        Arbitraries.of(PATHS), Arbitraries.integers().between(-5, 1000),
                        Arbitraries.of("ls -la", "rm -rf /", "curl x", "make"))
                .as((p, a, c) -> {
                    ObjectNode o = JSON.createObjectNode();
                    o.put("path", p);
                    o.put("amount", a);
                    o.put("command", c);
                    return o;
                });
        return Combinators.combine(tool, effect, args, Arbitraries.of("writer", "reader"))
                .as((t, e, a, agent) -> new Request(Request.DEFAULT_TENANT, "f", agent, t, e, a));
    }

    private static Condition cond(String key, String value) {
        return Condition.of(key, JSON.getNodeFactory().textNode(value));
    }
}
