package io.myriad.tools.coding;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A compact summary of one test run: what a coding agent needs to decide its next step, instead
 * of thousands of lines of runner output.
 *
 * @param runner       the output format recognised: {@code maven}, {@code pytest},
 *                     {@code unittest}, {@code junit}, {@code gradle}, or {@code generic} when
 *                     none was
 * @param verdict      what the run means
 * @param counts       the test counts, when the runner printed them
 * @param failures     the first failures, in the runner's order
 * @param moreFailures failures found beyond those listed
 * @param exitCode     the test command's exit code; -1 when it was killed at its time limit
 * @param duration     wall time of the command
 * @param tail         the last lines of the output when no format was recognised, else empty
 */
public record TestReport(String runner, Verdict verdict, Optional<Counts> counts,
        List<Failure> failures, int moreFailures, int exitCode, Duration duration,
        List<String> tail) {

    /** What a test run means. */
    public enum Verdict {
        /** Every test that ran passed, and the command succeeded. */
        PASSED,
        /** At least one test failed or errored, or the command failed without saying why. */
        FAILED,
        /** The runner stopped before reporting tests (a build or collection error), or ran none. */
        ERROR,
        /** The command was still running at its time limit and was killed. */
        TIMED_OUT
    }

    /**
     * Test counts as the runner reported them; a runner that does not count a category reports
     * zero there.
     */
    public record Counts(int passed, int failed, int errors, int skipped) {
        public Counts {
            if (passed < 0 || failed < 0 || errors < 0 || skipped < 0) {
                throw new IllegalArgumentException("counts must not be negative: passed="
                        + passed + " failed=" + failed + " errors=" + errors + " skipped="
                        + skipped);
            }
        }

        public int total() {
            return passed + failed + errors + skipped;
        }

        Counts plus(Counts o) {
            return new Counts(passed + o.passed, failed + o.failed, errors + o.errors,
                    skipped + o.skipped);
        }
    }

    /**
     * One failing test.
     *
     * @param name    the test as the runner names it ({@code test_calc.py::test_add},
     *                {@code CalcTest.add:12})
     * @param message the first lines of its message (an assertion, an exception)
     */
    public record Failure(String name, String message) {
        public Failure {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(message, "message");
        }
    }

    public TestReport {
        Objects.requireNonNull(runner, "runner");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(counts, "counts");
        Objects.requireNonNull(duration, "duration");
        failures = List.copyOf(failures);
        tail = List.copyOf(tail);
        if (moreFailures < 0) {
            throw new IllegalArgumentException("moreFailures must not be negative, got "
                    + moreFailures);
        }
    }

    /**
     * The report as text for the model, at most {@code maxChars} long: the verdict and counts
     * first, then failures, then the tail, each cut before the limit is reached.
     */
    public String render(int maxChars) {
        if (maxChars < 200) {
            throw new IllegalArgumentException("maxChars must be at least 200, got " + maxChars);
        }
        StringBuilder s = new StringBuilder();
        s.append("verdict: ").append(verdict).append('\n');
        s.append("runner: ").append(runner).append('\n');
        counts.ifPresentOrElse(c -> s.append("tests: ").append(c.passed()).append(" passed, ")
                        .append(c.failed()).append(" failed, ").append(c.errors())
                        .append(" errors, ").append(c.skipped()).append(" skipped\n"),
                () -> s.append("tests: not reported\n"));
        s.append("exit code: ").append(exitCode).append('\n');
        s.append(String.format(Locale.ROOT, "duration: %.1f s%n", duration.toMillis() / 1000.0));
        int omitted = moreFailures;
        if (!failures.isEmpty()) {
            s.append("failures:\n");
            for (int i = 0; i < failures.size(); i++) {
                Failure f = failures.get(i);
                StringBuilder one = new StringBuilder("- ").append(f.name()).append('\n');
                if (!f.message().isEmpty()) {
                    one.append(f.message().indent(4));
                }
                if (s.length() + one.length() > maxChars - 80) {
                    omitted += failures.size() - i;
                    break;
                }
                s.append(one);
            }
        }
        if (omitted > 0) {
            s.append("(").append(omitted).append(" more failures not shown)\n");
        }
        if (!tail.isEmpty()) {
            s.append("last lines of the output:\n");
            int start = s.length();
            String text = String.join("\n", tail) + "\n";
            int room = maxChars - start;
            s.append(text.length() <= room ? text : "…" + text.substring(text.length() - room + 1));
        }
        return s.length() <= maxChars ? s.toString() : s.substring(0, maxChars);
    }
}
