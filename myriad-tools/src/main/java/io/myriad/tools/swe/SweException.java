package io.myriad.tools.swe;

import io.myriad.core.MyriadException;

/** A coding task, workspace or delivery could not be handled; the message says why. */
public final class SweException extends MyriadException {
    SweException(String message, boolean retriable) {
        super(message, retriable);
    }

    SweException(String message, boolean retriable, Throwable cause) {
        super(message, retriable, cause);
    }
}
