package io.myriad.core.control;

import java.util.List;
import java.util.Optional;

/**
 * The port for operator controls: an append-only list of {@link Control}s that every live
 * process polls, and the pause flag of each fleet. Implementations must let several processes
 * share it (the SQLite store does, in the journal's file).
 */
public interface Controls {

    /**
     * Records a control and returns it with its sequence number. A pause sets the fleet's pause
     * flag, a resume clears it, in the same transaction.
     *
     * @throws IllegalArgumentException when a pause or resume names anything but a fleet
     */
    Control record(long at, String actor, Action action, Scope scope, String reason);

    /** The controls recorded after {@code seq}, oldest first. */
    List<Control> since(long seq);

    /** The sequence number of the newest control, 0 when there is none. */
    long head();

    /** The pause that holds the tenant's fleet now, if it is paused. */
    Optional<Control> pause(String tenant, String fleet);
}
