package io.myriad.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One validation against one root schema (local references resolve against the root): the
 * type, value, array, string and number keywords. Object keywords and combinators are in
 * {@link SchemaApplicators}.
 */
final class SchemaCheck {
    private static final int MAX_REF_DEPTH = 64;

    private final JsonNode root;

    private SchemaCheck(JsonNode root) {
        this.root = root;
    }

    /** All problems of {@code value} against {@code schema}, in document order. */
    static List<Problem> run(JsonNode schema, JsonNode value) {
        return new SchemaCheck(schema).check(schema, value, "$", 0);
    }

    /** One problem; {@code expectedTypes} is set when the problem is a type mismatch at path. */
    record Problem(String path, String message, List<String> expectedTypes) {
        static Problem of(String path, String message) {
            return new Problem(path, message, List.of());
        }

        boolean isTypeMismatchAt(String at) {
            return !expectedTypes.isEmpty() && path.equals(at);
        }

        String render() {
            return path + ": " + message;
        }
    }

    /** The problems of {@code value} at {@code path}; {@code depth} counts nested $refs. */
    List<Problem> check(JsonNode schema, JsonNode value, String path, int depth) {
        List<Problem> out = new ArrayList<>();
        if (schema.isBoolean()) {
            if (!schema.booleanValue()) {
                out.add(Problem.of(path, "no value is allowed here"));
            }
            return out;
        }
        if (!schema.isObject()) {
            out.add(Problem.of(path, "schema error: a schema must be an object or a boolean"));
            return out;
        }
        if (schema.has("$ref")) {
            checkRef(schema.get("$ref"), value, path, depth, out);
        }
        if (!checkType(schema, value, path, out)) {
            return out; // further keywords would only repeat the type mismatch
        }
        checkEnumAndConst(schema, value, path, out);
        if (value.isObject()) {
            SchemaApplicators.objectKeywords(this, schema, value, path, depth, out);
        } else if (value.isArray()) {
            checkArray(schema, value, path, depth, out);
        } else if (value.isTextual()) {
            checkString(schema, value.textValue(), path, out);
        } else if (value.isNumber() && Double.isFinite(value.doubleValue())) {
            checkNumber(schema, value.decimalValue(), path, out);
        }
        SchemaApplicators.combinators(this, schema, value, path, depth, out);
        return out;
    }

    private void checkRef(JsonNode ref, JsonNode value, String path, int depth,
            List<Problem> out) {
        if (depth >= MAX_REF_DEPTH) {
            out.add(Problem.of(path, "schema error: $ref nesting is deeper than "
                    + MAX_REF_DEPTH + " (a reference cycle?)"));
            return;
        }
        JsonNode target = ref.isTextual() ? resolve(ref.textValue()) : null;
        if (target == null) {
            out.add(Problem.of(path, "schema error: cannot resolve $ref " + ref
                    + " (only local references such as \"#/$defs/Name\" are supported)"));
            return;
        }
        out.addAll(check(target, value, path, depth + 1));
    }

