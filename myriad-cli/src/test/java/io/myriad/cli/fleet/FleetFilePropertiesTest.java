package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/** Properties of the fleet file parser: durations round-trip, and no input escapes as anything but a FleetFileException. */
class FleetFilePropertiesTest {
    private static final String VALID = """
            fleet: fuzz
            model: {sim: {scenario: tools, latency: 5ms}}
            concurrency: 4
            tasks:
              - "hello"
              - {id: t2, input: {a: [1, 2]}, priority: 3}
            agents:
              writer:
                instructions: "Write."
                tools: [fs.read]
                limits: {max_steps: 20, max_wall: 5m}
            http:
              allow_hosts: [api.example.com]
            """;

    @Property
    void everyWrittenDurationParsesToItsValue(@ForAll @LongRange(min = 0, max = 2_000_000_000L) long amount,
            @ForAll("units") String unit) {
        Duration expected = switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "s", "" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
        assertThat(Durations.parse(amount + unit)).isEqualTo(expected);
        assertThat(Durations.parse(Durations.format(expected))).isEqualTo(expected);
    }

    @Provide
    Arbitrary<String> units() {
        return Arbitraries.of("ms", "s", "m", "h", "");
    }

    @Property
    void formattedDurationsRoundTrip(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 1_000_000) long millis) {
        Duration duration = Duration.ofMillis(millis);
        assertThat(Durations.parse(Durations.format(duration))).isEqualTo(duration);
    }

    @Property(tries = 2000)
    void garbageYamlOnlyEverFailsWithFleetFileException(@ForAll("garbage") String yaml) {
        tryLoad(yaml);
    }

    @Property(tries = 2000)
    void mutatedValidFilesOnlyEverFailWithFleetFileException(@ForAll("mutations") String yaml) {
        tryLoad(yaml);
    }

    private static void tryLoad(String yaml) {
        try {
            FleetLoader.parse("fuzz.yaml", yaml.getBytes(StandardCharsets.UTF_8), Path.of("fuzz.yaml"), Set.of("fs.read"));
        } catch (FleetFileException e) {
            assertThat(e.problems()).isNotEmpty();
            assertThat(e.getMessage()).startsWith("fuzz.yaml:");
        }
    }

    @Provide
    Arbitrary<String> garbage() {
        Arbitrary<String> tokens = Arbitraries.of(
                "fleet", "agents", "tasks", "model", "sim", "instructions", "limits", "max_wall", "input", "id",
                ":", ": ", "- ", "\n", "\n  ", "\n    ", "{", "}", "[", "]", ",", "'", "\"", "#", "&a ", "*a", "<<: ",
                "---\n", "|\n", ">\n", "!!binary ", "!tag ", "%YAML 1.2\n", "? ", "\t", "~", "null", "true", "42",
                "-1", "0x1F", ".inf", "1e999", "99999999999999999999999", "5m", "x.jsonl", "\\", "\u00e9", "\uFEFF");
        return tokens.list().ofMaxSize(60).map(list -> String.join("", list));
    }

    @Provide
    Arbitrary<String> mutations() {
        Arbitrary<Integer> position = Arbitraries.integers().between(0, VALID.length());
        Arbitrary<String> insert = Arbitraries.strings().withChars(":-{}[],'\"#&*!|> \n\tabc019").ofMaxLength(4);
        Arbitrary<Integer> deleteLength = Arbitraries.integers().between(0, 5);
        return Combinators.combine(position, insert, deleteLength).as((at, text, delete) -> {
            int end = Math.min(VALID.length(), at + delete);
            return VALID.substring(0, at) + text + VALID.substring(end);
        });
    }

    @Property(tries = 200)
    void randomCharactersOnlyEverFailWithFleetFileException(@ForAll("anyText") String text) {
        tryLoad(text);
    }

    @Provide
    Arbitrary<String> anyText() {
        return Arbitraries.strings().all().ofMaxLength(200);
    }
}
