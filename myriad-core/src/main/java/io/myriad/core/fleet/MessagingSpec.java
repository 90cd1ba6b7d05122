package io.myriad.core.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The message types runs of a fleet may send each other (fleet key {@code messages}).
 *
 * @param types the JSON schema of each declared type's body, by type name, in file order (an
 *              empty object schema accepts any body); empty when the fleet declares no types,
 *              and then any well-formed type name is accepted with any body
 */
public record MessagingSpec(Map<String, JsonNode> types) {
    /** No types declared: messages are untyped. */
    public static final MessagingSpec NONE = new MessagingSpec(Map.of());

    /** Type names: a letter, then letters, digits, '.', '_' or '-', at most 64 characters. */
    public static final Pattern TYPE_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9._-]{0,63}");

    public MessagingSpec {
        Objects.requireNonNull(types, "types");
        types.forEach((name, schema) -> {
            if (!TYPE_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("invalid message type name '" + name + "'");
            }
            Objects.requireNonNull(schema, "schema of " + name);
        });
        types = Collections.unmodifiableMap(new LinkedHashMap<>(types));
    }

    /** True when the fleet declares types, so only those may be sent. */
    public boolean typed() {
        return !types.isEmpty();
    }

    /** The schema of {@code type}'s body, when the type is declared. */
    public Optional<JsonNode> schema(String type) {
        return Optional.ofNullable(types.get(type));
    }
}
