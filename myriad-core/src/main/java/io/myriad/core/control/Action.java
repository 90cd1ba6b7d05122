package io.myriad.core.control;

import java.util.Locale;

/** What an operator asked for. */
public enum Action {
    /** Cancel the runs at once: nothing new leaves the system for them. */
    KILL,
    /** Stop driving the runs at their next step boundary, keeping their work. */
    PAUSE,
    /** Drive paused runs again. */
    RESUME,
    /**
     * Replace the fleet's policy, in every process running it, with the one recorded in the
     * control's audit record ({@code myriad policy set}).
     */
    POLICY;

    /** {@code kill}, {@code pause}, {@code resume}, {@code policy}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The audit log's action: {@code control.kill}, … */
    public String auditAction() {
        return "control." + label();
    }

    /** @throws IllegalArgumentException for an unknown label */
    public static Action of(String label) {
        for (Action a : values()) {
            if (a.label().equals(label)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown control action '" + label + "' (kill, pause, resume, policy)");
    }
}
