package io.myriad.tools.coding;

import io.myriad.tools.coding.TestReport.Counts;
import io.myriad.tools.coding.TestReport.Verdict;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Turns a test command's output into a {@link TestReport}: tries each known runner format
 * (Maven surefire, pytest, Python unittest, Gradle, the JUnit console launcher) and falls back to
 * the exit code and the last lines of the output.
 *
 * <p>The verdict: a time-out is {@link Verdict#TIMED_OUT}; failed or errored tests are
 * {@link Verdict#FAILED}; a runner that reports a broken build, no tests at all, or a failing
 * exit code with no failing test is {@link Verdict#ERROR}; otherwise the exit code decides.
 */
public final class TestOutputParser {
    /** Lines of output kept when no format is recognised. */
    public static final int TAIL_LINES = 20;

    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;?]*[A-Za-z]");

    private final int maxFailures;

    private TestOutputParser(int maxFailures) {
        this.maxFailures = maxFailures;
    }

    /**
     * A parser listing at most {@code maxFailures} failures.
     *
     * @throws IllegalArgumentException when {@code maxFailures} is under 1
     */
    public static TestOutputParser create(int maxFailures) {
        if (maxFailures < 1) {
            throw new IllegalArgumentException("maxFailures must be at least 1, got "
                    + maxFailures);
        }
        return new TestOutputParser(maxFailures);
    }

    /**
     * The report of one run.
     *
     * @param output   stdout and stderr, interleaved as the command wrote them
     * @param exitCode the command's exit code; ignored when {@code timedOut}
     */
    public TestReport parse(String output, int exitCode, Duration duration, boolean timedOut) {
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(duration, "duration");
        List<String> lines = ANSI.matcher(output).replaceAll("").replace("\r\n", "\n")
                .replace('\r', '\n').lines().toList();
        int code = timedOut ? -1 : exitCode;
        for (RunnerFormat format : RunnerFormat.ALL) {
            Optional<RunnerFormat.Parsed> parsed = format.parse(lines);
            if (parsed.isPresent()) {
                RunnerFormat.Parsed p = parsed.get();
                int shown = Math.min(maxFailures, p.failures().size());
                return new TestReport(p.runner(), verdict(p, code, timedOut), p.counts(),
                        p.failures().subList(0, shown), p.failures().size() - shown, code,
                        duration, p.counts().isEmpty() ? tail(lines) : List.of());
            }
        }
        Verdict verdict = timedOut ? Verdict.TIMED_OUT
                : code == 0 ? Verdict.PASSED : Verdict.FAILED;
        return new TestReport("generic", verdict, Optional.empty(), List.of(), 0, code, duration,
                tail(lines));
    }

    private static Verdict verdict(RunnerFormat.Parsed p, int code, boolean timedOut) {
        if (timedOut) {
            return Verdict.TIMED_OUT;
        }
        Optional<Counts> c = p.counts();
        if (c.isPresent() && c.get().failed() + c.get().errors() > 0) {
            return Verdict.FAILED;
        }
        if (p.brokenBuild() || c.isEmpty() || c.get().total() == 0) {
            return Verdict.ERROR;
        }
        return code == 0 ? Verdict.PASSED : Verdict.ERROR;
    }

    private static List<String> tail(List<String> lines) {
        List<String> trimmed = lines;
        while (!trimmed.isEmpty() && trimmed.getLast().isBlank()) {
            trimmed = trimmed.subList(0, trimmed.size() - 1);
        }
        return trimmed.subList(Math.max(0, trimmed.size() - TAIL_LINES), trimmed.size()).stream()
                .map(l -> l.length() <= RunnerFormat.LINE_CHARS ? l
                        : l.substring(0, RunnerFormat.LINE_CHARS - 1) + "…").toList();
    }
}
