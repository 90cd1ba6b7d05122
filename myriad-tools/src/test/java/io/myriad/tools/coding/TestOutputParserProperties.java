package io.myriad.tools.coding;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.tools.coding.TestReport.Counts;
import io.myriad.tools.coding.TestReport.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

/** Summaries written the way each runner writes them parse back to the same counts. */
class TestOutputParserProperties {
    private static final Duration D = Duration.ofSeconds(1);
    private final TestOutputParser parser = TestOutputParser.create(3);

    @Property
    void pytestSummaries(@ForAll @IntRange(max = 500) int passed,
            @ForAll @IntRange(max = 50) int failed, @ForAll @IntRange(max = 5) int errors,
            @ForAll @IntRange(max = 20) int skipped, @ForAll boolean quiet) {
        List<String> parts = new ArrayList<>();
        if (failed > 0) {
            parts.add(failed + " failed");
        }
        if (passed > 0) {
            parts.add(passed + " passed");
        }
        if (skipped > 0) {
            parts.add(skipped + " skipped");
        }
        if (errors > 0) {
            parts.add(errors + (errors == 1 ? " error" : " errors"));
        }
        parts.add("2 warnings");
        String line = String.join(", ", parts) + " in 1.23s";
        String out = "collected items\n" + (quiet ? line : "===== " + line + " =====") + "\n";
        TestReport r = parser.parse(out, failed + errors > 0 ? 1 : 0, D, false);
        assertThat(r.runner()).isEqualTo("pytest");
        assertThat(r.counts()).contains(new Counts(passed, failed, errors, skipped));
        assertThat(r.verdict()).isEqualTo(failed + errors > 0 ? Verdict.FAILED
                : passed + skipped == 0 ? Verdict.ERROR : Verdict.PASSED);
    }

    @Property
    void unittestSummaries(@ForAll @IntRange(max = 500) int passed,
            @ForAll @IntRange(max = 50) int failed, @ForAll @IntRange(max = 5) int errors,
            @ForAll @IntRange(max = 20) int skipped) {
        int ran = passed + failed + errors + skipped;
        List<String> parts = new ArrayList<>();
        if (failed > 0) {
            parts.add("failures=" + failed);
        }
        if (errors > 0) {
            parts.add("errors=" + errors);
        }
        if (skipped > 0) {
            parts.add("skipped=" + skipped);
        }
        String result = (failed + errors > 0 ? "FAILED" : "OK")
                + (parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")");
        String out = "-".repeat(70) + "\nRan " + ran + " test" + (ran == 1 ? "" : "s")
                + " in 0.012s\n\n" + result + "\n";
        TestReport r = parser.parse(out, failed + errors > 0 ? 1 : 0, D, false);
        assertThat(r.runner()).isEqualTo("unittest");
        assertThat(r.counts()).contains(new Counts(passed, failed, errors, skipped));
    }

    @Property
    void mavenTotalsAddUpOverModules(@ForAll @IntRange(min = 1, max = 5) int modules,
            @ForAll @IntRange(max = 100) int run, @ForAll @IntRange(max = 3) int failures) {
        StringBuilder out = new StringBuilder();
        int f = Math.min(failures, run);
        for (int m = 0; m < modules; m++) {
            out.append("[INFO] Tests run: ").append(run).append(", Failures: ").append(f)
                    .append(", Errors: 0, Skipped: 0, Time elapsed: 0.1 s -- in a.B\n")
                    .append("[INFO] Results:\n[INFO] \n[INFO] Tests run: ").append(run)
                    .append(", Failures: ").append(f).append(", Errors: 0, Skipped: 0\n");
        }
        TestReport r = parser.parse(out.toString(), f > 0 ? 1 : 0, D, false);
        assertThat(r.runner()).isEqualTo("maven");
        assertThat(r.counts()).contains(new Counts(modules * (run - f), modules * f, 0, 0));
    }

    @Property
    void anyOutputGivesAReportThatFitsItsLimit(@ForAll @StringLength(max = 3000) String output,
            @ForAll @IntRange(min = -1, max = 255) int exitCode, @ForAll boolean timedOut,
            @ForAll @IntRange(min = 200, max = 2000) int maxChars) {
        TestReport r = parser.parse(output, exitCode, D, timedOut);
        assertThat(r.failures()).hasSizeLessThanOrEqualTo(3);
        assertThat(r.render(maxChars)).hasSizeLessThanOrEqualTo(maxChars)
                .startsWith("verdict: " + r.verdict());
        assertThat(r.verdict() == Verdict.TIMED_OUT).isEqualTo(timedOut);
    }
}
