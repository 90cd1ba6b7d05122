package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.myriad.cli.fleet.FleetFileException.Problem;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.gateway.Resilience;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code retry} and {@code circuit_breaker} keys: values, defaults, and problems at their positions. */
class FleetLoaderResilienceTest {
    private static final String HEAD = """
            fleet: steady
            agents:
              a: {instructions: hi}
            tasks: [go]
            """;

    @TempDir
    Path dir;

    private FleetSpec load(String yaml) throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, yaml);
        return FleetLoader.load(file, FleetLoaderTest.TOOLS);
    }

    /** The problems of loading {@code yaml}, as {@code line:column: message}. */
    private List<String> problems(String yaml) throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, yaml);
        FleetFileException e = catchThrowableOfType(FleetFileException.class,
                () -> FleetLoader.load(file, FleetLoaderTest.TOOLS));
        assertThat(e).as("expected the fleet file to be rejected").isNotNull();
        return e.problems().stream().map(p -> p.line() + ":" + p.column() + ": " + p.message()).toList();
    }

    @Test
    void withoutTheKeysTheDefaultsApply() throws IOException {
        assertThat(load(HEAD).resilience()).isEqualTo(Resilience.DEFAULT);
    }

    @Test
    void readsEverySetting() throws IOException {
        FleetSpec fleet = load(HEAD + """
                retry: {max_attempts: 6, base_delay: 250ms, max_delay: 20s, budget_ratio: 0.25, budget_min_per_second: 2.5}
                circuit_breaker:
                  failures: 7
                  open_for: 3s
                  max_open_for: 2m
                """);
        assertThat(fleet.resilience()).isEqualTo(new Resilience(6, Duration.ofMillis(250), Duration.ofSeconds(20), 7,
                Duration.ofSeconds(3), Duration.ofMinutes(2), 0.25, 2.5));
        assertThat(fleet.resilience().retryPolicy().maxAttempts()).isEqualTo(6);
    }

    @Test
    void aKeyLeftOutKeepsItsDefault() throws IOException {
        Resilience d = Resilience.DEFAULT;
        FleetSpec fleet = load(HEAD + """
                retry: {max_attempts: 1, budget_ratio: 0}
                circuit_breaker: {open_for: 10s}
                """);
        assertThat(fleet.resilience()).isEqualTo(new Resilience(1, d.baseDelay(), d.maxDelay(), d.failureThreshold(),
                Duration.ofSeconds(10), d.maxOpenFor(), 0, d.minRetriesPerSecond()));
    }

    @Test
    void outOfRangeValuesAreReportedWhereTheyAre() throws IOException {
        assertThat(problems(HEAD + """
                retry:
                  max_attempts: 0
                  base_delay: soon
                  max_delay: -1s
                  budget_ratio: 11
                  budget_min_per_second: 0
                circuit_breaker:
                  failures: 2.5
                  open_for: 0s
                  max_open_for: 2d
                """)).containsExactly(
                "6:17: expected an integer from 1 to 100, got 0",
                "7:15: expected a duration like 30s or 5m, got 'soon'",
                "8:14: expected a duration like 30s or 5m, got '-1s'",
                "9:17: expected a number from 0 to 10, got 11",
                "10:26: expected a number from 0.001 to 1000000, got 0",
                "12:13: expected an integer from 1 to 1000, got 2.5",
                "13:13: expected a positive duration like 30s or 5m, got '0s'",
                "14:17: expected a duration like 30s or 5m, got '2d'");
    }

    @Test
    void durationsAboveADayAreRefused() throws IOException {
        assertThat(problems(HEAD + """
                retry: {max_delay: 25h}
                circuit_breaker: {max_open_for: 1441m}
                """)).containsExactly(
                "5:20: expected a duration of at most 24h, got '25h'",
                "6:33: expected a duration of at most 24h, got '1441m'");
    }

    @Test
    void aMaximumShorterThanItsBaseIsReportedAtTheKeyGiven() throws IOException {
        assertThat(problems(HEAD + """
                retry: {base_delay: 2s, max_delay: 1s}
                circuit_breaker: {open_for: 5m}
                """)).containsExactly(
                "5:36: expected max_delay (1s) to be at least base_delay (2s); lengthen max_delay or shorten base_delay",
                "6:29: expected max_open_for (2m by default) to be at least open_for (5m); set max_open_for too");
        assertThat(problems(HEAD + """
                retry: {base_delay: 1m}
                """)).containsExactly(
                "5:21: expected max_delay (20s by default) to be at least base_delay (1m); set max_delay too");
    }

    @Test
    void unknownKeysAndWrongShapesAreReported() throws IOException {
        assertThat(problems(HEAD + """
                retry: {max_atempts: 3}
                circuit_breaker: [5, 5s]
                circuitBreaker: {failures: 3}
                """)).containsExactly(
                "5:9: unknown key 'max_atempts'; expected one of: max_attempts, base_delay, max_delay, budget_ratio, "
                        + "budget_min_per_second; did you mean 'max_attempts'?",
                "6:18: expected a mapping, got a list",
                "7:1: unknown key 'circuitBreaker'; expected one of: fleet, model, concurrency, tasks, agents, http, "
                        + "retry, circuit_breaker, mcp, secrets, shell, policy, policy_file, tenant, budget, approvals, coding, intake, delegation, reduce, messages, a2a, provider_limit; did you mean 'circuit_breaker'?");
    }

    @Test
    void problemsCarryTheFleetFile() throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, HEAD + "retry: {max_attempts: 1000}\n");
        FleetFileException e = catchThrowableOfType(FleetFileException.class,
                () -> FleetLoader.load(file, FleetLoaderTest.TOOLS));
        assertThat(e.problems()).extracting(Problem::file).containsOnly(file.toString());
    }
}
