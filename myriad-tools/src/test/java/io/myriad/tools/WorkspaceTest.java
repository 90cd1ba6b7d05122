package io.myriad.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

/** Every file tool stays inside the run's workspace, whatever path or link it is given. */
class WorkspaceTest {
    @TempDir
    Path temp;
    private Path workspace;
    private Path outside;
    private ToolContext context;
    private final Tool read = new FsReadTool(1024);
    private final Tool write = new FsWriteTool(1024);
    private final Tool list = new FsListTool();

    @BeforeEach
    void setUp() throws IOException {
        workspace = temp.resolve("ws");
        outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "top secret");
        context = new ToolContext("run-1", "call-1", "key-1", workspace);
    }

    static JsonNode args(String... pairs) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < pairs.length; i += 2) {
            node.put(pairs[i], pairs[i + 1]);
        }
        return node;
    }

    @Test
    void createsTheWorkspaceWhenMissing() {
        assertThat(workspace).doesNotExist();
        assertThat(list.invoke(args(), context).content()).isEqualTo("[empty folder]");
        assertThat(workspace).isDirectory();
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../etc/passwd", "..", "../outside/secret.txt", "a/../../x",
            "/etc/passwd", "/", "./../ws2/file"})
    void refusesAbsolutePathsAndEscapes(String path) {
        for (Tool tool : new Tool[] {read, write, list}) {
            assertThatThrownBy(() -> tool.invoke(args("path", path, "content", "x"), context))
                    .as(tool.name() + " with " + path)
                    .isInstanceOf(ToolException.class)
                    .hasMessage("path '" + path + "' is outside the run's workspace");
        }
    }

    @Test
    void refusesASymlinkPointingOutside() throws IOException {
        Files.createDirectories(workspace);
        Files.createSymbolicLink(workspace.resolve("link.txt"), outside.resolve("secret.txt"));
        assertOutside(read, "link.txt");
        assertOutside(write, "link.txt");
        assertThat(outside.resolve("secret.txt")).hasContent("top secret");
    }

    @Test
    void refusesASymlinkedParentFolder() throws IOException {
        Files.createDirectories(workspace);
        Files.createSymbolicLink(workspace.resolve("docs"), outside);
        assertOutside(read, "docs/secret.txt");
        assertOutside(write, "docs/new.txt");
        assertOutside(write, "docs/deeper/new.txt");
        assertOutside(list, "docs");
        assertOutside(list, "docs/..");
        assertThat(outside.resolve("new.txt")).doesNotExist();
        assertThat(outside.resolve("deeper")).doesNotExist();
    }

    @Test
    void refusesADanglingSymlinkThatWouldCreateAFileOutside() throws IOException {
        Files.createDirectories(workspace);
        Files.createSymbolicLink(workspace.resolve("trap.txt"), outside.resolve("planted.txt"));
        assertOutside(write, "trap.txt");
        assertThat(outside.resolve("planted.txt")).doesNotExist();
    }

    @Test
    void followsLinksThatStayInside() throws IOException {
        Files.createDirectories(workspace.resolve("real"));
        Files.writeString(workspace.resolve("real/a.txt"), "inside\n");
        Files.createSymbolicLink(workspace.resolve("alias"), workspace.resolve("real"));
        Files.createSymbolicLink(workspace.resolve("rel-link.txt"), Path.of("real/a.txt"));
        assertThat(read.invoke(args("path", "alias/a.txt"), context).content())
                .isEqualTo("inside\n");
        assertThat(read.invoke(args("path", "rel-link.txt"), context).content())
                .isEqualTo("inside\n");
        write.invoke(args("path", "alias/b.txt", "content", "via link"), context);
        assertThat(workspace.resolve("real/b.txt")).hasContent("via link");
    }

    @Test
    void acceptsAWorkspaceThatIsItselfASymlink() throws IOException {
        Path realWs = Files.createDirectories(temp.resolve("real-ws"));
        Path linkedWs = Files.createSymbolicLink(temp.resolve("linked-ws"), realWs);
        ToolContext linked = new ToolContext("run-2", "call-1", "k", linkedWs);
        write.invoke(args("path", "x/y.txt", "content", "ok"), linked);
        assertThat(realWs.resolve("x/y.txt")).hasContent("ok");
        assertThat(read.invoke(args("path", "x/../x/./y.txt"), linked).content()).isEqualTo("ok");
    }

    @Test
    void refusesAnEmptyPath() {
        assertThatThrownBy(() -> read.invoke(args("path", " "), context))
                .isInstanceOf(ToolException.class).hasMessageContaining("must not be empty");
    }

    @Test
    void refusesToWriteTheAppendsMarker() {
        assertThatThrownBy(() -> write.invoke(
                args("path", Workspace.APPENDS_MARKER, "content", "forged"), context))
                .isInstanceOf(ToolException.class).hasMessageContaining("reserved");
    }

    private void assertOutside(Tool tool, String path) {
        assertThatThrownBy(() -> tool.invoke(args("path", path, "content", "pwned"), context))
                .as(tool.name() + " with " + path)
                .isInstanceOf(ToolException.class)
                .hasMessage("path '" + path + "' is outside the run's workspace");
    }
}