    private JsonNode resolve(String ref) {
        if (!ref.startsWith("#")) {
            return null;
        }
        String pointer; // a URI fragment: percent-decode it, but a '+' stays a '+'
        try {
            pointer = URLDecoder.decode(ref.substring(1).replace("+", "%2B"),
                    StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (!pointer.isEmpty() && !pointer.startsWith("/")) {
            return null; // a named anchor
        }
        JsonNode node = root.at(pointer);
        return node.isMissingNode() ? null : node;
    }

    /** Returns false when the value has the wrong type. */
    private boolean checkType(JsonNode schema, JsonNode value, String path,
            List<Problem> out) {
        JsonNode type = schema.get("type");
        if (type == null) {
            return true;
        }
        List<String> allowed = new ArrayList<>();
        if (type.isTextual()) {
            allowed.add(type.textValue());
        } else if (type.isArray()) {
            type.forEach(t -> allowed.add(t.asText()));
        } else {
            out.add(Problem.of(path, "schema error: 'type' must be a string or a list"));
            return false;
        }
        if (value.isNull() && schema.path("nullable").asBoolean(false)) {
            return true;
        }
        for (String name : allowed) {
            if (!Json.TYPE_NAMES.contains(name)) {
                out.add(Problem.of(path, "schema error: unknown type '" + name + "'"));
                return false;
            }
            if (Json.hasType(value, name)) {
                return true;
            }
        }
        out.add(new Problem(path, "expected " + Json.orList(allowed) + ", got "
                + Json.typeOf(value), List.copyOf(allowed)));
        return false;
    }

    private void checkEnumAndConst(JsonNode schema, JsonNode value, String path,
            List<Problem> out) {
        JsonNode options = schema.get("enum");
        if (options != null && options.isArray()) {
            boolean found = false;
            List<String> shown = new ArrayList<>();
            for (JsonNode option : options) {
                found |= Json.equal(option, value);
                shown.add(Json.brief(option));
            }
            if (!found) {
                out.add(Problem.of(path, "must be one of " + String.join(", ", shown)
                        + ", got " + Json.brief(value)));
            }
        }
        JsonNode constant = schema.get("const");
        if (constant != null && !Json.equal(constant, value)) {
            out.add(Problem.of(path, "must be " + Json.brief(constant) + ", got "
                    + Json.brief(value)));
        }
    }

    private void checkArray(JsonNode schema, JsonNode value, String path, int depth,
            List<Problem> out) {
        int size = value.size();
        Json.intKeyword(schema, "minItems").ifPresent(min -> {
            if (size < min) {
                out.add(Problem.of(path, "expected at least " + Json.plural(min, "item")
                        + ", got " + size));
            }
        });
        Json.intKeyword(schema, "maxItems").ifPresent(max -> {
            if (size > max) {
                out.add(Problem.of(path, "expected at most " + Json.plural(max, "item")
                        + ", got " + size));
            }
        });
        JsonNode prefix = schema.get("prefixItems");
        JsonNode items = schema.get("items");
        if (items != null && items.isArray()) { // draft 4 to 2019-09 tuple form
            prefix = items;
            items = schema.get("additionalItems");
        }
        int first = 0;
        if (prefix != null && prefix.isArray()) {
            for (; first < Math.min(prefix.size(), size); first++) {
                out.addAll(check(prefix.get(first), value.get(first), Json.index(path, first),
                        depth));
            }
            first = prefix.size();
        }
        if (items != null && !items.isArray()) {
            for (int i = first; i < size; i++) {
                out.addAll(check(items, value.get(i), Json.index(path, i), depth));
            }
        }
        if (schema.path("uniqueItems").asBoolean(false)) {
            outer:
            for (int i = 0; i < size; i++) {
                for (int j = i + 1; j < size; j++) {
                    if (Json.equal(value.get(i), value.get(j))) {
                        out.add(Problem.of(path, "items " + i + " and " + j
                                + " are equal; items must be unique"));
                        break outer;
                    }
                }
            }
        }
        JsonNode contains = schema.get("contains");
        if (contains != null) {
            boolean any = false;
            for (int i = 0; i < size && !any; i++) {
                any = check(contains, value.get(i), Json.index(path, i), depth).isEmpty();
            }
            if (!any) {
                out.add(Problem.of(path, "no item matches the 'contains' schema"));
            }
        }
    }

    private void checkString(JsonNode schema, String text, String path, List<Problem> out) {
        int length = text.codePointCount(0, text.length());
        Json.intKeyword(schema, "minLength").ifPresent(min -> {
            if (length < min) {
                out.add(Problem.of(path, "expected at least " + Json.plural(min, "character")
                        + ", got " + length));
            }
        });
        Json.intKeyword(schema, "maxLength").ifPresent(max -> {
            if (length > max) {
                out.add(Problem.of(path, "expected at most " + Json.plural(max, "character")
                        + ", got " + length));
            }
        });
        JsonNode pattern = schema.get("pattern");
        if (pattern != null && pattern.isTextual()) {
            try {
                if (!Pattern.compile(pattern.textValue()).matcher(text).find()) {
                    out.add(Problem.of(path, "does not match pattern '"
                            + pattern.textValue() + "'"));
                }
            } catch (PatternSyntaxException e) {
                out.add(Problem.of(path, "schema error: invalid pattern '"
                        + pattern.textValue() + "'"));
            }
        }
    }

    private void checkNumber(JsonNode schema, BigDecimal number, String path,
            List<Problem> out) {
        boolean draft4ExclusiveMin = schema.path("exclusiveMinimum").asBoolean(false);
        boolean draft4ExclusiveMax = schema.path("exclusiveMaximum").asBoolean(false);
        bound(schema.get("minimum"), number, path, out, draft4ExclusiveMin ? ">" : ">=");
        bound(schema.get("maximum"), number, path, out, draft4ExclusiveMax ? "<" : "<=");
        bound(schema.get("exclusiveMinimum"), number, path, out, ">");
        bound(schema.get("exclusiveMaximum"), number, path, out, "<");
        JsonNode multipleOf = schema.get("multipleOf");
        if (multipleOf != null && multipleOf.isNumber()
                && multipleOf.decimalValue().signum() > 0
                && number.remainder(multipleOf.decimalValue()).signum() != 0) {
            out.add(Problem.of(path, "must be a multiple of " + multipleOf + ", got "
                    + Json.plain(number)));
        }
    }

    private static void bound(JsonNode limit, BigDecimal number, String path,
            List<Problem> out, String op) {
        if (limit == null || !limit.isNumber()) {
            return; // absent, or the draft-4 boolean form handled by the caller
        }
        int cmp = number.compareTo(limit.decimalValue());
        boolean ok = switch (op) {
            case ">" -> cmp > 0;
            case ">=" -> cmp >= 0;
            case "<" -> cmp < 0;
            default -> cmp <= 0;
        };
        if (!ok) {
            out.add(Problem.of(path, "must be " + op + " " + limit + ", got "
                    + Json.plain(number)));
        }
    }
}
