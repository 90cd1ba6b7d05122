package io.myriad.cli.fleet;

import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.DelegationSpec;
import io.myriad.core.fleet.Orchestration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The fleet keys of agents working together: {@code delegation} (limits of the {@code delegate}
 * tool), {@code reduce} (the map-reduce step), and the agent names that agents' {@code delegates}
 * and {@code handoffs} refer to.
 *
 * <pre>
 * delegation: {max_children: 10000, max_depth: 3, share: 0.1, result_chars: 200000}
 * reduce: {agent: writer, batch: 100, output_chars: 2000, instructions: "Write one report from these summaries."}
 * </pre>
 */
final class OrchestrationReader {
    private static final List<String> DELEGATION_KEYS = List.of("max_children", "max_depth", "share", "result_chars");
    private static final List<String> REDUCE_KEYS = List.of("agent", "batch", "instructions", "output_chars");
    static final String DEFAULT_REDUCE_INSTRUCTIONS = "Combine the results below into one answer.";

    private OrchestrationReader() {}

    static Orchestration read(Fields root, Map<String, AgentSpec> agents, List<String> agentNames, Problems problems) {
        for (AgentSpec a : agents.values()) {
            check(root, a, a.delegates(), "delegates", agentNames, problems);
            check(root, a, a.handoffs(), "handoffs", agentNames, problems);
            if (a.handoffs().contains(a.name())) {
                problems.at(root.get("agents").orElseThrow(), "agent '" + a.name() + "' lists itself under handoffs");
            }
        }
        DelegationSpec delegation = root.get("delegation").flatMap(n -> Values.mapping(n, problems)).map(m -> {
            Fields f = Fields.of(m, "delegation", Fields.Owner.of(m), problems, DELEGATION_KEYS);
            DelegationSpec d = DelegationSpec.DEFAULT;
            long maxChildren = f.integer("max_children", 1, 1_000_000).orElse((long) d.maxChildren());
            long maxDepth = f.integer("max_depth", 1, 32).orElse((long) d.maxDepth());
            OptionalDouble share = f.number("share", 1e-9, 1).map(OptionalDouble::of).orElse(OptionalDouble.empty());
            long resultChars = f.integer("result_chars", 1000, 50_000_000).orElse((long) d.resultChars());
            return new DelegationSpec((int) maxChildren, (int) maxDepth, share, (int) resultChars);
        }).orElse(DelegationSpec.DEFAULT);
        Optional<Orchestration.ReduceSpec> reduce = root.get("reduce").flatMap(n -> Values.mapping(n, problems)).flatMap(m -> {
            Fields f = Fields.of(m, "reduce", Fields.Owner.of(m), problems, REDUCE_KEYS);
            Optional<String> agent = f.required("agent").flatMap(n -> Values.string(n, problems).filter(name -> {
                boolean ok = agentNames.contains(name);
                if (!ok) {
                    problems.at(n, "reduce.agent names no agent of the fleet; expected one of: " + String.join(", ", agentNames));
                }
                return ok;
            }));
            long batch = f.integer("batch", 2, 100_000).orElse(100L);
            String instructions = f.get("instructions").flatMap(n -> Values.nonBlank(n, "reduce.instructions", problems))
                    .orElse(DEFAULT_REDUCE_INSTRUCTIONS);
            long outputChars = f.integer("output_chars", 100, 1_000_000).orElse(2000L);
            return agent.map(a -> new Orchestration.ReduceSpec(a, (int) batch, instructions, (int) outputChars));
        });
        return new Orchestration(delegation, reduce);
    }

    private static void check(Fields root, AgentSpec a, List<String> names, String key, List<String> agentNames,
            Problems problems) {
        for (String n : names) {
            if (!agentNames.contains(n)) {
                problems.at(root.get("agents").orElseThrow(), "agent '" + a.name() + "' lists '" + n + "' under " + key
                        + ", which is no agent of the fleet; expected one of: " + String.join(", ", agentNames));
            }
        }
    }
}
