package io.myriad.tools;

import static io.myriad.tools.WorkspaceTest.args;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fs.edit, fs.patch, fs.search and fs.read's line ranges. */
class FsEditToolsTest {
    @TempDir
    Path workspace;
    private final WorkspaceLocks locks = new WorkspaceLocks();
    private final FsEditTool edit = new FsEditTool(locks);
    private final FsPatchTool patch = new FsPatchTool(locks);
    private final FsSearchTool search = new FsSearchTool();
    private final FsReadTool read = new FsReadTool(10_000);

    private ToolContext key(String key) {
        return new ToolContext("run-1", "call-" + key, key, workspace);
    }

    private String edit(String key, String path, String oldText, String newText, boolean all) {
        return edit.invoke(JsonNodeFactory.instance.objectNode().put("path", path)
                .put("old_text", oldText).put("new_text", newText).put("replace_all", all),
                key(key)).content();
    }

    private String patch(String key, String diff) {
        return patch.invoke(args("patch", diff), key(key)).content();
    }

    @Test
    void effects() {
        assertThat(edit.effect()).isEqualTo(Effect.IDEMPOTENT);
        assertThat(patch.effect()).isEqualTo(Effect.IDEMPOTENT);
        assertThat(search.effect()).isEqualTo(Effect.READ_ONLY);
    }

    @Test
    void editReplacesAUniqueOccurrence() throws IOException {
        Files.writeString(workspace.resolve("a.txt"), "one\ntwo\nthree\n");
        assertThat(edit("k1", "a.txt", "two", "2", false))
                .isEqualTo("replaced 1 occurrence in a.txt (line 2)");
        assertThat(workspace.resolve("a.txt")).hasContent("one\n2\nthree\n");
    }

    @Test
    void editRefusesMissingAndAmbiguousTextSayingWhere() throws IOException {
        Files.writeString(workspace.resolve("a.txt"), "x = 1\ny = 2\nx = 1\n\nx = 1\n");
        assertThatThrownBy(() -> edit("k1", "a.txt", "x = 1", "x = 3", false))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("found 3 times")
                .hasMessageContaining("lines 1, 3, 5")
                .hasMessageContaining("replace_all");
        assertThatThrownBy(() -> edit("k2", "a.txt", "z = 1", "x", false))
                .isInstanceOf(ToolException.class).hasMessageContaining("was not found");
        assertThatThrownBy(() -> edit("k3", "missing.txt", "a", "b", false))
                .isInstanceOf(ToolException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> edit("k4", "../out.txt", "a", "b", false))
                .isInstanceOf(ToolException.class).hasMessageContaining("outside");
        assertThatThrownBy(() -> edit("k5", "a.txt", "a", "a", false))
                .isInstanceOf(ToolException.class).hasMessageContaining("the same");
        assertThat(workspace.resolve("a.txt")).hasContent("x = 1\ny = 2\nx = 1\n\nx = 1\n");
        assertThat(edit("k6", "a.txt", "x = 1", "x = 3", true))
                .isEqualTo("replaced 3 occurrences in a.txt (lines 1, 3, 5)");
        assertThat(workspace.resolve("a.txt")).hasContent("x = 3\ny = 2\nx = 3\n\nx = 3\n");
    }

    @Test
    void editWithTheSameKeyIsNotAppliedTwice() throws IOException {
        Files.writeString(workspace.resolve("a.txt"), "a\n");
        edit("k", "a.txt", "a", "aa", false);
        assertThat(edit("k", "a.txt", "a", "aa", false)).contains("already applied")
                .contains("nothing was done");
        assertThat(workspace.resolve("a.txt")).hasContent("aa\n");
        Files.writeString(workspace.resolve("a.txt"), "changed by someone\n");
        assertThat(edit("k", "a.txt", "a", "aa", false)).contains("has changed since");
        assertThat(workspace.resolve("a.txt")).hasContent("changed by someone\n");
    }

