package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fault options of {@code myriad sim-server}: a bad value is refused with exit code 2 and a
 * message naming the option. (Valid options are shown valid by a bad port: the server refuses to
 * start for the port, not for the faults, so no test blocks on a running server.)
 */
class SimServerFaultOptionsTest {
    private record Result(int exit, String err) {}

    private static Result run(String... args) {
        List<String> all = new ArrayList<>(List.of("sim-server"));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new));
        return new Result(exit, err.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "--fault-429|1.5|--fault-429 expects a rate from 0 to 1",
            "--fault-429-no-retry-after|-0.1|--fault-429-no-retry-after expects a rate from 0 to 1",
            "--fault-5xx|2|--fault-5xx expects a rate from 0 to 1",
            "--fault-timeout|NaN|--fault-timeout expects a rate from 0 to 1",
            "--fault-reset|1.01|--fault-reset expects a rate",
            "--fault-malformed|3|--fault-malformed expects a rate",
            "--fault-truncated|-1|--fault-truncated expects a rate",
            "--fault-empty-choices|9|--fault-empty-choices expects a rate",
            "--fault-bad-tool-args|1.2|--fault-bad-tool-args expects a rate",
            "--fault-latency-spike|1.2|--fault-latency-spike expects a rate",
            "--hostile|7|--hostile expects a rate",
            "--fault-429|often|'often' is not a double",
            "--retry-after|soon|--retry-after: expected a duration like 250ms, 30s, 5m or 2h, got 'soon'",
            "--hang|-1s|--hang: expected a duration",
            "--spike|2 weeks|--spike: expected a duration",
            "--faults-from|later|--faults-from: expected a duration",
            "--faults-until|1d|--faults-until: expected a duration"})
    void refusesABadValue(String option, String value, String message) {
        Result result = run("--port", "0", option, value);

        assertThat(result.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(result.err()).contains(message);
    }

    @Test
    void refusesExclusiveRatesAddingUpToMoreThanOne() {
        Result result = run("--port", "0", "--fault-429", "0.6", "--fault-5xx", "0.3", "--hostile", "0.2",
                "--fault-latency-spike", "1");

        assertThat(result.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(result.err()).contains("--fault-429 0.6, --fault-5xx 0.3, --hostile 0.2 add up to more than 1",
                "--fault-latency-spike is not counted");
    }

    @Test
    void refusesAWindowThatEndsBeforeItStarts() {
        Result result = run("--port", "0", "--fault-429", "0.5", "--faults-from", "1m", "--faults-until", "30s");

        assertThat(result.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(result.err()).contains("--faults-until (30s) must be after --faults-from (1m)");
    }

    @Test
    void acceptsEveryFaultOption() {
        Result result = run("--port", "70000", "--fault-429", "0.1", "--fault-429-no-retry-after", "0.1",
                "--fault-5xx", "0.1", "--fault-timeout", "0.1", "--fault-reset", "0.1", "--fault-malformed", "0.1",
                "--fault-truncated", "0.1", "--fault-empty-choices", "0.1", "--fault-bad-tool-args", "0.1",
                "--hostile", "0.1", "--fault-latency-spike", "1", "--retry-after", "500ms", "--hang", "2s",
                "--spike", "1s", "--faults-from", "0s", "--faults-until", "1m");

        // Refused for the port alone: every fault option was read and accepted.
        assertThat(result.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(result.err()).contains("port must be between 0 and 65535").doesNotContain("fault");
    }
}
