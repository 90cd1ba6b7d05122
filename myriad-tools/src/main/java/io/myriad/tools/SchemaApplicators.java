package io.myriad.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.tools.SchemaCheck.Problem;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The object keywords and the combinators (anyOf, oneOf, allOf, not, if/then/else). */
final class SchemaApplicators {
    private SchemaApplicators() {}

    /** Properties, required, additional and pattern properties, property names and counts. */
    static void objectKeywords(SchemaCheck run, JsonNode schema, JsonNode value, String path,
            int depth, List<Problem> out) {
        JsonNode required = schema.get("required");
        if (required != null && required.isArray()) {
            for (JsonNode name : required) {
                if (!value.has(name.asText())) {
                    out.add(Problem.of(path, "missing required property '" + name.asText()
                            + "'"));
                }
            }
        }
        Json.intKeyword(schema, "minProperties").ifPresent(min -> {
            if (value.size() < min) {
                out.add(Problem.of(path, "expected at least " + Json.plural(min, "property")
                        + ", got " + value.size()));
            }
        });
        Json.intKeyword(schema, "maxProperties").ifPresent(max -> {
            if (value.size() > max) {
                out.add(Problem.of(path, "expected at most " + Json.plural(max, "property")
                        + ", got " + value.size()));
            }
        });
        JsonNode properties = schema.path("properties");
        JsonNode patterns = schema.path("patternProperties");
        JsonNode additional = schema.get("additionalProperties");
        JsonNode names = schema.get("propertyNames");
        for (Map.Entry<String, JsonNode> field : value.properties()) {
            String name = field.getKey();
            String childPath = Json.member(path, name);
            if (names != null) {
                for (Problem p : run.check(names, Json.text(name), path, depth)) {
                    out.add(Problem.of(path, "property name '" + name + "': " + p.message()));
                }
            }
            boolean matched = false;
            if (properties.has(name)) {
                matched = true;
                out.addAll(run.check(properties.get(name), field.getValue(), childPath, depth));
            }
            for (Map.Entry<String, JsonNode> pattern : patterns.properties()) {
                if (Json.findsSafely(pattern.getKey(), name)) {
                    matched = true;
                    out.addAll(run.check(pattern.getValue(), field.getValue(), childPath,
                            depth));
                }
            }
            if (matched || additional == null) {
                continue;
            }
            if (additional.isBoolean() && !additional.booleanValue()) {
                String allowed = properties.isObject() && !properties.isEmpty()
                        ? " (allowed: " + String.join(", ", fieldNames(properties)) + ")"
                        : "";
                out.add(Problem.of(path, "unexpected property '" + name + "'" + allowed));
            } else {
                out.addAll(run.check(additional, field.getValue(), childPath, depth));
            }
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** anyOf, oneOf, allOf, not and if/then/else. */
    static void combinators(SchemaCheck run, JsonNode schema, JsonNode value, String path,
            int depth, List<Problem> out) {
        JsonNode allOf = schema.get("allOf");
        if (allOf != null && allOf.isArray()) {
            for (JsonNode sub : allOf) {
                out.addAll(run.check(sub, value, path, depth));
            }
        }
        JsonNode anyOf = schema.get("anyOf");
        if (anyOf != null && anyOf.isArray()) {
            List<List<Problem>> failures = new ArrayList<>();
            for (JsonNode sub : anyOf) {
                List<Problem> problems = run.check(sub, value, path, depth);
                if (problems.isEmpty()) {
                    failures = null;
                    break;
                }
                failures.add(problems);
            }
            if (failures != null) {
                out.addAll(explain(failures, value, path, "anyOf"));
            }
        }
        JsonNode oneOf = schema.get("oneOf");
        if (oneOf != null && oneOf.isArray()) {
            List<List<Problem>> failures = new ArrayList<>();
            int matches = 0;
            for (JsonNode sub : oneOf) {
                List<Problem> problems = run.check(sub, value, path, depth);
                if (problems.isEmpty()) {
                    matches++;
                } else {
                    failures.add(problems);
                }
            }
            if (matches == 0) {
                out.addAll(explain(failures, value, path, "oneOf"));
            } else if (matches > 1) {
                out.add(Problem.of(path, "matches " + matches
                        + " of the 'oneOf' schemas, expected exactly one"));
            }
        }
        JsonNode not = schema.get("not");
        if (not != null && run.check(not, value, path, depth).isEmpty()) {
            out.add(Problem.of(path, "must not match the 'not' schema"));
        }
        JsonNode condition = schema.get("if");
        if (condition != null) {
            boolean holds = run.check(condition, value, path, depth).isEmpty();
            JsonNode branch = schema.get(holds ? "then" : "else");
            if (branch != null) {
                out.addAll(run.check(branch, value, path, depth));
            }
        }
    }

    /**
     * Explains why no alternative matched. When exactly one alternative has the right type,
     * its own problems are the useful ones; when none has, one merged type problem is.
     */
    private static List<Problem> explain(List<List<Problem>> failures, JsonNode value,
            String path, String keyword) {
        List<List<Problem>> rightType = new ArrayList<>();
        Set<String> expected = new LinkedHashSet<>();
        for (List<Problem> problems : failures) {
            Problem typeMismatch = problems.stream()
                    .filter(p -> p.isTypeMismatchAt(path)).findFirst().orElse(null);
            if (typeMismatch == null) {
                rightType.add(problems);
            } else {
                expected.addAll(typeMismatch.expectedTypes());
            }
        }
        if (rightType.size() == 1) {
            return rightType.getFirst();
        }
        if (rightType.isEmpty() && !expected.isEmpty()) {
            List<String> types = List.copyOf(expected);
            return List.of(new Problem(path, "expected " + Json.orList(types) + ", got "
                    + Json.typeOf(value), types));
        }
        List<String> firsts = new ArrayList<>();
        for (List<Problem> problems : rightType) {
            firsts.add(problems.getFirst().render());
        }
        return List.of(Problem.of(path, "does not match any of the '" + keyword
                + "' schemas (" + String.join("; or ", firsts) + ")"));
    }
}
