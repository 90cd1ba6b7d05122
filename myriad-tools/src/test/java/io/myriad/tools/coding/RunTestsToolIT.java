package io.myriad.tools.coding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import io.myriad.tools.sandbox.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs a tiny Python project's tests in the real sandbox. Needs bubblewrap and python3. */
class RunTestsToolIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Sandbox sandbox;

    @TempDir
    Path ws;

    private final RunTestsTool.Settings settings = RunTestsTool.Settings
            .of("python3 -m unittest -v")
            .withFilterTemplate("python3 -m unittest -v {filter}")
            .withTimeout(Duration.ofSeconds(60));

    @BeforeAll
    static void start() {
        sandbox = Sandbox.builder().build();
    }

    @AfterAll
    static void stop() {
        sandbox.close();
    }

    @BeforeEach
    void project() throws Exception {
        assumeThat(sandbox.unavailable()).as("bubblewrap (bwrap) is not installed: these tests "
                + "run the tool in the real sandbox; apt-get install bubblewrap").isEmpty();
        assumeThat(Path.of("/usr/bin/python3")).as("python3 is needed in the sandbox")
                .isExecutable();
        Files.writeString(ws.resolve("calc.py"), """
                def add(a, b):
                    return a - b


                def sub(a, b):
                    return a - b
                """);
        Files.writeString(ws.resolve("test_calc.py"), """
                import unittest
                from calc import add, sub


                class CalcTest(unittest.TestCase):
                    def test_add(self):
                        self.assertEqual(add(2, 2), 4)

                    def test_sub(self):
                        self.assertEqual(sub(5, 3), 2)


                if __name__ == "__main__":
                    unittest.main()
                """);
    }

    private ToolContext context() {
        return new ToolContext("run-1", "call-1", "key-1", ws);
    }

    @Test
    void reportsTheFailureThenThePassAfterTheFix() throws Exception {
        RunTestsTool tool = RunTestsTool.create(settings, sandbox, TestSlots.of(2));
        assertThat(tool.effect()).isEqualTo(Effect.IDEMPOTENT);
        ToolResult failing = tool.invoke(JSON.createObjectNode(), context());
        assertThat(failing.error()).isFalse();
        assertThat(failing.content()).contains("verdict: FAILED", "runner: unittest",
                "tests: 1 passed, 1 failed, 0 errors, 0 skipped", "exit code: 1",
                "test_add (test_calc.CalcTest.test_add)", "AssertionError: 0 != 4");

        // A same-size fix with the same mtime: a .pyc cached in the workspace would hide it.
        Path calc = ws.resolve("calc.py");
        FileTime mtime = Files.getLastModifiedTime(calc);
        Files.writeString(calc, Files.readString(calc).replaceFirst("a - b", "a + b"));
        Files.setLastModifiedTime(calc, mtime);
        ToolResult passing = tool.invoke(JSON.createObjectNode(), context());
        assertThat(passing.content()).contains("verdict: PASSED",
                "tests: 2 passed, 0 failed, 0 errors, 0 skipped", "exit code: 0")
                .doesNotContain("failures:");
    }

    @Test
    void aFilterRunsOnlyTheTestsItSelectsAndShellSyntaxIsRefused() {
        RunTestsTool tool = RunTestsTool.create(settings, sandbox, TestSlots.of(1));
        ObjectNode one = JSON.createObjectNode().put("filter", "test_calc.CalcTest.test_sub");
        assertThat(tool.invoke(one, context()).content()).contains("verdict: PASSED",
                "tests: 1 passed, 0 failed");
        for (String bad : new String[] {"x; touch pwned", "$(touch pwned)", "-k x", "a b",
                "`id`", "x'y", "x\ny"}) {
            assertThatThrownBy(() -> tool.invoke(JSON.createObjectNode().put("filter", bad),
                    context())).as(bad).isInstanceOf(ToolException.class)
                    .hasMessageContaining("filter must be");
        }
        assertThat(ws.resolve("pwned")).doesNotExist();
        RunTestsTool noFilter = RunTestsTool.create(RunTestsTool.Settings.of("true"), sandbox,
                TestSlots.of(1));
        assertThatThrownBy(() -> noFilter.invoke(one, context()))
                .isInstanceOf(ToolException.class).hasMessageContaining("takes no filter");
    }

    @Test
    void aRunPastItsTimeoutIsReportedWithItsOutput() {
        RunTestsTool tool = RunTestsTool.create(RunTestsTool.Settings
                .of("echo started; sleep 60").withTimeout(Duration.ofSeconds(2)), sandbox,
                TestSlots.of(1));
        String report = tool.invoke(JSON.createObjectNode(), context()).content();
        assertThat(report).contains("verdict: TIMED_OUT", "runner: generic", "started");
    }

    @Test
    void refusesWhenEverySlotStaysBusy() throws Exception {
        TestSlots slots = TestSlots.of(1);
        RunTestsTool tool = RunTestsTool.create(settings.withMaxQueueWait(Duration.ofMillis(50)),
                sandbox, slots);
        try (TestSlots.Slot held = slots.acquire(Duration.ZERO).orElseThrow()) {
            ToolResult r = tool.invoke(JSON.createObjectNode(), context());
            assertThat(r.error()).isTrue();
            assertThat(r.content()).startsWith("no test ran: all 1 test slots stayed busy");
        }
        assertThat(slots.running()).isZero();
        assertThat(tool.invoke(JSON.createObjectNode(), context()).content())
                .contains("verdict: FAILED");
        assertThat(slots.running()).as("the slot is released after the run").isZero();
    }
}
