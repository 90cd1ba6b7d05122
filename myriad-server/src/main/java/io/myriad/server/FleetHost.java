package io.myriad.server;

import io.myriad.core.auth.Principal;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The fleets a {@code myriad serve} node hosts: deployed from fleet files, run in the node,
 * resumed after a restart. Implemented where the engine is wired (the CLI module).
 */
public interface FleetHost {

    /** Every deployment, oldest first. */
    List<Deployment> deployments();

    /**
     * Deploys a fleet file's text as {@code who}: validates it, checks that {@code who} may run
     * fleets in its tenant, and starts it (or resumes its unfinished execution).
     *
     * @throws ApiError 400 with every problem of the file, 409 when the fleet is already running
     * @throws io.myriad.core.auth.AccessDenied when {@code who} may not run fleets in its tenant
     */
    Deployment deploy(Principal who, String yaml);

    /**
     * Stops a running fleet gracefully as {@code who}: no new step starts, steps in flight finish,
     * unfinished runs keep their journal; the fleet stays {@code drained} (a restart of the node does
     * not resume it; deploying it again does).
     *
     * @throws ApiError 404 when there is no such hosted fleet among those {@code who} may see, 409
     *                  when it is not running
     * @throws io.myriad.core.auth.AccessDenied when {@code who} may not control fleets in its tenant
     */
    Deployment drain(Principal who, String tenant, String fleet);

    /** The most runs a hosted fleet may be scaled to. */
    int MAX_CONCURRENCY = 10_000;

    /**
     * Changes how many runs of a running fleet may be in progress at once, as {@code who}: more at
     * once, fewer as runs finish (none is stopped for it). Lasts until the fleet stops.
     *
     * @throws ApiError 404 for a fleet {@code who} may not see, 409 when it is not running, 400 for a
     *                  concurrency outside 1..{@link #MAX_CONCURRENCY}
     * @throws io.myriad.core.auth.AccessDenied when {@code who} may not control fleets in its tenant
     */
    Deployment scale(Principal who, String tenant, String fleet, int concurrency);

    /** The concurrency a running fleet has now; empty when it does not run. */
    java.util.OptionalInt concurrency(String tenant, String fleet);

    /**
     * Submits tasks to a running fleet whose intake is open, as {@code who}: each is kept durably
     * and run like the fleet file's tasks.
     *
     * @throws ApiError 404 when there is no such hosted fleet among those {@code who} may see, 409
     *                  when it is not running or its intake is not open, 400 with every problem of
     *                  the tasks (an unknown agent, a bad id, an id used before in the execution)
     * @throws io.myriad.core.auth.AccessDenied when {@code who} may not run fleets in its tenant
     */
    Submission submit(Principal who, String tenant, String fleet, List<NewTask> tasks);

    /**
     * The A2A settings of a running hosted fleet that exposes itself over A2A ({@code a2a: {expose:
     * true}} in its file); empty for any other fleet. Answers without checking a caller: the agent
     * card is public.
     */
    default Optional<io.myriad.core.fleet.A2aSpec> a2a(String tenant, String fleet) {
        return Optional.empty();
    }

    /**
     * A task submitted over the API: {@code input} as the model gets it (an object input is its
     * JSON text); without an id one is generated, without an agent the fleet's only agent runs it.
     */
    record NewTask(Optional<String> id, String input, Optional<String> agent, int priority) {
        public NewTask {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(agent, "agent");
        }
    }

    /** Tasks accepted: their ids, in the order given, and the execution that runs them. */
    record Submission(String execution, List<String> ids) {
        public Submission {
            Objects.requireNonNull(execution, "execution");
            ids = List.copyOf(ids);
        }
    }

    /**
     * One hosted fleet.
     *
     * @param state     {@code running}, {@code finished} (its exit code says how), {@code stopped}
     *                  (the node stopped while it ran; it resumes on the next start), or
     *                  {@code drained} (stopped on request; deploying it again resumes it)
     * @param execution the execution it runs or ran, once known
     * @param exitCode  as {@code myriad run}'s, once finished
     */
    record Deployment(String tenant, String fleet, String source, String state, Optional<String> execution,
            String deployedBy, long deployedAt, Optional<Integer> exitCode) {
        public Deployment {
            Objects.requireNonNull(tenant, "tenant");
            Objects.requireNonNull(fleet, "fleet");
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(execution, "execution");
            Objects.requireNonNull(deployedBy, "deployedBy");
            Objects.requireNonNull(exitCode, "exitCode");
        }
    }
}
