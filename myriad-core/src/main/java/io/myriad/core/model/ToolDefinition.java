package io.myriad.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/** A tool as offered to a model: its name, what it does, and the JSON schema of its arguments. */
public record ToolDefinition(String name, String description, JsonNode parameters) {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** A definition whose parameter schema is given as JSON text (a tool's constant). */
    public static ToolDefinition of(String name, String description, String parametersJson) {
        try {
            return new ToolDefinition(name, description, JSON.readTree(parametersJson));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("the parameter schema of tool " + name + " is not valid JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    public ToolDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(parameters, "parameters");
    }
}
