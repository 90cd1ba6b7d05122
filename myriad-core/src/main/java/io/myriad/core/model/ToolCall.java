package io.myriad.core.model;

import java.util.Objects;

/**
 * A tool call requested by a model.
 *
 * @param id        the provider's call id, echoed back with the result
 * @param name      the tool's name as offered to the model
 * @param arguments the arguments exactly as the model wrote them (JSON text, possibly invalid)
 */
public record ToolCall(String id, String name, String arguments) {
    public ToolCall {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        arguments = arguments == null ? "" : arguments;
    }
}
