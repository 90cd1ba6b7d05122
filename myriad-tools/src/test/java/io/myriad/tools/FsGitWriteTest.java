package io.myriad.tools;

import static io.myriad.tools.WorkspaceTest.args;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** fs.write (plain and append), fs.edit and fs.patch never write a .git; reading one is fine. */
class FsGitWriteTest {
    private static final String CONFIG = "[core]\n\tbare = false\n";

    @TempDir
    Path workspace;
    private final WorkspaceLocks locks = new WorkspaceLocks();
    private final Tool write = new FsWriteTool(1024, locks);
    private final Tool edit = new FsEditTool(locks);
    private final Tool patch = new FsPatchTool(locks);
    private final Tool read = new FsReadTool(10_000);
    private ToolContext context;

    @BeforeEach
    void setUp() throws IOException {
        Files.createDirectories(workspace.resolve(".git"));
        Files.writeString(workspace.resolve(".git/config"), CONFIG);
        Files.writeString(workspace.resolve(".git/HEAD"), "ref: refs/heads/main\n");
        Files.createDirectories(workspace.resolve("sub"));
        Files.createSymbolicLink(workspace.resolve("link"), Path.of(".git"));
        context = new ToolContext("run-1", "call-1", "key-1", workspace);
    }

    private static void refusedAsGit(org.assertj.core.api.ThrowableAssert.ThrowingCallable call,
            String path) {
        assertThatThrownBy(call).as(path).isInstanceOf(ToolException.class)
                .hasMessageContaining("'" + path + "'")
                .hasMessageContaining(".git is the repository's metadata; the platform "
                        + "manages it");
    }

    @ParameterizedTest
    @ValueSource(strings = {".git/config", ".git/HEAD", "./.git/config", "sub/../.git/config",
            ".GIT/HEAD", ".Git/hooks/pre-commit", "link/config", "link/hooks/new/file",
            "sub/../link/config", "vendor/.git/config", ".git"})
    void writeAndAppendRefuseGit(String path) throws IOException {
        refusedAsGit(() -> write.invoke(args("path", path, "content", "x"), context), path);
        refusedAsGit(() -> write.invoke(JsonNodeFactory.instance.objectNode().put("path", path)
                .put("content", "x").put("append", true), context), path);
        assertThat(workspace.resolve(".git/config")).hasContent(CONFIG);
        assertThat(workspace.resolve(".git/hooks")).doesNotExist();
        assertThat(workspace.resolve("vendor")).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {".git/config", "sub/../.git/config", ".GIT/config", "link/config"})
    void editRefusesGit(String path) throws IOException {
        refusedAsGit(() -> edit.invoke(JsonNodeFactory.instance.objectNode().put("path", path)
                .put("old_text", "false").put("new_text", "true"), context), path);
        assertThat(workspace.resolve(".git/config")).hasContent(CONFIG);
    }

    @ParameterizedTest
    @ValueSource(strings = {".git/config", "sub/../.git/config", ".GIT/config", "link/config"})
    void patchRefusesGitAmongItsFiles(String path) throws IOException {
        Files.writeString(workspace.resolve("a.txt"), "one\n");
        String diff = """
                --- a/a.txt
                +++ b/a.txt
                @@ -1 +1 @@
                -one
                +two
                --- a/%1$s
                +++ b/%1$s
                @@ -1,2 +1,2 @@
                 [core]
                -\tbare = false
                +\tbare = true
                """.formatted(path);
        refusedAsGit(() -> patch.invoke(args("patch", diff), context), path);
        assertThat(workspace.resolve("a.txt")).hasContent("one\n");
        assertThat(workspace.resolve(".git/config")).hasContent(CONFIG);
    }

    @Test
    void patchRefusesCreatingAFileInGit() {
        String diff = """
                --- /dev/null
                +++ b/.git/hooks/pre-commit
                @@ -0,0 +1 @@
                +echo owned
                """;
        refusedAsGit(() -> patch.invoke(args("patch", diff), context), ".git/hooks/pre-commit");
        assertThat(workspace.resolve(".git/hooks")).doesNotExist();
    }

    @Test
    void readingGitAndWritingLookalikesStayAllowed() throws IOException {
        assertThat(read.invoke(args("path", ".git/config"), context).content())
                .contains("bare = false");
        assertThat(read.invoke(args("path", "link/HEAD"), context).content())
                .contains("refs/heads/main");
        write.invoke(args("path", ".gitignore", "content", "target/\n"), context);
        write.invoke(args("path", ".github/workflows/ci.yml", "content", "on: push\n"), context);
        write.invoke(args("path", "docs/my.git/notes", "content", "x"), context);
        assertThat(workspace.resolve(".gitignore")).hasContent("target/\n");
        assertThat(workspace.resolve(".github/workflows/ci.yml")).hasContent("on: push\n");
        assertThat(edit.invoke(JsonNodeFactory.instance.objectNode().put("path", ".gitignore")
                .put("old_text", "target/").put("new_text", "build/"), context).error())
                .isFalse();
        assertThat(workspace.resolve(".gitignore")).hasContent("build/\n");
    }
}
