package io.myriad.mcp;

import io.myriad.core.MyriadException;

/**
 * An MCP server that could not be started, reached or asked; {@link #retriable()} is true when
 * the server is being restarted or a call timed out, so the same call may succeed later.
 */
public final class McpException extends MyriadException {
    McpException(String message, boolean retriable) {
        super(message, retriable);
    }

    McpException(String message, boolean retriable, Throwable cause) {
        super(message, retriable, cause);
    }
}
