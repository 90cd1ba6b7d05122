package io.myriad.tools.coding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.tools.sandbox.Limits;
import io.myriad.tools.sandbox.Sandbox;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The parts of run_tests that need no sandbox: settings, the command line, the definition. */
class RunTestsToolTest {

    @Test
    void settingsAreCheckedWhenBuilt() {
        assertThatThrownBy(() -> RunTestsTool.Settings.of(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> RunTestsTool.Settings.of("pytest").withFilterTemplate("pytest -k"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("{filter}");
        assertThatThrownBy(() -> RunTestsTool.Settings.of("pytest")
                .withTimeout(Duration.ofMillis(10))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RunTestsTool.Settings("pytest", Optional.empty(),
                Duration.ofMinutes(1), Duration.ZERO, 0, 1000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxFailures");
    }

    @Test
    void theFilterIsQuotedIntoTheTemplateAndTheCommandIntoTheWrapper() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            RunTestsTool tool = RunTestsTool.create(RunTestsTool.Settings.of("pytest -q")
                    .withFilterTemplate("pytest -q {filter}").withTimeout(Duration.ofSeconds(90)),
                    sandbox, TestSlots.of(1));
            assertThat(tool.command(Optional.empty())).isEqualTo("pytest -q");
            assertThat(tool.command(Optional.of("tests/t.py::test_a[1-2]")))
                    .isEqualTo("pytest -q 'tests/t.py::test_a[1-2]'");
            assertThat(tool.wrap("echo 'hi'")).startsWith("set -o pipefail; ")
                    .contains("export PYTHONPYCACHEPREFIX=")
                    .contains("{ timeout -k 5 90 bash -c 'echo '\\''hi'\\'''; } 2>&1 | tail -c ");
            assertThat(tool.timeout()).isGreaterThan(Duration.ofSeconds(90 + 600));
            assertThat(tool.name()).isEqualTo("run_tests");
            assertThat(tool.definition().description()).contains("Optionally pass filter");
            assertThat(tool.runTime()).isEqualTo(Duration.ofSeconds(90));
        }
    }

    @Test
    void aRunEndsBeforeTheSandboxWouldKillIt() {
        try (Sandbox sandbox = Sandbox.builder()
                .limits(Limits.DEFAULTS.withWallTime(Duration.ofSeconds(60))).build()) {
            RunTestsTool tool = RunTestsTool.create(RunTestsTool.Settings.of("make test"),
                    sandbox, TestSlots.of(1));
            assertThat(tool.runTime()).isEqualTo(Duration.ofSeconds(45));
            assertThat(tool.wrap("make test")).contains("timeout -k 5 45 bash -c");
        }
    }

    @Test
    void filtersMatchTestNamesAndNothingElse() {
        for (String ok : new String[] {"test_calc.CalcTest.test_add", "tests/test_x.py::T::t",
                "CalcTest#add", "t[1-2]", "Calc*Test", "a,b"}) {
            assertThat(RunTestsTool.FILTER.matcher(ok).matches()).as(ok).isTrue();
        }
        for (String bad : new String[] {"-k x", "--co", "a b", "a;b", "$(x)", "a'b", "a\"b",
                "a|b", "a>b", "", "x".repeat(201)}) {
            assertThat(RunTestsTool.FILTER.matcher(bad).matches()).as(bad).isFalse();
        }
    }
}
