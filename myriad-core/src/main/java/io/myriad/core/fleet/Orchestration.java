package io.myriad.core.fleet;

import java.util.Objects;
import java.util.Optional;

/**
 * How a fleet's agents work together: the limits of delegation ({@code delegation:}) and, for a
 * map-reduce fleet, the reduction of its tasks' results ({@code reduce:}).
 */
public record Orchestration(DelegationSpec delegation, Optional<ReduceSpec> reduce) {
    public static final Orchestration DEFAULT = new Orchestration(DelegationSpec.DEFAULT, Optional.empty());

    public Orchestration {
        Objects.requireNonNull(delegation, "delegation");
        Objects.requireNonNull(reduce, "reduce");
    }

    /**
     * The reduce step of a map-reduce fleet: once every task (the map) is final, agent
     * {@code agent} reduces their results, at most {@code batch} results per run; with more
     * results than that, the reductions are reduced again, level by level, until one run
     * reduces everything: its answer is the fleet's result.
     *
     * @param instructions what the reducing agent is asked to do with the results
     * @param outputChars  the most characters of each result the reducer reads
     */
    public record ReduceSpec(String agent, int batch, String instructions, int outputChars) {
        public ReduceSpec {
            Objects.requireNonNull(agent, "agent");
            Objects.requireNonNull(instructions, "instructions");
            if (batch < 2 || outputChars < 100) {
                throw new IllegalArgumentException("reduce: batch must be at least 2 and output_chars at least 100");
            }
        }
    }
}
