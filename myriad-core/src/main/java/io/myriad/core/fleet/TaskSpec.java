package io.myriad.core.fleet;

import java.util.Objects;

/**
 * One unit of work for a fleet.
 *
 * @param id       unique in the fleet; with the fleet's execution it names the run
 * @param agent    the agent that handles it
 * @param input    the user message (an object input is given to the model as its JSON text)
 * @param priority higher runs first when slots are scarce
 */
public record TaskSpec(String id, String agent, String input, int priority) {
    public TaskSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(input, "input");
    }
}
