package io.myriad.tools.sandbox;

import io.myriad.core.MyriadException;

/** A command could not be run in the sandbox; the message says why and what to do. */
public final class SandboxException extends MyriadException {
    SandboxException(String message, boolean retriable) {
        super(message, retriable);
    }

    SandboxException(String message, boolean retriable, Throwable cause) {
        super(message, retriable, cause);
    }
}
