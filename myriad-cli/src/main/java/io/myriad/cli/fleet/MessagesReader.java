package io.myriad.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.myriad.core.fleet.MessagingSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code messages} key: the message types runs of the fleet may send each other, each with
 * an optional JSON schema of its body.
 *
 * <pre>{@code
 * messages:
 *   types:
 *     finding: {schema: {type: object, required: [severity], properties: {severity: {enum: [low, high]}}}}
 *     note: {}                 # any body
 * }</pre>
 */
final class MessagesReader {
    private static final List<String> KEYS = List.of("types");
    private static final List<String> TYPE_KEYS = List.of("schema");

    private MessagesReader() {}

    static MessagingSpec read(Node node, Problems problems) {
        Optional<Node.Mapping> mapping = Values.mapping(node, problems);
        if (mapping.isEmpty()) {
            return MessagingSpec.NONE;
        }
        int mark = problems.count();
        Fields f = Fields.of(mapping.get(), "messages", Fields.Owner.of(node), problems, KEYS);
        Map<String, JsonNode> types = new LinkedHashMap<>();
        f.required("types").flatMap(n -> Values.mapping(n, problems)).ifPresent(t -> {
            if (t.entries().isEmpty()) {
                problems.at(t, "expected at least one message type under messages.types, like finding: {schema: {type: object}}");
            }
            for (Node.Entry entry : t.entries().values()) {
                if (!MessagingSpec.TYPE_NAME.matcher(entry.key()).matches()) {
                    problems.atKey(entry, "expected a message type name of 1 to 64 letters, digits, '.', '_' or '-', "
                            + "starting with a letter, got '" + entry.key() + "'");
                    continue;
                }
                types.put(entry.key(), schema(entry, problems));
            }
        });
        return problems.count() > mark ? MessagingSpec.NONE : new MessagingSpec(types);
    }

    private static JsonNode schema(Node.Entry entry, Problems problems) {
        if (entry.value() instanceof Node.Scalar s && s.kind() == Node.Kind.NULL) {
            return JsonNodeFactory.instance.objectNode();
        }
        Optional<Node.Mapping> type = Values.mapping(entry.value(), problems);
        if (type.isEmpty()) {
            return JsonNodeFactory.instance.objectNode();
        }
        Fields f = Fields.of(type.get(), "message type '" + entry.key() + "'", Fields.Owner.of(entry), problems, TYPE_KEYS);
        return f.mapping("schema").map(Values::toJson).orElse(JsonNodeFactory.instance.objectNode());
    }
}
