package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.myriad.cli.fleet.FleetFileException.Problem;
import io.myriad.core.fleet.Faults;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.fleet.ModelSpec.Simulated;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code faults} of the simulated model in a fleet file: every key, and every mistake at its position. */
class SimFaultsParsingTest {
    private static final String FAULT_KEYS = "rate_limited, rate_limited_no_retry_after, server_error, timeout, reset, "
            + "malformed, truncated, empty_choices, bad_tool_arguments, latency_spike, hostile, retry_after, hang, spike, "
            + "from, until";

    @TempDir
    Path dir;

    private record Result(Optional<ModelSpec> model, List<String> problems) {}

    private static Result parse(String yaml) {
        Problems problems = new Problems("m.yaml");
        Node node = NodeReader.yaml(yaml.getBytes(StandardCharsets.UTF_8), problems).orElseThrow();
        Optional<ModelSpec> model = ModelSpecParser.parse(node, problems);
        List<String> messages = problems.isEmpty() ? List.of() : problems.exception().problems().stream()
                .map(p -> p.line() + ":" + p.column() + ": " + p.message()).toList();
        return new Result(model, messages);
    }

    @Test
    void readsEveryFaultKey() {
        Result result = parse("""
                sim:
                  scenario: tools
                  faults:
                    rate_limited: 0.1
                    rate_limited_no_retry_after: 0.05
                    server_error: 0.05
                    timeout: 0.02
                    reset: 0.02
                    malformed: 0.01
                    truncated: 0.01
                    empty_choices: 0.01
                    bad_tool_arguments: 0.03
                    latency_spike: 0.5
                    hostile: 0.1
                    retry_after: 500ms
                    hang: 5s
                    spike: 3s
                    from: 10s
                    until: 1m
                """);

        assertThat(result.problems()).isEmpty();
        Faults expected = Faults.builder()
                .rateLimited(0.1).rateLimitedNoRetryAfter(0.05).serverError(0.05).timeout(0.02).reset(0.02)
                .malformed(0.01).truncated(0.01).emptyChoices(0.01).badToolArguments(0.03).latencySpike(0.5).hostile(0.1)
                .retryAfter(Duration.ofMillis(500)).hang(Duration.ofSeconds(5)).spike(Duration.ofSeconds(3))
                .from(Duration.ofSeconds(10)).until(Duration.ofMinutes(1))
                .build();
        assertThat(result.model()).contains(Simulated.DEFAULT.withFaults(expected));
        assertThat(result.model().orElseThrow().describe()).contains("faults: 429 10% (Retry-After 500ms)", "hostile 10%",
                "from 10s until 1m");
    }

    @Test
    void unsetKeysTakeTheirDefaults() {
        Result result = parse("{sim: {faults: {rate_limited: 0.5, until: 1m}}}");

        assertThat(result.problems()).isEmpty();
        Faults faults = ((Simulated) result.model().orElseThrow()).faults();
        assertThat(faults).isEqualTo(Faults.builder().rateLimited(0.5).until(Duration.ofMinutes(1)).build());
        assertThat(faults.retryAfter()).isEqualTo(Duration.ofSeconds(1));
        assertThat(faults.hang()).isEqualTo(Duration.ofSeconds(30));
        assertThat(faults.spike()).isEqualTo(Duration.ofSeconds(2));
        assertThat(faults.from()).isZero();
    }

    @Test
    void emptyFaultsAreNone() {
        assertThat(parse("{sim: {faults: }}").model()).contains(Simulated.DEFAULT);
        assertThat(parse("{sim: {faults: {}}}").model()).contains(Simulated.DEFAULT);
        assertThat(parse("{sim: {seed: 42}}").model().map(m -> ((Simulated) m).faults())).contains(Faults.NONE);
    }

    @Test
    void reportsAnUnknownKeyWithASuggestion() {
        assertThat(parse("{sim: {faults: {rate_limit: 0.1, timout: 0.2, colour: 1}}}").problems()).containsExactly(
                "1:17: unknown key 'rate_limit'; expected one of: " + FAULT_KEYS + "; did you mean 'rate_limited'?",
                "1:34: unknown key 'timout'; expected one of: " + FAULT_KEYS + "; did you mean 'timeout'?",
                "1:47: unknown key 'colour'; expected one of: " + FAULT_KEYS);
    }

    @Test
    void reportsRatesOutsideZeroToOneAndBadDurationsAtTheirValues() {
        assertThat(parse("""
                sim:
                  faults:
                    rate_limited: 1.5
                    hostile: -0.1
                    server_error: often
                    hang: forever
                    until: 0s
                """).problems()).containsExactly(
                "3:19: expected a number from 0 to 1, got 1.5",
                "4:14: expected a number from 0 to 1, got -0.1",
                "5:19: expected a number from 0 to 1, got 'often'",
                "6:11: expected a duration like 30s or 5m, got 'forever'",
                "7:12: expected a positive duration like 30s or 5m, got '0s'");
    }

    @Test
    void reportsExclusiveRatesAboveOneAtTheFaultsKey() {
        assertThat(parse("""
                sim:
                  faults:
                    rate_limited: 0.6
                    server_error: 0.5
                    latency_spike: 1
                """).problems()).containsExactly(
                "2:3: the fault rates add up to 1.1 (rate_limited 0.6 + server_error 0.5), but a request gets at most one"
                        + " of these faults: lower them to a sum of at most 1 (latency_spike is not counted)");
        assertThat(parse("{sim: {faults: {rate_limited: 0.5, server_error: 0.5, latency_spike: 1}}}").problems()).isEmpty();
    }

    @Test
    void reportsAWindowThatEndsBeforeItStarts() {
        assertThat(parse("{sim: {faults: {rate_limited: 0.5, from: 2m, until: 1m}}}").problems()).containsExactly(
                "1:53: expected 'until' to be after 'from' (2m), got '1m'");
    }

    @Test
    void reportsFaultsThatAreNotAMapping() {
        assertThat(parse("{sim: {faults: 0.5}}").problems()).containsExactly("1:16: expected a mapping, got 0.5");
    }

    @Test
    void aFleetFileReportsFaultProblemsWithItsOtherProblems() throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, """
                fleet: faulty
                model:
                  sim:
                    scenario: tools
                    faults: {rate_limited: 2, hang: soon}
                agents:
                  writer: {instructions: hi, tools: [fs.raed]}
                tasks: [go]
                """);

        FleetFileException e = catchThrowableOfType(FleetFileException.class,
                () -> FleetLoader.load(file, FleetLoaderTest.TOOLS));

        assertThat(e).isNotNull();
        assertThat(e.problems()).extracting(p -> p.line() + ":" + p.column() + ": " + p.message()).contains(
                "5:28: expected a number from 0 to 1, got 2",
                "5:37: expected a duration like 30s or 5m, got 'soon'");
        assertThat(e.problems()).extracting(Problem::file).containsOnly(file.toString());
    }

    @Test
    void aFleetFileCarriesItsFaultsToTheAgents() throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, """
                fleet: stormy
                model: {sim: {faults: {rate_limited: 0.5, until: 1m}}}
                agents:
                  writer: {instructions: hi, tools: [fs.write]}
                tasks: [go]
                """);

        FleetSpec fleet = FleetLoader.load(file, FleetLoaderTest.TOOLS);

        assertThat(fleet.agent("writer").model()).isEqualTo(Simulated.DEFAULT.withFaults(
                Faults.builder().rateLimited(0.5).until(Duration.ofMinutes(1)).build()));
    }
}
