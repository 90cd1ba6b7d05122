package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"250ms, PT0.25S", "30s, PT30S", "5m, PT5M", "2h, PT2H", "45, PT45S", "0ms, PT0S", "' 7s ', PT7S"})
    void parsesEveryUnit(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "", "1.5s", "-3s", "5 m", "3d", "10M", "s", "9999999999999999999h", "99999999999999999h"})
    void rejectsAnythingElse(String text) {
        assertThat(Durations.tryParse(text)).isEmpty();
        assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected a duration like 250ms, 30s, 5m or 2h, got '" + text + "'");
    }

    @Test
    void formatsTheShortestExactForm() {
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("90m");
        assertThat(Durations.format(Duration.ofHours(48))).isEqualTo("48h");
        assertThatThrownBy(() -> Durations.format(Duration.ofNanos(1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void durationsInAFleetFile() throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, """
                fleet: durations
                agents:
                  a:
                    instructions: A
                    model: {base_url: "http://localhost:1/v1", name: m, timeout: 30}
                    limits: {max_wall: 1500ms}
                  b:
                    instructions: B
                    model: {sim: {latency: 0ms}}
                    limits: {max_wall: 0s}
                  c:
                    instructions: C
                    model: {sim: {latency: 1.5s}}
                    limits: {max_wall: [5m]}
                tasks: [{input: x, agent: a}]
                """);

        FleetFileException e = catchThrowableOfType(FleetFileException.class,
                () -> FleetLoader.load(file, Set.of()));

        assertThat(e.problems()).extracting(p -> p.line() + ":" + p.column() + ": " + p.message()).containsExactly(
                "10:24: expected a positive duration like 30s or 5m, got '0s'",
                "13:28: expected a duration like 30s or 5m, got '1.5s'",
                "14:24: expected a duration like 30s or 5m, got a list");
    }
}
