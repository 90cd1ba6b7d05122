package io.myriad.tools.coding;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import io.myriad.tools.sandbox.Outcome;
import io.myriad.tools.sandbox.Sandbox;
import io.myriad.tools.sandbox.SandboxException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * {@code run_tests}: runs the task's test command in the run's workspace, inside the
 * {@link Sandbox}, and answers with a compact {@link TestReport} instead of the raw output.
 *
 * <p>The command is the task's, fixed when the tool is built; the model may only narrow it with
 * a filter (a test name or path) that matches {@link #FILTER} and is substituted, quoted, into the
 * task's filter template. Every run takes a {@link TestSlots} slot first, so test runs, the
 * expensive part of a coding fleet, are limited apart from everything else.
 *
 * <p>Its effect is {@link Effect#IDEMPOTENT}: running the tests again on the same workspace is
 * what a test run is for, so recovery may repeat a call whose outcome was lost. It is not
 * {@link Effect#READ_ONLY}: a test run writes build output and caches ({@code target/},
 * {@code __pycache__}) into the workspace, so it must not run beside the run's edits.
 *
 * <p>A report is an ordinary result even when tests fail: failing tests are what the agent
 * came to fix. Only a refusal (every slot busy) is an error result; a bad filter or a sandbox that
 * cannot start is a {@code ToolException}.
 *
 * <p>Notes: the command runs as {@code { timeout -k 5 T bash -c CMD; } 2>&1 | tail -c N} under
 * {@code pipefail}: stdout and stderr interleaved as written, the exit code the command's, and
 * the last {@code N} bytes kept, because every runner prints its summary at the end while the
 * sandbox keeps the beginning. The inner {@code timeout} stops the command before the sandbox
 * would, so the tail of a run that timed out is still reported. Python's bytecode cache goes to
 * a fresh folder in the sandbox's private {@code /tmp}: a cached {@code .pyc} is trusted when
 * the source's size and mtime (in whole seconds) match, so an agent's same-size edit made in the
 * second after a run would otherwise be tested as the old code (seen in {@code RunTestsToolIT}).
 */
public final class RunTestsTool implements Tool {
    static final String NAME = "run_tests";

    /** What a filter may look like: a test name, a node id, a path, a pattern; no shell syntax. */
    public static final Pattern FILTER = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.:/#*,=+\\[\\]-]{0,199}");

    private static final String PLACEHOLDER = "{filter}";
    private static final Duration SANDBOX_MARGIN = Duration.ofSeconds(15);

    /**
     * How this task's tests run.
     *
     * @param command        the shell command that runs every test, e.g.
     *                       {@code python3 -m unittest}
     * @param filterTemplate the command that runs the tests a filter selects, with
     *                       {@code {filter}} where the (quoted) filter goes, e.g.
     *                       {@code python3 -m pytest -q {filter}}; empty when the task takes none
     * @param timeout        the longest one run may take
     * @param maxQueueWait   the longest a call waits for a test slot before it is refused
     * @param maxFailures    failures listed in the report
     * @param maxReportChars the longest report
     */
    public record Settings(String command, Optional<String> filterTemplate, Duration timeout,
            Duration maxQueueWait, int maxFailures, int maxReportChars) {
        public Settings {
            Objects.requireNonNull(command, "command");
            Objects.requireNonNull(filterTemplate, "filterTemplate");
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(maxQueueWait, "maxQueueWait");
            if (command.isBlank()) {
                throw new IllegalArgumentException("the test command must not be empty");
            }
            filterTemplate.ifPresent(t -> {
                if (!t.contains(PLACEHOLDER)) {
                    throw new IllegalArgumentException("the filter template must contain "
                            + PLACEHOLDER + ", got '" + t + "'");
                }
            });
            if (timeout.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("timeout must be at least 1 second, got "
                        + timeout);
            }
            if (maxQueueWait.isNegative()) {
                throw new IllegalArgumentException("maxQueueWait must not be negative, got "
                        + maxQueueWait);
            }
            if (maxFailures < 1 || maxReportChars < 200) {
                throw new IllegalArgumentException("maxFailures must be at least 1 and "
                        + "maxReportChars at least 200, got " + maxFailures + " and "
                        + maxReportChars);
            }
        }

        /** A command without a filter: ten minutes per run, ten minutes in line, 10 failures. */
        public static Settings of(String command) {
            return new Settings(command, Optional.empty(), Duration.ofMinutes(10),
                    Duration.ofMinutes(10), 10, 8000);
        }

        public Settings withFilterTemplate(String template) {
            return new Settings(command, Optional.of(template), timeout, maxQueueWait,
                    maxFailures, maxReportChars);
        }

        public Settings withTimeout(Duration t) {
            return new Settings(command, filterTemplate, t, maxQueueWait, maxFailures,
                    maxReportChars);
        }

        public Settings withMaxQueueWait(Duration w) {
            return new Settings(command, filterTemplate, timeout, w, maxFailures,
                    maxReportChars);
        }
    }

    /**
     * One run's own test command and sandbox, for a fleet whose runs each work on a task of
     * their own.
     */
    public record RunTests(String command, Sandbox sandbox) {
        public RunTests {
            Objects.requireNonNull(command, "command");
            Objects.requireNonNull(sandbox, "sandbox");
        }
    }

    private final Settings settings;
    private final Sandbox sandbox;
    private final TestSlots slots;
    private final TestOutputParser parser;
    private final ToolDefinition definition;
    private final Function<ToolContext, Optional<RunTests>> perRun;

    private RunTestsTool(Settings settings, Sandbox sandbox, TestSlots slots,
            Function<ToolContext, Optional<RunTests>> perRun) {
        this.settings = settings;
        this.sandbox = sandbox;
        this.slots = slots;
        this.parser = TestOutputParser.create(settings.maxFailures());
        this.definition = definition(settings);
        this.perRun = perRun;
    }

    /** The tool for one task's test command, running in {@code sandbox} under {@code slots}. */
    public static RunTestsTool create(Settings settings, Sandbox sandbox, TestSlots slots) {
        return new RunTestsTool(Objects.requireNonNull(settings, "settings"),
                Objects.requireNonNull(sandbox, "sandbox"), Objects.requireNonNull(slots, "slots"),
                context -> Optional.empty());
    }

    /**
     * The tool for a fleet of tasks: each run's command and sandbox come from {@code perRun}
     * (which must share {@code sandbox}'s limits); a run it does not know is refused. Runs take
     * no filter: {@code settings}' command is only a description.
     */
    public static RunTestsTool perRun(Settings settings, Sandbox sandbox, TestSlots slots,
            Function<ToolContext, Optional<RunTests>> perRun) {
        return new RunTestsTool(Objects.requireNonNull(settings, "settings"),
                Objects.requireNonNull(sandbox, "sandbox"), Objects.requireNonNull(slots, "slots"),
                Objects.requireNonNull(perRun, "perRun"));
    }

    private static ToolDefinition definition(Settings s) {
        String filter = s.filterTemplate().isPresent()
                ? "Optionally pass filter (a test name, node id or path) to run only some tests."
                : "This task's test command takes no filter: it always runs every test.";
        return ToolDefinition.of(NAME, """
                Run the task's tests in the workspace (sandboxed, no network) and get a short \
                report: the verdict (PASSED, FAILED, ERROR, TIMED_OUT), the counts, and the \
                first failures with their messages.""" + " " + filter, """
                {
                  "type": "object",
                  "properties": {
                    "filter": {"type": "string", "minLength": 1, "maxLength": 200,
                               "description": "Only the tests this selects, e.g. \
                tests/test_calc.py::test_add or test_calc.CalcTest.test_add."}
                  },
                  "additionalProperties": false
                }""");
    }

    @Override
    public ToolDefinition definition() {
        return definition;
    }

    @Override
    public Effect effect() {
        return Effect.IDEMPOTENT;
    }

    /** Time in line for a slot, the run itself, and time to start and end the sandbox. */
    @Override
    public Duration timeout() {
        return settings.maxQueueWait().plus(settings.timeout()).plus(SANDBOX_MARGIN)
                .plusSeconds(15);
    }

    @Override
    public int maxOutputChars() {
        return settings.maxReportChars() + 200;
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(context, "context");
        Optional<RunTests> own = perRun.apply(context);
        String command = own.isPresent() && filter(arguments).isEmpty() ? own.get().command()
                : command(filter(arguments));
        Sandbox sandbox = own.map(RunTests::sandbox).orElse(this.sandbox);
        sandbox.unavailable().ifPresent(reason -> {
            throw new ToolException("run_tests cannot run: " + reason);
        });
        Optional<TestSlots.Slot> slot;
        try {
            slot = slots.acquire(settings.maxQueueWait());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ToolException("cancelled while waiting for a test slot; no test ran", e);
        }
        if (slot.isEmpty()) {
            return ToolResult.error("no test ran: all " + slots.size() + " test slots stayed "
                    + "busy for " + settings.maxQueueWait().toSeconds() + " s ("
                    + slots.waiting() + " runs waiting). Try again later, or keep working and "
                    + "run the tests afterwards.");
        }
        Outcome outcome;
        try (TestSlots.Slot held = slot.get()) {
            outcome = sandbox.run(context.workspace(), wrap(command),
                    runTime().plus(SANDBOX_MARGIN));
        } catch (SandboxException e) {
            throw new ToolException(e.getMessage(), e);
        }
        boolean timedOut = outcome.timedOut() || ((outcome.exitCode() == 124
                || outcome.exitCode() == 137)
                && outcome.duration().compareTo(runTime()) >= 0);
        String output = outcome.stdout() + (outcome.stderr().isEmpty() ? ""
                : "\n" + outcome.stderr());
        TestReport report = parser.parse(output, outcome.exitCode(), outcome.duration(),
                timedOut);
        return ToolResult.ok(report.render(settings.maxReportChars()));
    }

    private Optional<String> filter(JsonNode arguments) {
        JsonNode node = arguments.get("filter");
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw new ToolException("argument 'filter' must be a string");
        }
        String f = node.textValue();
        if (settings.filterTemplate().isEmpty()) {
            throw new ToolException("this task's test command takes no filter; call run_tests "
                    + "without one to run every test");
        }
        if (!FILTER.matcher(f).matches()) {
            throw new ToolException("filter must be a test name, node id or path: letters, "
                    + "digits and _ . : / # * , = + [ ] -, not starting with - and at most 200 "
                    + "characters; got '" + (f.length() > 60 ? f.substring(0, 60) + "…" : f)
                    + "'");
        }
        return Optional.of(f);
    }

    String command(Optional<String> filter) {
        return filter.map(f -> settings.filterTemplate().orElseThrow()
                .replace(PLACEHOLDER, "'" + f + "'")).orElse(settings.command());
    }

    String wrap(String command) {
        long inner = runTime().toSeconds();
        int keep = Math.max(1024, Math.min(sandbox.limits().maxOutputBytes() - 1024, 256 * 1024));
        return "set -o pipefail; export PYTHONPYCACHEPREFIX=\"$(mktemp -d 2>/dev/null || echo "
                + "/tmp)\"; { timeout -k 5 " + inner + " bash -c " + quote(command)
                + "; } 2>&1 | tail -c " + keep;
    }

    /**
     * The longest a run may take: the task's timeout, within the sandbox's wall time less the
     * margin the inner {@code timeout} needs to stop the command and hand over its output.
     */
    Duration runTime() {
        Duration cap = sandbox.limits().wallTime().minus(SANDBOX_MARGIN);
        Duration t = settings.timeout().compareTo(cap) <= 0 ? settings.timeout() : cap;
        return t.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : t;
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