    @Test
    void editCompletesACallCutShortAfterItsRecord() throws IOException {
        Files.writeString(workspace.resolve("a.txt"), "a\n");
        edit("k", "a.txt", "a", "b", false);
        // Simulate a crash after the record, before the move: the file is back as it was.
        Files.writeString(workspace.resolve("a.txt"), "a\n");
        assertThat(edit("k", "a.txt", "a", "b", false)).contains("completed an interrupted call");
        assertThat(workspace.resolve("a.txt")).hasContent("b\n");
    }

    @Test
    void editFixesLineEndingsOfCrlfFiles() throws IOException {
        Files.writeString(workspace.resolve("w.txt"), "a\r\nb\r\nc\r\n");
        edit("k", "w.txt", "a\nb\n", "x\ny\n", false);
        assertThat(workspace.resolve("w.txt")).hasContent("x\r\ny\r\nc\r\n");
    }

    @Test
    void patchModifiesCreatesAndDeletesFiles() throws IOException {
        Files.writeString(workspace.resolve("keep.txt"), "1\n2\n3\n4\n5\n6\n7\n8\n");
        Files.writeString(workspace.resolve("gone.txt"), "bye\n");
        String diff = """
                diff --git a/keep.txt b/keep.txt
                --- a/keep.txt
                +++ b/keep.txt
                @@ -2,3 +2,3 @@
                 2
                -3
                +three
                 4
                @@ -7,2 +7,3 @@
                 7
                 8
                +9
                --- /dev/null
                +++ b/src/new.txt
                @@ -0,0 +1,2 @@
                +hello
                +world
                --- a/gone.txt
                +++ /dev/null
                @@ -1 +0,0 @@
                -bye
                """;
        assertThat(patch("k", diff)).isEqualTo("patched 3 files: modified keep.txt, created "
                + "src/new.txt, deleted gone.txt");
        assertThat(workspace.resolve("keep.txt")).hasContent("1\n2\nthree\n4\n5\n6\n7\n8\n9\n");
        assertThat(workspace.resolve("src/new.txt")).hasContent("hello\nworld\n");
        assertThat(workspace.resolve("gone.txt")).doesNotExist();
        assertThat(patch("k", diff)).contains("already applied");
    }

    @Test
    void patchAppliesAtShiftedLinesAndHandlesMissingFinalNewlines() throws IOException {
        Files.writeString(workspace.resolve("f.txt"), "extra\nextra\na\nb\nc");
        patch("k", """
                --- f.txt
                +++ f.txt
                @@ -1,3 +1,3 @@
                 a
                 b
                -c
                \\ No newline at end of file
                +C
                """);
        assertThat(workspace.resolve("f.txt")).hasContent("extra\nextra\na\nb\nC\n");
    }

    @Test
    void aHunkThatDoesNotApplyRefusesTheWholePatch() throws IOException {
        Files.writeString(workspace.resolve("a.txt"), "a\n");
        Files.writeString(workspace.resolve("b.txt"), "b\n");
        assertThatThrownBy(() -> patch("k", """
                --- a/a.txt
                +++ b/a.txt
                @@ -1 +1 @@
                -a
                +A
                --- a/b.txt
                +++ b/b.txt
                @@ -1 +1 @@
                -not b
                +B
                """))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("hunk 1 of b.txt (@@ -1 +1 @@) does not apply")
                .hasMessageContaining("Nothing was changed");
        assertThat(workspace.resolve("a.txt")).hasContent("a\n");
        assertThat(workspace.resolve("b.txt")).hasContent("b\n");
        assertThat(workspace.resolve(Workspace.CHANGES_MARKER)).doesNotExist();
    }

    @Test
    void patchExplainsMalformedPatchesAndEscapes() throws IOException {
        Files.writeString(workspace.resolve("a.txt"), "a\n");
        assertThatThrownBy(() -> patch("k1", "just some text"))
                .isInstanceOf(ToolException.class).hasMessageContaining("no file changes");
        assertThatThrownBy(() -> patch("k2", "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n-a\n+b\n"))
                .isInstanceOf(ToolException.class).hasMessageContaining("ends early");
        assertThatThrownBy(() -> patch("k3", "--- a/a.txt\n+++ b/a.txt\n@@ bad @@\n"))
                .isInstanceOf(ToolException.class).hasMessageContaining("malformed header");
        assertThatThrownBy(() -> patch("k4", "--- /dev/null\n+++ b/../x.txt\n@@ -0,0 +1 @@\n+x\n"))
                .isInstanceOf(ToolException.class).hasMessageContaining("outside");
        assertThatThrownBy(() -> patch("k5", "--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1 @@\n+x\n"))
                .isInstanceOf(ToolException.class).hasMessageContaining("already exists");
        assertThatThrownBy(() -> patch("k6", "--- a/a.txt\n+++ b/b.txt\n@@ -1 +1 @@\n-a\n+b\n"))
                .isInstanceOf(ToolException.class).hasMessageContaining("renaming");
        assertThat(workspace.resolve("a.txt")).hasContent("a\n");
    }

