package io.myriad.cli.fleet;

import io.myriad.core.policy.Condition;
import io.myriad.core.policy.Decision;
import io.myriad.core.policy.Policy;
import io.myriad.core.policy.Rule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code policy} and {@code policy_file} keys of a fleet file: a list of rules
 * {@code {id?, effect: allow|deny|needs_approval, tool: "fs.*", tenant?, fleet?, agent?, when: {...}}},
 * inline or in a YAML file holding the same list. Rules of both are kept, inline ones first.
 * A fleet with neither key has {@link Policy#NONE}.
 */
final class PolicyReader {
    static final List<String> RULE_KEYS = List.of("id", "effect", "tool", "tenant", "fleet", "agent", "when");
    private static final List<String> EFFECTS = List.of("allow", "deny", "needs_approval");

    private PolicyReader() {}

    /**
     * Reads the fleet's policy.
     *
     * @param agents the fleet's agent names, to catch a rule naming an agent that does not exist
     * @param digest takes the policy file's bytes, so an edit is seen on resume
     */
    static Policy read(Optional<Node> inline, Optional<Node> file, Path fleetFile, List<String> agents,
            MessageDigest digest, Problems problems) {
        if (inline.isEmpty() && file.isEmpty()) {
            return Policy.NONE;
        }
        List<Rule> rules = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        inline.ifPresent(n -> rules(n, agents, ids, rules, problems));
        file.ifPresent(n -> fromFile(n, fleetFile, agents, ids, rules, digest, problems));
        return Policy.of(rules);
    }

    /**
     * A policy document on its own (the list of rules a {@code policy_file} holds), checked against
     * the fleet's agent names ({@code agents} empty: not checked).
     *
     * @throws FleetFileException naming each problem with its line and column in {@code source}
     */
    static Policy parse(byte[] bytes, String source, List<String> agents) {
        Problems problems = new Problems(source);
        List<Rule> rules = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        NodeReader.yaml(bytes, problems).ifPresent(root -> rules(root, agents, ids, rules, problems));
        if (!problems.isEmpty()) {
            throw problems.exception();
        }
        return Policy.of(rules);
    }

    private static void fromFile(Node node, Path fleetFile, List<String> agents, Set<String> ids, List<Rule> rules,
            MessageDigest digest, Problems problems) {
        Optional<String> name = Values.nonBlank(node, "the path of a policy file", problems);
        if (name.isEmpty()) {
            return;
        }
        Path path;
        try {
            Path given = Path.of(name.get().strip());
            path = fleetFile.getParent() == null ? given : fleetFile.getParent().resolve(given);
        } catch (InvalidPathException e) {
            problems.at(node, "expected the path of a policy file, got " + node.describe());
            return;
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            problems.at(node, "cannot read policy file " + path + " (" + e.getClass().getSimpleName() + ")");
            return;
        }
        digest.update(bytes);
        Problems in = problems.in(path.toString());
        NodeReader.yaml(bytes, in).ifPresent(root -> rules(root, agents, ids, rules, in));
    }

    private static void rules(Node node, List<String> agents, Set<String> ids, List<Rule> rules, Problems problems) {
        Optional<Node.Sequence> list = Values.list(node, problems);
        for (Node item : list.map(Node.Sequence::items).orElse(List.of())) {
            rule(item, rules.size() + 1, agents, ids, problems).ifPresent(rules::add);
        }
    }

    static Optional<Rule> rule(Node node, int position, List<String> agents, Set<String> ids, Problems problems) {
        if (!(node instanceof Node.Mapping mapping)) {
            problems.at(node, "expected a rule like {effect: deny, tool: \"fs.*\", when: {path: \"**/.env\"}}, got "
                    + node.describe());
            return Optional.empty();
        }
        int before = problems.count();
        Fields f = Fields.of(mapping, "policy rule " + position, Fields.Owner.of(mapping), problems, RULE_KEYS);
        String id = f.get("id").flatMap(n -> Values.nonBlank(n, "a rule id", problems)).orElse("rule-" + position);
        if (!ids.add(id)) {
            problems.at(f.get("id").orElse(node), "rule id '" + id + "' is used twice; give each rule its own id");
        }
        Optional<Decision.Effect> effect = f.required("effect").flatMap(n -> Values.string(n, problems).flatMap(s -> {
            if (!EFFECTS.contains(s)) {
                problems.at(n, "expected an effect, one of: " + String.join(", ", EFFECTS) + ", got " + n.describe()
                        + Suggestions.hint(s, EFFECTS));
                return Optional.empty();
            }
            return Optional.of(Decision.Effect.valueOf(s.toUpperCase(Locale.ROOT)));
        }));
        Optional<String> tool = f.required("tool").flatMap(n -> Values.nonBlank(n, "a tool name or pattern like fs.*", problems));
        Optional<String> agent = f.get("agent").flatMap(n -> Values.nonBlank(n, "an agent name", problems).filter(a -> {
            boolean ok = a.contains("*") || a.contains("?") || agents.isEmpty() || agents.contains(a);
            if (!ok) {
                problems.at(n, "no agent named '" + a + "' in this fleet; agents: " + String.join(", ", agents)
                        + Suggestions.hint(a, agents));
            }
            return ok;
        }));
        Optional<String> tenant = f.get("tenant").flatMap(n -> Values.nonBlank(n, "a tenant name", problems));
        Optional<String> fleet = f.get("fleet").flatMap(n -> Values.nonBlank(n, "a fleet name", problems));
        List<Condition> conditions = new ArrayList<>();
        f.get("when").flatMap(n -> Values.mapping(n, problems)).ifPresent(when -> {
            for (Node.Entry e : when.entries().values()) {
                try {
                    conditions.add(Condition.of(e.key(), Values.toJson(e.value())));
                } catch (IllegalArgumentException ex) {
                    problems.at(e.value(), ex.getMessage() + ", got " + e.value().describe());
                }
            }
        });
        if (problems.count() > before || effect.isEmpty() || tool.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Rule(id, effect.get(), tenant, fleet, agent, tool.get(), conditions));
    }
}
