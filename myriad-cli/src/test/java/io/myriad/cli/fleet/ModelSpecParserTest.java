package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.cli.fleet.FleetFileException.Problem;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.fleet.ModelSpec.OpenAiCompatible;
import io.myriad.core.fleet.ModelSpec.Pricing;
import io.myriad.core.fleet.ModelSpec.Simulated;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ModelSpecParserTest {
    private static final String FORMS = "sim, sim:<scenario>, openai:<name>, {sim: {...}} or {base_url: ..., name: ...}";

    private record Result(Optional<ModelSpec> model, List<String> problems) {}

    private static Result parse(String yaml) {
        Problems problems = new Problems("m.yaml");
        Node node = NodeReader.yaml(yaml.getBytes(StandardCharsets.UTF_8), problems).orElseThrow();
        Optional<ModelSpec> model = ModelSpecParser.parse(node, problems);
        List<String> messages = problems.isEmpty() ? List.of() : problems.exception().problems().stream()
                .map(p -> p.line() + ":" + p.column() + ": " + p.message()).toList();
        return new Result(model, messages);
    }

    static Stream<Arguments> validForms() {
        Simulated d = Simulated.DEFAULT;
        return Stream.of(
                Arguments.of("sim", d),
                Arguments.of("sim:answer", new Simulated("answer", 2, Duration.ZERO, 42, 128_000)),
                Arguments.of("sim:script", new Simulated("script", 2, Duration.ZERO, 42, 128_000)),
                Arguments.of("{sim: }", d),
                Arguments.of("{sim: {}}", d),
                Arguments.of("{sim: {scenario: tools, tool_calls: 2, latency: 0ms, seed: 42, context_window: 128000}}", d),
                Arguments.of("sim: {scenario: answer, tool_calls: 0, latency: 2s, seed: -5, context_window: 8}",
                        new Simulated("answer", 0, Duration.ofSeconds(2), -5, 8)),
                Arguments.of("openai:gpt-4.1-mini", new OpenAiCompatible("https://api.openai.com/v1", "gpt-4.1-mini",
                        "OPENAI_API_KEY", Duration.ofSeconds(60), Pricing.FREE, false)),
                Arguments.of("{base_url: http://localhost:8000/v1, name: my-model}", new OpenAiCompatible(
                        "http://localhost:8000/v1", "my-model", "", Duration.ofSeconds(60), Pricing.FREE, false)),
                Arguments.of("""
                        base_url: https://llm.internal/v1/
                        name: big
                        api_key_env: LLM_KEY
                        timeout: 2m
                        price: {input_per_mtok: 0.4, output_per_mtok: 2}
                        simulated: true
                        """, new OpenAiCompatible("https://llm.internal/v1", "big", "LLM_KEY", Duration.ofMinutes(2),
                        new Pricing(0.4, 2), true)),
                Arguments.of("{base_url: http://h:1/v1, name: m, price: {output_per_mtok: 3}}", new OpenAiCompatible(
                        "http://h:1/v1", "m", "", Duration.ofSeconds(60), new Pricing(0, 3), false)));
    }

    @ParameterizedTest
    @MethodSource("validForms")
    void readsEveryForm(String yaml, ModelSpec expected) {
        Result result = parse(yaml);

        assertThat(result.problems()).isEmpty();
        assertThat(result.model()).contains(expected);
    }

    static Stream<Arguments> invalidForms() {
        return Stream.of(
                Arguments.of("sim:bogus", List.of(
                        "1:1: unknown simulated scenario 'bogus'; expected one of: tools, answer, script, team")),
                Arguments.of("sim:tool", List.of(
                        "1:1: unknown simulated scenario 'tool'; expected one of: tools, answer, script, team; "
                                + "did you mean 'tools'?")),
                Arguments.of("'openai:'", List.of(
                        "1:1: expected a model name after 'openai:', like openai:gpt-4.1-mini")),
                Arguments.of("42", List.of("1:1: expected a model (" + FORMS + "), got 42")),
                Arguments.of("[sim]", List.of("1:1: expected a model (" + FORMS + "), got a list")),
                Arguments.of("{sim: tools}", List.of("1:7: expected a mapping, got 'tools'")),
                Arguments.of("{sim: {scenario: tool, tool_calls: -1, seed: x, latency: fast}}", List.of(
                        "1:18: unknown simulated scenario 'tool'; expected one of: tools, answer, script, team; "
                                + "did you mean 'tools'?",
                        "1:36: expected an integer from 0 to 10000, got -1",
                        "1:46: expected an integer, got 'x'",
                        "1:58: expected a duration like 30s or 5m, got 'fast'")),
                Arguments.of("{sim: {}, name: x}", List.of("1:11: unknown key 'name'; expected one of: sim")),
                Arguments.of("{base_url: ftp://x/v1, name: m}", List.of(
                        "1:12: expected an http or https URL up to and including /v1, like "
                                + "http://localhost:8000/v1, got 'ftp://x/v1'")),
                Arguments.of("{name: m, timout: 5s}", List.of(
                        "1:1: the model mapping is missing the required key 'base_url' (or use sim: {...} for the "
                                + "simulated model)",
                        "1:11: unknown key 'timout'; expected one of: base_url, name, api_key_env, timeout, price, "
                                + "simulated; did you mean 'timeout'?")),
                Arguments.of("{base_url: 'http://h/v1', name: '', api_key_env: sk-abc123, timeout: 0s, price: 3}",
                        List.of("1:33: expected a model name, got an empty string",
                                "1:50: expected the name of an environment variable, like MY_API_KEY, got "
                                        + "'sk-abc123' (write the variable's name, never the key itself)",
                                "1:70: expected a positive duration like 30s or 5m, got '0s'",
                                "1:81: expected a mapping, got 3")),
                Arguments.of("{base_url: 'http://h/v1', name: m, price: {input_per_mtok: -1}, simulated: yes}",
                        List.of("1:60: expected a number of at least 0, got -1",
                                "1:76: expected true or false, got 'yes'")));
    }

    @ParameterizedTest
    @MethodSource("invalidForms")
    void reportsWhatIsWrongWithAModel(String yaml, List<String> expected) {
        Result result = parse(yaml);

        assertThat(result.model()).isEmpty();
        assertThat(result.problems()).containsExactlyElementsOf(expected);
    }

    @Test
    void aBareModelNameGetsAnOpenAiHint() {
        assertThat(parse("gpt-4.1-mini").problems()).containsExactly(
                "1:1: expected a model (" + FORMS + "), got 'gpt-4.1-mini'; did you mean 'openai:gpt-4.1-mini'?");
    }

    @Test
    void problemsCarryTheFileName() {
        Problems problems = new Problems("m.yaml");
        ModelSpecParser.parse(NodeReader.yaml("sim:x".getBytes(StandardCharsets.UTF_8), problems).orElseThrow(),
                problems);
        assertThat(problems.exception().problems()).extracting(Problem::file).containsExactly("m.yaml");
    }
}
