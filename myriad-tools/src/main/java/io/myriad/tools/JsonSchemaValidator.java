package io.myriad.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.tool.SchemaValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Validates JSON values against the JSON Schema subset that model tool definitions and structured
 * outputs use, and explains each problem in a short sentence naming the JSON path, such as
 * {@code "$.path: expected string, got integer"} or
 * {@code "$: missing required property 'content'"}.
 *
 * <p>Supported keywords: {@code type} (a name or a list; {@code "integer"} accepts any integral
 * number, {@code "number"} any number), {@code nullable}, {@code enum}, {@code const},
 * {@code properties}, {@code required}, {@code additionalProperties} (boolean or schema),
 * {@code patternProperties}, {@code propertyNames}, {@code minProperties}, {@code maxProperties},
 * {@code items} (schema or, as in draft 4, a list), {@code prefixItems}, {@code minItems},
 * {@code maxItems}, {@code uniqueItems}, {@code contains}, {@code minLength}, {@code maxLength}
 * (in code points), {@code pattern} (unanchored, as in JSON Schema), {@code minimum},
 * {@code maximum}, {@code exclusiveMinimum}, {@code exclusiveMaximum} (number or draft-4 boolean),
 * {@code multipleOf}, {@code anyOf}, {@code oneOf}, {@code allOf}, {@code not},
 * {@code if}/{@code then}/{@code else}, boolean schemas, and local {@code $ref}s such as
 * {@code "#/$defs/Name"}. Other keywords (such as {@code format}, {@code description}) are
 * annotations and accept every value. Instances are thread-safe and hold no state.
 */
public final class JsonSchemaValidator implements SchemaValidator {

    /** At most this many problems are reported; the rest are counted in a last line. */
    static final int MAX_PROBLEMS = 20;

    private JsonSchemaValidator() {}

    /** Returns a validator; it holds no state, so one instance may be shared freely. */
    public static JsonSchemaValidator create() {
        return new JsonSchemaValidator();
    }

    /**
     * Checks {@code value} against {@code schema}. A malformed part of the schema is reported
     * as a problem saying "schema error", never thrown.
     *
     * @return the problems found, each naming the JSON path it concerns; empty when valid
     */
    @Override
    public List<String> validate(JsonNode schema, JsonNode value) {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(value, "value");
        List<SchemaCheck.Problem> problems = SchemaCheck.run(schema, value);
        List<String> out = new ArrayList<>();
        for (SchemaCheck.Problem p : problems) {
            if (out.size() == MAX_PROBLEMS) {
                out.add("... and " + (problems.size() - MAX_PROBLEMS) + " more problems");
                break;
            }
            out.add(p.render());
        }
        return List.copyOf(out);
    }
}
