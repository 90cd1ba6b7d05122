package io.myriad.tools.swe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodingTasksTest {
    private static final String GOOD = """
            {"id":"fix-1","repository":"/repos/a","base":"main","goal":"fix it","testCommand":"make test"}
            """;

    @Test
    void readsTasksWithDefaultsAndOptionalFields(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("tasks.jsonl"), GOOD + "\n"
                + "{\"id\":\"fix-2\",\"repository\":\"file:///repos/b.git\",\"base\":\"abc123\","
                + "\"goal\":\"g\",\"testCommand\":\"pytest\",\"setupCommand\":\"pip list\","
                + "\"allowTestEdits\":true}\n");
        var tasks = CodingTasks.read(file);
        assertThat(tasks).containsExactly(
                CodingTask.of("fix-1", "/repos/a", "main", "fix it", "make test"),
                new CodingTask("fix-2", "file:///repos/b.git", "abc123", "g", "pytest",
                        Optional.of("pip list"), true));
        assertThat(tasks.getFirst().deliveryBranch()).isEqualTo("myriad/fix-1");
    }

    @Test
    void badLinesAreReportedWithTheirNumber() {
        assertThatThrownBy(() -> CodingTasks.parse("t.jsonl", GOOD + "{not json\n"))
                .isInstanceOf(SweException.class).hasMessageStartingWith("t.jsonl:2: not valid JSON");
        assertThatThrownBy(() -> CodingTasks.parse("t.jsonl", "\n[1]\n"))
                .hasMessageStartingWith("t.jsonl:2: expected a JSON object");
        assertThatThrownBy(() -> CodingTasks.parse("t.jsonl",
                "{\"id\":\"a\",\"repository\":\"r\",\"base\":\"main\",\"goal\":\"g\"}"))
                .hasMessage("t.jsonl:1: a coding task needs a non-blank 'testCommand'");
        assertThatThrownBy(() -> CodingTasks.parse("t.jsonl", GOOD.replace("\"goal\"", "\"gaol\"")))
                .hasMessageStartingWith("t.jsonl:1: unknown field 'gaol'");
        assertThatThrownBy(() -> CodingTasks.parse("t.jsonl", GOOD + GOOD))
                .hasMessage("t.jsonl:2: task id 'fix-1' is already used on line 1; ids must be "
                        + "unique");
        assertThatThrownBy(() -> CodingTasks.parse("t.jsonl", GOOD.replace("fix-1", "../x")))
                .hasMessageContaining("t.jsonl:1: task id '../x' is not allowed");
        assertThatThrownBy(() -> CodingTasks.parse("t.jsonl", GOOD.replace("\"main\"", "\"--upload-pack=x\"")))
                .hasMessageContaining("is not a commit or branch name");
        assertThatThrownBy(() -> CodingTasks.parse("t.jsonl", GOOD.replace("}", ",\"allowTestEdits\":\"yes\"}")))
                .hasMessage("t.jsonl:1: 'allowTestEdits' must be true or false");
        assertThatThrownBy(() -> CodingTasks.parse("t.jsonl", GOOD.replace("\"fix it\"", "3")))
                .hasMessage("t.jsonl:1: 'goal' must be a string");
    }

    @Test
    void aMissingFileSaysWhichFile(@TempDir Path dir) {
        assertThatThrownBy(() -> CodingTasks.read(dir.resolve("none.jsonl")))
                .isInstanceOf(SweException.class).hasMessageContaining("none.jsonl");
    }

    @Test
    void testPathGlobsMatchAtTheRootAndByFileName() {
        var tests = TestPaths.globs("**/test/**", "test_*.py", "*Test.java");
        assertThat(tests).accepts("test/ScalerTest.java", "a/b/test/x.txt", "test_scaler.py",
                "pkg/test_a.py", "src/FooTest.java");
        assertThat(tests).rejects("src/Scaler.java", "scaler.py", "testing/x.py", "contest.py");
    }
}
