package io.myriad.core.run;

import io.myriad.core.MyriadException;

/** An event that the run's state does not allow: a bug or a corrupted journal, never retried. */
public final class IllegalTransitionException extends MyriadException {
    public IllegalTransitionException(String message) {
        super(message, false);
    }
}
