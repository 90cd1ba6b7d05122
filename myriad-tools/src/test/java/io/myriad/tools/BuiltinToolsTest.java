package io.myriad.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.tool.Tool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BuiltinToolsTest {
    /** What every built-in tool's argument schema must look like, checked by the validator. */
    private static final JsonNode TOOL_SCHEMA_RULES = Json.parse("""
            {"type": "object", "required": ["type", "properties", "additionalProperties"],
             "properties": {
               "type": {"const": "object"},
               "additionalProperties": {"const": false},
               "required": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
               "properties": {"type": "object", "minProperties": 1,
                 "additionalProperties": {"type": "object", "required": ["type", "description"],
                   "if": {"properties": {"type": {"const": "string"}}},
                   "then": {"anyOf": [{"required": ["maxLength"]}, {"required": ["enum"]}]},
                   "properties": {
                     "type": {"enum": ["string", "integer", "number", "boolean", "object", "array"]},
                     "description": {"type": "string", "minLength": 10}}}}}}""");

    private final JsonSchemaValidator validator = JsonSchemaValidator.create();
    private final Map<String, Tool> tools = BuiltinTools.create(BuiltinTools.Settings.DEFAULTS)
            .stream().collect(Collectors.toMap(Tool::name, t -> t));

    @Test
    void createsOneToolPerNameInOrder() {
        assertThat(BuiltinTools.names())
                .containsExactly("fs.read", "fs.write", "fs.list", "fs.edit", "fs.patch",
                        "fs.search", "http_get", "http_request", "shell", "a2a");
        assertThat(BuiltinTools.create(BuiltinTools.Settings.DEFAULTS)).extracting(Tool::name)
                .containsExactlyElementsOf(BuiltinTools.names());
        assertThatThrownBy(() -> BuiltinTools.names().add("x"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatNullPointerException().isThrownBy(() -> BuiltinTools.create(null));
    }

    @Test
    void everyDefinitionIsDescribedAndItsSchemaIsWellFormed() {
        for (Tool tool : tools.values()) {
            JsonNode schema = tool.definition().parameters();
            assertThat(tool.definition().description()).as(tool.name()).hasSizeGreaterThan(80);
            assertThat(validator.validate(TOOL_SCHEMA_RULES, schema)).as(tool.name()).isEmpty();
            List<String> properties = new ArrayList<>();
            schema.get("properties").fieldNames().forEachRemaining(properties::add);
            for (JsonNode required : schema.path("required")) {
                assertThat(properties).as(tool.name()).contains(required.asText());
            }
        }
    }

    @Test
    void theRulesThemselvesRejectASloppySchema() {
        assertThat(validator.validate(TOOL_SCHEMA_RULES, Json.parse("""
                {"type": "object", "properties": {"p": {"type": "text"}}}""")))
                .containsExactly(
                        "$: missing required property 'additionalProperties'",
                        "$.properties.p: missing required property 'description'",
                        "$.properties.p.type: must be one of \"string\", \"integer\", \"number\", "
                                + "\"boolean\", \"object\", \"array\", got \"text\"");
    }

    /** Each row: tool, arguments, and the problems joined by " | " (empty when valid). */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '‖', quoteCharacter = '`', textBlock = """
            fs.read  ‖ {"path": "src/Main.java"}                       ‖
            fs.read  ‖ {"path": "a.txt", "offset": 10, "limit": 20}    ‖
            fs.read  ‖ {}                                              ‖ $: missing required property 'path'
            fs.read  ‖ {"path": 5}                                     ‖ $.path: expected string, got integer
            fs.read  ‖ {"path": ""}                                    ‖ $.path: expected at least 1 character, got 0
            fs.read  ‖ {"path": "a", "offset": 0}                      ‖ $.offset: must be >= 1, got 0
            fs.read  ‖ {"path": "a", "limit": 1.5}                     ‖ $.limit: expected integer, got number
            fs.read  ‖ {"path": "a", "lines": 3}                       ‖ $: unexpected property 'lines' (allowed: path, offset, limit, start_line, end_line)
            fs.read  ‖ "a.txt"                                         ‖ $: expected object, got string
            fs.write ‖ {"path": "a.txt", "content": ""}                ‖
            fs.write ‖ {"path": "a.txt", "content": "x", "append": true} ‖
            fs.write ‖ {"path": "a.txt"}                               ‖ $: missing required property 'content'
            fs.write ‖ {"content": 3}                                  ‖ $: missing required property 'path' | $.content: expected string, got integer
            fs.write ‖ {"path": "a", "content": "x", "append": "yes"}  ‖ $.append: expected boolean, got string
            fs.list  ‖ {}                                              ‖
            fs.list  ‖ {"path": "src"}                                 ‖
            fs.list  ‖ {"path": null}                                  ‖ $.path: expected string, got null
            fs.list  ‖ {"recursive": true}                             ‖ $: unexpected property 'recursive' (allowed: path)
            http_get ‖ {"url": "https://example.com/"}                 ‖
            http_get ‖ {"url": "https://example.com/", "headers": {"Accept": "text/html"}} ‖
            http_get ‖ {"headers": {}}                                 ‖ $: missing required property 'url'
            http_get ‖ {"url": "https://x", "headers": {"X-N": 1}}     ‖ $.headers['X-N']: expected string, got integer
            http_get ‖ {"url": "https://x", "headers": ["Accept: *"]}  ‖ $.headers: expected object, got array
            http_get ‖ {"url": "https://x", "method": "POST"}          ‖ $: unexpected property 'method' (allowed: url, headers)
            shell    ‖ {"command": "ls -la"}                           ‖
            shell    ‖ {"command": "make test", "timeout_s": 30}       ‖
            shell    ‖ {"command": ""}                                 ‖ $.command: expected at least 1 character, got 0
            shell    ‖ {"timeout_s": 5}                                ‖ $: missing required property 'command'
            shell    ‖ {"command": "ls", "timeout_s": 0}               ‖ $.timeout_s: must be >= 1, got 0
            shell    ‖ {"command": "ls", "env": {}}                    ‖ $: unexpected property 'env' (allowed: command, timeout_s)
            """)
    void schemasAcceptGoodArgumentsAndExplainBadOnes(String tool, String arguments,
            String expected) {
        List<String> problems = validator.validate(tools.get(tool).definition().parameters(),
                Json.parse(arguments));
        assertThat(problems).containsExactlyElementsOf(
                expected == null ? List.of() : List.of(expected.split(" \\| ")));
    }

    @Test
    void settingsHaveSafeDefaults() {
        BuiltinTools.Settings d = BuiltinTools.Settings.DEFAULTS;
        assertThat(d.httpAllowHosts()).isEmpty();
        assertThat(d.httpTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.maxReadBytes()).isEqualTo(256 * 1024);
        assertThat(d.maxHttpBytes()).isEqualTo(256 * 1024);
        assertThat(d.withHttpTimeout(Duration.ofSeconds(5)).httpTimeout())
                .isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void settingsCopyTheHostList() {
        List<String> hosts = new ArrayList<>(List.of("api.example.com"));
        BuiltinTools.Settings settings = BuiltinTools.Settings.DEFAULTS.withHttpAllowHosts(hosts);
        hosts.add("evil.example");
        assertThat(settings.httpAllowHosts()).containsExactly("api.example.com");
    }

    @Test
    void settingsFailFastOnBadValues() {
        var d = BuiltinTools.Settings.DEFAULTS;
        assertThatIllegalArgumentException()
                .isThrownBy(() -> d.withHttpAllowHosts(List.of("https://api.example.com")))
                .withMessageContaining("'https://api.example.com' is not a host name");
        assertThatIllegalArgumentException().isThrownBy(() -> d.withHttpAllowHosts(List.of("*")));
        assertThatIllegalArgumentException()
                .isThrownBy(() -> d.withHttpAllowHosts(List.of("example.com:8080")));
        assertThatIllegalArgumentException().isThrownBy(() -> d.withHttpTimeout(Duration.ZERO))
                .withMessageContaining("timeout must be positive");
        assertThatIllegalArgumentException().isThrownBy(() -> new BuiltinTools.Settings(
                List.of(), Duration.ofSeconds(1), 0, 10)).withMessageContaining("maxReadBytes");
        assertThatIllegalArgumentException().isThrownBy(() -> new BuiltinTools.Settings(
                List.of(), Duration.ofSeconds(1), 10, BuiltinTools.Settings.MAX_CAP + 1))
                .withMessageContaining("maxHttpBytes");
        assertThatNullPointerException().isThrownBy(() -> new BuiltinTools.Settings(
                null, Duration.ofSeconds(1), 10, 10));
        assertThatNullPointerException().isThrownBy(() -> new BuiltinTools.Settings(
                List.of(), null, 10, 10));
    }
}
