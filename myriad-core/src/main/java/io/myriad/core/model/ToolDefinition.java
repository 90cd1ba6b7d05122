package io.myriad.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/** A tool as offered to a model: its name, what it does, and the JSON schema of its arguments. */
public record ToolDefinition(String name, String description, JsonNode parameters) {
    public ToolDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(parameters, "parameters");
    }
}
