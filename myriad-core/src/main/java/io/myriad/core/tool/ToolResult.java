package io.myriad.core.tool;

import java.util.Objects;

/**
 * The outcome of one invocation: text for the model, and whether it is an error the model
 * should see as such.
 */
public record ToolResult(String content, boolean error) {
    public ToolResult {
        Objects.requireNonNull(content, "content");
    }

    public static ToolResult ok(String content) {
        return new ToolResult(content, false);
    }

    public static ToolResult error(String message) {
        return new ToolResult(message, true);
    }
}