    @Test
    void searchFindsLinesSkippingBinaryAndGit() throws IOException {
        Files.createDirectories(workspace.resolve("src/.git"));
        Files.createDirectories(workspace.resolve("docs"));
        Files.writeString(workspace.resolve("src/A.java"), "class A {}\n// TODO one\n");
        Files.writeString(workspace.resolve("src/.git/config"), "TODO in git\n");
        Files.writeString(workspace.resolve("docs/notes.md"), "TODO two\n");
        Files.write(workspace.resolve("src/bin.dat"), new byte[] {'T', 'O', 'D', 'O', 0});
        assertThat(search.invoke(args("pattern", "TODO"), key("k")).content())
                .isEqualTo("docs/notes.md:1: TODO two\nsrc/A.java:2: // TODO one\n");
        assertThat(search.invoke(args("pattern", "TODO", "glob", "*.java"), key("k")).content())
                .isEqualTo("src/A.java:2: // TODO one\n");
        assertThat(search.invoke(args("pattern", "TODO", "path", "docs"), key("k")).content())
                .isEqualTo("docs/notes.md:1: TODO two\n");
        assertThat(search.invoke(args("pattern", "nothing"), key("k")).content())
                .isEqualTo("[no matches]");
        assertThatThrownBy(() -> search.invoke(args("pattern", "class (A"), key("k")))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("not a valid regular expression");
        assertThatThrownBy(() -> search.invoke(args("pattern", "x", "path", ".."), key("k")))
                .isInstanceOf(ToolException.class).hasMessageContaining("outside");
    }

    @Test
    void searchCapsResults() throws IOException {
        Files.writeString(workspace.resolve("many.txt"), "hit\n".repeat(50));
        String out = search.invoke(JsonNodeFactory.instance.objectNode().put("pattern", "hit")
                .put("max_results", 10), key("k")).content();
        assertThat(out.lines()).hasSize(11);
        assertThat(out).startsWith("many.txt:1: hit\n").contains("stopped after 10 matches");
    }

    @Test
    void readShowsALineRangeAndSaysWhichLinesOfHowMany() throws IOException {
        Files.writeString(workspace.resolve("f.txt"), "1\n2\n3\n4\n5\n");
        assertThat(read.invoke(JsonNodeFactory.instance.objectNode().put("path", "f.txt")
                .put("start_line", 2).put("end_line", 3), key("k")).content())
                .isEqualTo("2\n3\n[lines 2-3 of 5]");
        assertThat(read.invoke(JsonNodeFactory.instance.objectNode().put("path", "f.txt")
                .put("start_line", 4), key("k")).content())
                .isEqualTo("4\n5\n[lines 4-5 of 5]");
        assertThat(read.invoke(JsonNodeFactory.instance.objectNode().put("path", "f.txt")
                .put("end_line", 9), key("k")).content())
                .isEqualTo("1\n2\n3\n4\n5\n[lines 1-5 of 5]");
        assertThatThrownBy(() -> read.invoke(JsonNodeFactory.instance.objectNode()
                .put("path", "f.txt").put("start_line", 7), key("k")))
                .isInstanceOf(ToolException.class).hasMessageContaining("start_line 7 is past");
        assertThatThrownBy(() -> read.invoke(JsonNodeFactory.instance.objectNode()
                .put("path", "f.txt").put("start_line", 3).put("end_line", 2), key("k")))
                .isInstanceOf(ToolException.class).hasMessageContaining("before start_line");
    }
}
