package io.myriad.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonSchemaValidatorTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final JsonSchemaValidator validator = JsonSchemaValidator.create();

    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (Exception e) {
            throw new AssertionError("bad test JSON: " + text, e);
        }
    }

    private List<String> problems(String schema, String value) {
        return validator.validate(json(schema), json(value));
    }

    /** Each row: schema, value, and the exact problems joined by " | " (empty when valid). */
    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource(delimiter = '‖', quoteCharacter = '`', textBlock = """
            {"type":"string"}                            ‖ "a"            ‖
            {"type":"string"}                            ‖ 5              ‖ $: expected string, got integer
            {"type":"string"}                            ‖ 5.5            ‖ $: expected string, got number
            {"type":"string"}                            ‖ null           ‖ $: expected string, got null
            {"type":"integer"}                           ‖ 5              ‖
            {"type":"integer"}                           ‖ 5.0            ‖
            {"type":"integer"}                           ‖ 5.5            ‖ $: expected integer, got number
            {"type":"integer"}                           ‖ "5"            ‖ $: expected integer, got string
            {"type":"integer"}                           ‖ 123456789012345678901234567890 ‖
            {"type":"number"}                            ‖ 5              ‖
            {"type":"number"}                            ‖ 5.25           ‖
            {"type":"boolean"}                           ‖ false          ‖
            {"type":"boolean"}                           ‖ "true"         ‖ $: expected boolean, got string
            {"type":"null"}                              ‖ null           ‖
            {"type":"object"}                            ‖ []             ‖ $: expected object, got array
            {"type":"array"}                             ‖ {}             ‖ $: expected array, got object
            {"type":["string","null"]}                   ‖ null           ‖
            {"type":["string","null"]}                   ‖ 1              ‖ $: expected string or null, got integer
            {"type":["string","integer","null"]}         ‖ true           ‖ $: expected string, integer or null, got boolean
            {"type":"string","nullable":true}            ‖ null           ‖
            {"enum":["a","b"]}                           ‖ "b"            ‖
            {"enum":["a","b"]}                           ‖ "c"            ‖ $: must be one of "a", "b", got "c"
            {"enum":[1,2]}                               ‖ 2.0            ‖
            {"const":"x"}                                ‖ "y"            ‖ $: must be "x", got "y"
            {"const":{"a":[1]}}                          ‖ {"a":[1.0]}    ‖
            {"minLength":2,"maxLength":3}                ‖ "a"            ‖ $: expected at least 2 characters, got 1
            {"minLength":2,"maxLength":3}                ‖ "abcd"         ‖ $: expected at most 3 characters, got 4
            {"maxLength":1}                              ‖ "😀"           ‖
            {"minLength":1}                              ‖ 7              ‖
            {"pattern":"^[a-z]+$"}                       ‖ "abc"          ‖
            {"pattern":"^[a-z]+$"}                       ‖ "aBc"          ‖ $: does not match pattern '^[a-z]+$'
            {"pattern":"b"}                              ‖ "abc"          ‖
            {"pattern":"("}                              ‖ "abc"          ‖ $: schema error: invalid pattern '('
            {"minimum":1,"maximum":3}                    ‖ 0              ‖ $: must be >= 1, got 0
            {"minimum":1,"maximum":3}                    ‖ 4              ‖ $: must be <= 3, got 4
            {"minimum":1,"maximum":3}                    ‖ 3              ‖
            {"exclusiveMinimum":0}                       ‖ 0              ‖ $: must be > 0, got 0
            {"exclusiveMaximum":1.5}                     ‖ 1.5            ‖ $: must be < 1.5, got 1.5
            {"minimum":0,"exclusiveMinimum":true}        ‖ 0              ‖ $: must be > 0, got 0
            {"maximum":9,"exclusiveMaximum":true}        ‖ 8              ‖
            {"multipleOf":0.1}                           ‖ 0.3            ‖
            {"multipleOf":5}                             ‖ 12             ‖ $: must be a multiple of 5, got 12
            {"minItems":1}                               ‖ []             ‖ $: expected at least 1 item, got 0
            {"maxItems":2}                               ‖ [1,2,3]        ‖ $: expected at most 2 items, got 3
            {"items":{"type":"integer"}}                 ‖ [1,"x",3,null] ‖ $[1]: expected integer, got string | $[3]: expected integer, got null
            {"prefixItems":[{"type":"string"}],"items":false} ‖ ["a",1]  ‖ $[1]: no value is allowed here
            {"items":[{"type":"string"},{"type":"integer"}]}  ‖ ["a","b"] ‖ $[1]: expected integer, got string
            {"uniqueItems":true}                         ‖ [1,2,1.0]      ‖ $: items 0 and 2 are equal; items must be unique
            {"contains":{"const":3}}                     ‖ [1,2]          ‖ $: no item matches the 'contains' schema
            {"required":["content"]}                     ‖ {}             ‖ $: missing required property 'content'
            {"required":["a","b"]}                       ‖ {"b":1}        ‖ $: missing required property 'a'
            {"properties":{"a":{"type":"string"}},"additionalProperties":false} ‖ {"a":"x","b":1} ‖ $: unexpected property 'b' (allowed: a)
            {"additionalProperties":{"type":"string"}}   ‖ {"x":1}        ‖ $.x: expected string, got integer
            {"patternProperties":{"^n_":{"type":"integer"}},"additionalProperties":false} ‖ {"n_a":1,"z":2} ‖ $: unexpected property 'z'
            {"properties":{"my key":{"type":"string"}}}  ‖ {"my key":1}   ‖ $['my key']: expected string, got integer
            {"propertyNames":{"pattern":"^[a-z]+$"}}     ‖ {"Ab":1}       ‖ $: property name 'Ab': does not match pattern '^[a-z]+$'
            {"minProperties":1}                          ‖ {}             ‖ $: expected at least 1 property, got 0
            {"maxProperties":1}                          ‖ {"a":1,"b":2}  ‖ $: expected at most 1 property, got 2
            {"anyOf":[{"type":"string"},{"type":"null"}]} ‖ 3             ‖ $: expected string or null, got integer
            {"anyOf":[{"type":"string"},{"type":"integer","minimum":5}]} ‖ 3 ‖ $: must be >= 5, got 3
            {"anyOf":[{"type":"string","maxLength":1},{"type":"string","pattern":"^x"}]} ‖ "ab" ‖ $: does not match any of the 'anyOf' schemas ($: expected at most 1 character, got 2; or $: does not match pattern '^x')
            {"oneOf":[{"type":"integer"},{"type":"number"}]} ‖ 1            ‖ $: matches 2 of the 'oneOf' schemas, expected exactly one
            {"oneOf":[{"type":"integer"},{"type":"string"}]} ‖ "a"          ‖
            {"allOf":[{"minimum":1},{"maximum":2}]}      ‖ 3              ‖ $: must be <= 2, got 3
            {"not":{"type":"string"}}                    ‖ "a"            ‖ $: must not match the 'not' schema
            {"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]},"else":{"required":["y"]}} ‖ {"k":"a"} ‖ $: missing required property 'x'
            {"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]},"else":{"required":["y"]}} ‖ {"k":"b"} ‖ $: missing required property 'y'
            true                                         ‖ {"any":1}      ‖
            false                                        ‖ 1              ‖ $: no value is allowed here
            {"format":"email","description":"ignored"}   ‖ "not an email" ‖
            {"type":"strin"}                             ‖ "a"            ‖ $: schema error: unknown type 'strin'
            {"$ref":"#/$defs/missing"}                   ‖ 1              ‖ $: schema error: cannot resolve $ref "#/$defs/missing" (only local references such as "#/$defs/Name" are supported)
            """)
    void validatesAndExplains(String schema, String value, String expected) {
        List<String> expectedProblems =
                expected == null ? List.of() : List.of(expected.split(" \\| "));
        assertThat(problems(schema, value)).containsExactlyElementsOf(expectedProblems);
    }

    @Test
    void namesNestedPaths() {
        String schema = """
                {"type":"object","required":["user"],"properties":{
                  "user":{"type":"object","required":["name","tags"],"additionalProperties":false,
                    "properties":{"name":{"type":"string"},"tags":{"type":"array",
                      "items":{"type":"object","required":["id"],"properties":{"id":{"type":"integer"}}}}}}}}""";
        assertThat(problems(schema, """
                {"user":{"name":7,"tags":[{"id":1},{"id":"two"},{}],"extra":true}}"""))
                .containsExactly(
                        "$.user.name: expected string, got integer",
                        "$.user.tags[1].id: expected integer, got string",
                        "$.user.tags[2]: missing required property 'id'",
                        "$.user: unexpected property 'extra' (allowed: name, tags)");
    }

    @Test
    void resolvesLocalReferencesIncludingRecursiveOnes() {
        String schema = """
                {"$defs":{"node":{"type":"object","required":["value"],"properties":{
                   "value":{"type":"integer"},
                   "children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},
                 "$ref":"#/$defs/node"}""";
        assertThat(problems(schema, """
                {"value":1,"children":[{"value":2,"children":[{"value":3}]}]}""")).isEmpty();
        assertThat(problems(schema, """
                {"value":1,"children":[{"value":2,"children":[{"value":"3"}]}]}"""))
                .containsExactly("$.children[0].children[0].value: expected integer, got string");
        assertThat(problems("""
                {"definitions":{"a~b":{"type":"string"}},"$ref":"#/definitions/a~0b"}""", "1"))
                .containsExactly("$: expected string, got integer");
        assertThat(problems("""
                {"$defs":{"a+b c":{"type":"string"}},"$ref":"#/$defs/a+b%20c"}""", "1"))
                .containsExactly("$: expected string, got integer");
    }

    @Test
    void stopsAReferenceCycleWithAProblem() {
        assertThat(problems("{\"$ref\":\"#\"}", "1"))
                .singleElement().asString().contains("schema error: $ref nesting is deeper");
    }

    @Test
    void structuredOutputSchemaInTheStrictStyle() {
        String schema = """
                {"type":"object","additionalProperties":false,"required":["label","score","reply"],
                 "properties":{
                   "label":{"type":"string","enum":["bug","question","billing"]},
                   "score":{"type":"number","minimum":0,"maximum":1},
                   "reply":{"anyOf":[{"type":"string","minLength":1},{"type":"null"}]}}}""";
        assertThat(problems(schema, """
                {"label":"bug","score":0.5,"reply":null}""")).isEmpty();
        assertThat(problems(schema, """
                {"label":"feature","score":2,"reply":""}""")).containsExactly(
                "$.label: must be one of \"bug\", \"question\", \"billing\", got \"feature\"",
                "$.score: must be <= 1, got 2",
                "$.reply: expected at least 1 character, got 0");
        assertThat(problems(schema, "\"just text\""))
                .containsExactly("$: expected object, got string");
    }

    @Test
    void capsTheNumberOfProblems() {
        String value = "[" + "\"x\",".repeat(29) + "\"x\"]";
        List<String> found = problems("{\"items\":{\"type\":\"integer\"}}", value);
        assertThat(found).hasSize(JsonSchemaValidator.MAX_PROBLEMS + 1);
        assertThat(found.getLast()).isEqualTo("... and 10 more problems");
    }

    @Test
    void cutsLongValuesInMessages() {
        String longText = "y".repeat(200);
        assertThat(problems("{\"const\":\"x\"}", "\"" + longText + "\""))
                .singleElement().asString().endsWith("...").hasSizeLessThan(100);
    }

    @Test
    void rejectsNullArguments() {
        assertThatNullPointerException().isThrownBy(() -> validator.validate(null, json("1")));
        assertThatNullPointerException().isThrownBy(() -> validator.validate(json("{}"), null));
    }
}
