package io.myriad.tools.coding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.tools.coding.TestReport.Counts;
import io.myriad.tools.coding.TestReport.Failure;
import io.myriad.tools.coding.TestReport.Verdict;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TestOutputParserTest {
    private static final Duration D = Duration.ofMillis(1500);
    private final TestOutputParser parser = TestOutputParser.create(5);

    static Stream<Arguments> capturedOutputs() {
        return Stream.of(
                Arguments.of("unittest-failed.txt", 1, "unittest", Verdict.FAILED,
                        Optional.of(new Counts(2, 1, 1, 1)),
                        List.of(new Failure("test_divide_by_zero (test_calc.CalcTest"
                                        + ".test_divide_by_zero)",
                                        "ZeroDivisionError: division by zero"),
                                new Failure("test_add (test_calc.CalcTest.test_add)",
                                        "AssertionError: 4 != 5"))),
                Arguments.of("unittest-ok.txt", 0, "unittest", Verdict.PASSED,
                        Optional.of(new Counts(2, 0, 0, 1)), List.of()),
                Arguments.of("pytest-failed.txt", 1, "pytest", Verdict.FAILED,
                        Optional.of(new Counts(4, 2, 0, 0)),
                        List.of(new Failure("tests/test_parse.py::test_parse_empty",
                                        "AssertionError: assert None == []"),
                                new Failure("tests/test_render.py::TestRender::test_bold",
                                        "AssertionError: assert '<strong>x</strong>' == "
                                                + "'<b>x</b>'"))),
                Arguments.of("pytest-no-short-summary.txt", 1, "pytest", Verdict.FAILED,
                        Optional.of(new Counts(2, 1, 0, 0)),
                        List.of(new Failure("test_add", "assert 4 == 5\n"
                                + "+  where 4 = add(2, 2)"))),
                Arguments.of("pytest-collection-error.txt", 2, "pytest", Verdict.FAILED,
                        Optional.of(new Counts(0, 0, 1, 0)),
                        List.of(new Failure("test_calc.py", ""))),
                Arguments.of("maven-failed.txt", 1, "maven", Verdict.FAILED,
                        Optional.of(new Counts(4, 1, 1, 1)),
                        List.of(new Failure("CalcTest.add:12", "expected: <5> but was: <4>"),
                                new Failure("CalcTest.divide:17", "» Arithmetic / by zero"))),
                Arguments.of("maven-compile-error.txt", 1, "maven", Verdict.ERROR,
                        Optional.empty(),
                        List.of(new Failure("/workspace/src/main/java/com/example/Calc.java"
                                + ":[7,16]", "cannot find symbol"))),
                Arguments.of("maven-passed-multimodule.txt", 0, "maven", Verdict.PASSED,
                        Optional.of(new Counts(7, 0, 0, 2)), List.of()),
                Arguments.of("gradle-failed.txt", 1, "gradle", Verdict.FAILED,
                        Optional.of(new Counts(3, 2, 0, 1)),
                        List.of(new Failure("CalcTest > add()",
                                        "org.opentest4j.AssertionFailedError at CalcTest.java:12"),
                                new Failure("CalcTest > divide()",
                                        "java.lang.ArithmeticException at CalcTest.java:17"))),
                Arguments.of("junit-console-failed.txt", 1, "junit", Verdict.FAILED,
                        Optional.of(new Counts(1, 1, 0, 0)),
                        List.of(new Failure("JUnit Jupiter:CalcTest:add()",
                                "org.opentest4j.AssertionFailedError: expected: <5> but was: "
                                        + "<4>"))),
                Arguments.of("generic-make.txt", 2, "generic", Verdict.FAILED,
                        Optional.empty(), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("capturedOutputs")
    void summarisesCapturedOutputs(String resource, int exitCode, String runner, Verdict verdict,
            Optional<Counts> counts, List<Failure> failures) throws IOException {
        TestReport r = parser.parse(read(resource), exitCode, D, false);
        assertThat(r.runner()).isEqualTo(runner);
        assertThat(r.verdict()).isEqualTo(verdict);
        assertThat(r.counts()).isEqualTo(counts);
        assertThat(r.failures()).containsExactlyElementsOf(failures);
        assertThat(r.exitCode()).isEqualTo(exitCode);
        assertThat(r.render(4000)).contains("verdict: " + verdict).hasSizeLessThanOrEqualTo(4000);
    }

    @Test
    void theGenericFallbackKeepsTheLastTwentyLines() throws IOException {
        TestReport r = parser.parse(read("generic-make.txt"), 2, D, false);
        assertThat(r.tail()).endsWith("make: *** [Makefile:12: test] Error 1")
                .contains("check_remove: FAILED at tests/check.c:41: expected 2, got 3");
        String many = IntStream.range(0, 100).mapToObj(i -> "line " + i)
                .collect(Collectors.joining("\n", "", "\n\n"));
        TestReport big = parser.parse(many, 0, D, false);
        assertThat(big.verdict()).isEqualTo(Verdict.PASSED);
        assertThat(big.tail()).hasSize(TestOutputParser.TAIL_LINES).startsWith("line 80")
                .endsWith("line 99");
    }

    @Test
    void aTimeOutWinsOverEverything() throws IOException {
        TestReport r = parser.parse(read("unittest-ok.txt"), 0, D, true);
        assertThat(r.verdict()).isEqualTo(Verdict.TIMED_OUT);
        assertThat(r.exitCode()).isEqualTo(-1);
        assertThat(parser.parse("", 0, D, true).verdict()).isEqualTo(Verdict.TIMED_OUT);
    }

    @Test
    void aPassingRunWithAFailingExitCodeIsAnError() throws IOException {
        assertThat(parser.parse(read("unittest-ok.txt"), 3, D, false).verdict())
                .isEqualTo(Verdict.ERROR);
        assertThat(parser.parse("\nRan 0 tests in 0.000s\n\nOK\n", 0, D, false).verdict())
                .as("no tests ran").isEqualTo(Verdict.ERROR);
    }

    @Test
    void listsOnlyTheFirstFailuresAndCountsTheRest() {
        String out = IntStream.range(0, 30).mapToObj(i -> "FAILED t.py::test_" + i + " - boom")
                .collect(Collectors.joining("\n", "", "\n=== 30 failed in 1.00s ===\n"));
        TestReport r = parser.parse(out, 1, D, false);
        assertThat(r.failures()).hasSize(5).first().isEqualTo(new Failure("t.py::test_0", "boom"));
        assertThat(r.moreFailures()).isEqualTo(25);
        assertThat(r.render(4000)).contains("(25 more failures not shown)");
    }

    @Test
    void renderStaysWithinItsLimitAndRejectsTinyLimits() throws IOException {
        String longLine = "x".repeat(10_000);
        TestReport r = parser.parse(longLine + "\n" + read("generic-make.txt"), 1, D, false);
        assertThat(r.render(500)).hasSizeLessThanOrEqualTo(500).startsWith("verdict: FAILED")
                .endsWith("Error 1\n");
        assertThatThrownBy(() -> r.render(10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TestOutputParser.create(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    static String read(String resource) throws IOException {
        try (InputStream in = TestOutputParserTest.class.getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
