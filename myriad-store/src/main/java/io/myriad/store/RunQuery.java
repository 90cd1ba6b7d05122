package io.myriad.store;

import io.myriad.core.run.RunState;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of a runs listing: optional filters, the key of the last row of the previous page,
 * and a page size. Runs are ordered newest first by {@code (updated_at, run_id)}; a page asks
 * for the rows strictly after {@code after} in that order (keyset pagination: a page costs the
 * same however deep it is, and rows written meanwhile neither repeat nor shift the pages).
 *
 * @param text a substring of the run id, task or detail
 */
public record RunQuery(Optional<String> execution, Optional<String> fleet, Optional<RunState> state,
        Optional<String> agent, Optional<String> text, Optional<Key> after, int limit) {

    public RunQuery {
        Objects.requireNonNull(execution, "execution");
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(after, "after");
        if (limit < 1) {
            throw new IllegalArgumentException("a page holds at least one run, got " + limit);
        }
    }

    /** The ordering key of a run: its last update, then its id. */
    public record Key(long updatedAt, String runId) {
        public Key {
            Objects.requireNonNull(runId, "runId");
        }
    }

    /** Every run, newest first, {@code limit} a page. */
    public static RunQuery first(int limit) {
        return new RunQuery(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), limit);
    }

    public RunQuery execution(String value) {
        return new RunQuery(Optional.of(value), fleet, state, agent, text, after, limit);
    }

    public RunQuery fleet(String value) {
        return new RunQuery(execution, Optional.of(value), state, agent, text, after, limit);
    }

    public RunQuery state(RunState value) {
        return new RunQuery(execution, fleet, Optional.of(value), agent, text, after, limit);
    }

    public RunQuery agent(String value) {
        return new RunQuery(execution, fleet, state, Optional.of(value), text, after, limit);
    }

    public RunQuery text(String value) {
        return new RunQuery(execution, fleet, state, agent, Optional.of(value), after, limit);
    }

    public RunQuery after(Key value) {
        return new RunQuery(execution, fleet, state, agent, text, Optional.of(value), limit);
    }
}
