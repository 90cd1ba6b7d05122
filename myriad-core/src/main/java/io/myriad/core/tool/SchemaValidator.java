package io.myriad.core.tool;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** Checks JSON values against JSON schemas (tool arguments, structured outputs). */
public interface SchemaValidator {

    /** The problems found, each a short sentence naming the offending path; empty when valid. */
    List<String> validate(JsonNode schema, JsonNode value);
}
