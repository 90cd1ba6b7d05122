package io.myriad.models;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class SchemaFakerTest {

    @Test
    void fillsTheRequiredPropertiesOfAFileWriteTool() {
        JsonNode schema = Wire.parse("""
                {"type": "object",
                 "properties": {"path": {"type": "string"}, "content": {"type": "string"},
                                "append": {"type": "boolean"}},
                 "required": ["path", "content"]}""");

        JsonNode value = SchemaFaker.value(schema, "", 3);

        assertThat(value.get("path").asText()).isEqualTo("notes/step-3.txt");
        assertThat(value.get("content").isTextual()).isTrue();
        assertThat(value.get("content").asText()).contains("step 3").endsWith(".");
        assertThat(value.has("append")).as("optional properties are left out").isFalse();
    }

    @Test
    void followsTypesFormatsAndConstraints() {
        JsonNode schema = Wire.parse("""
                {"type": "object",
                 "properties": {
                   "url": {"type": "string"},
                   "homepage": {"type": "string", "format": "uri"},
                   "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                   "count": {"type": "integer", "minimum": 10},
                   "ratio": {"type": "number", "maximum": 1},
                   "dry_run": {"type": "boolean"},
                   "tags": {"type": "array", "items": {"type": "string"}},
                   "pair": {"type": "array", "minItems": 2, "items": {"type": "integer"}},
                   "code": {"type": "string", "minLength": 12, "maxLength": 12},
                   "maybe": {"type": ["string", "null"]},
                   "either": {"anyOf": [{"type": "null"}, {"type": "integer"}]},
                   "kind": {"const": "fixed"},
                   "nested": {"type": "object", "properties": {"file_path": {"type": "string"}}}
                 }}""");

        JsonNode value = SchemaFaker.value(schema, "", 4);

        assertThat(value.get("url").asText()).isEqualTo("http://localhost/");
        assertThat(value.get("homepage").asText()).isEqualTo("http://localhost/");
        assertThat(value.get("unit").asText()).isEqualTo("celsius");
        assertThat(value.get("count").asLong()).isEqualTo(10);
        assertThat(value.get("ratio").asLong()).isEqualTo(1);
        assertThat(value.get("dry_run").asBoolean()).isTrue();
        assertThat(value.get("tags").isArray()).isTrue();
        assertThat(value.get("tags")).isEmpty();
        assertThat(value.get("pair")).hasSize(2);
        assertThat(value.get("pair").get(0).asInt()).isEqualTo(4);
        assertThat(value.get("code").asText()).hasSize(12);
        assertThat(value.get("maybe").isTextual()).isTrue();
        assertThat(value.get("either").asInt()).isEqualTo(4);
        assertThat(value.get("kind").asText()).isEqualTo("fixed");
        assertThat(value.get("nested").get("file_path").asText()).isEqualTo("notes/step-4.txt");
    }

    @Test
    void isDeterministicAndSurvivesOddSchemas() {
        JsonNode schema = Wire.parse("{\"properties\":{\"query\":{}}}");
        assertThat(SchemaFaker.value(schema, "", 2)).isEqualTo(SchemaFaker.value(schema, "", 2));
        assertThat(SchemaFaker.value(schema, "", 2).get("query").asText()).isEqualTo("step 2");
        assertThat(SchemaFaker.value(Wire.parse("true"), "name", 1).asText()).isEqualTo("name-1");
        assertThat(SchemaFaker.value(Wire.parse("{\"type\":\"object\"}"), "", 1)).isEmpty();
    }
}
