package io.myriad.core.tool;

import io.myriad.core.MyriadException;

/** A tool that could not do what was asked; the message goes back to the model. */
public final class ToolException extends MyriadException {
    public ToolException(String message) {
        super(message, false);
    }

    public ToolException(String message, Throwable cause) {
        super(message, false, cause);
    }
}
