package io.myriad.tools;

import static io.myriad.tools.WorkspaceTest.args;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FsToolsTest {
    @TempDir
    Path workspace;
    private ToolContext context;
    private final FsReadTool read = new FsReadTool(100);
    private final FsWriteTool write = new FsWriteTool(1000);
    private final FsListTool list = new FsListTool();

    @BeforeEach
    void setUp() {
        context = withKey("key-1");
    }

    private ToolContext withKey(String key) {
        return new ToolContext("run-1", "call-" + key, key, workspace);
    }

    private static ObjectNode readArgs(String path, long offset, long limit) {
        ObjectNode node = JsonNodeFactory.instance.objectNode().put("path", path);
        if (offset > 0) {
            node.put("offset", offset);
        }
        if (limit > 0) {
            node.put("limit", limit);
        }
        return node;
    }

    private static ObjectNode appendArgs(String path, String content) {
        return JsonNodeFactory.instance.objectNode()
                .put("path", path).put("content", content).put("append", true);
    }

    @Test
    void declaresEffects() {
        assertThat(read.effect()).isEqualTo(Effect.READ_ONLY);
        assertThat(list.effect()).isEqualTo(Effect.READ_ONLY);
        assertThat(write.effect()).isEqualTo(Effect.IDEMPOTENT);
    }

    @Test
    void writesThenReadsThenLists() {
        var result = write.invoke(args("path", "notes/today/plan.md", "content", "é 1\nline 2\n"),
                context);
        assertThat(result.error()).isFalse();
        assertThat(result.content()).isEqualTo("wrote 12 bytes to notes/today/plan.md");
        assertThat(read.invoke(args("path", "notes/today/plan.md"), context).content())
                .isEqualTo("é 1\nline 2\n");
        assertThat(list.invoke(args("path", "notes/today"), context).content())
                .isEqualTo("file\t12\tplan.md\n");
        assertThat(list.invoke(args(), context).content()).isEqualTo("dir\t-\tnotes/\n");
    }

    @Test
    void plainWriteReplacesAtomicallyAndIsIdempotent() throws IOException {
        write.invoke(args("path", "a.txt", "content", "first version, long"), context);
        write.invoke(args("path", "a.txt", "content", "second"), context);
        write.invoke(args("path", "a.txt", "content", "second"), context);
        assertThat(workspace.resolve("a.txt")).hasContent("second");
        try (var files = Files.list(workspace)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("a.txt");
        }
    }

    @Test
    void refusesContentOverTheCap() {
        assertThatThrownBy(() -> write.invoke(args("path", "big.txt", "content", "x".repeat(1001)),
                context))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("content is 1001 bytes")
                .hasMessageContaining("at most 1000 bytes")
                .hasMessageContaining("append");
        assertThat(workspace.resolve("big.txt")).doesNotExist();
    }

    @Test
    void refusesWritingOverAFolderOrThroughAFile() throws IOException {
        Files.createDirectories(workspace.resolve("dir"));
        Files.writeString(workspace.resolve("file"), "x");
        assertThatThrownBy(() -> write.invoke(args("path", "dir", "content", "x"), context))
                .isInstanceOf(ToolException.class).hasMessageContaining("is a folder");
        assertThatThrownBy(() -> write.invoke(args("path", "file/child", "content", "x"), context))
                .isInstanceOf(ToolException.class).hasMessageContaining("a file is in the way");
    }

    @Test
    void appendWithTheSameKeyIsANoOp() throws IOException {
        write.invoke(args("path", "log.txt", "content", "start\n"), context);
        assertThat(write.invoke(appendArgs("log.txt", "one\n"), withKey("k1")).content())
                .isEqualTo("appended 4 bytes to log.txt");
        assertThat(write.invoke(appendArgs("log.txt", "one\n"), withKey("k1")).content())
                .contains("already appended").contains("nothing was done");
        write.invoke(appendArgs("log.txt", "two\n"), withKey("k2"));
        write.invoke(appendArgs("log.txt", "one\n"), withKey("k1"));
        write.invoke(appendArgs("log.txt", "two\n"), withKey("k2"));
        assertThat(workspace.resolve("log.txt")).hasContent("start\none\ntwo\n");
        assertThat(workspace.resolve(Workspace.APPENDS_MARKER)).exists();
        assertThat(list.invoke(args(), context).content()).isEqualTo("file\t14\tlog.txt\n");
    }

    @Test
    void appendCreatesTheFileAndTheSameKeyOnAnotherFileIsSeparate() {
        write.invoke(appendArgs("a.txt", "x"), withKey("k"));
        write.invoke(appendArgs("b/c.txt", "x"), withKey("k"));
        assertThat(workspace.resolve("a.txt")).hasContent("x");
        assertThat(workspace.resolve("b/c.txt")).hasContent("x");
    }

    @Test
    void appendCompletesATornAppendAfterACrash() throws IOException {
        write.invoke(args("path", "log.txt", "content", "ab"), context);
        write.invoke(appendArgs("log.txt", "cdef"), withKey("k"));
        // Simulate a crash in the middle of the append: only "cd" reached the disk.
        Files.writeString(workspace.resolve("log.txt"), "abcd");
        assertThat(write.invoke(appendArgs("log.txt", "cdef"), withKey("k")).content())
                .contains("completed an interrupted append");
        assertThat(workspace.resolve("log.txt")).hasContent("abcdef");
    }

    @Test
    void appendRetriedAfterTheFileChangedDoesNothing() throws IOException {
        write.invoke(appendArgs("log.txt", "abc"), withKey("k"));
        Files.writeString(workspace.resolve("log.txt"), "rewritten");
        assertThat(write.invoke(appendArgs("log.txt", "abc"), withKey("k")).content())
                .contains("has changed since");
        assertThat(workspace.resolve("log.txt")).hasContent("rewritten");
    }

    @Test
    void readTruncatesAtTheByteCapOnALineBoundary() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 30; i++) {
            text.append("line %02d\n".formatted(i)); // 8 bytes each, 240 in all
        }
        Files.writeString(workspace.resolve("big.txt"), text);
        String first = read.invoke(args("path", "big.txt"), context).content();
        assertThat(first).startsWith("line 01\n").contains("line 12\n").doesNotContain("line 13")
                .endsWith("[truncated: 144 more bytes; continue with offset=13]");
        String next = read.invoke(readArgs("big.txt", 13, 0), context).content();
        assertThat(next).startsWith("line 13\n")
                .endsWith("[truncated: 48 more bytes; continue with offset=25]");
        assertThat(read.invoke(readArgs("big.txt", 25, 0), context).content())
                .isEqualTo(text.substring(192));
    }

    @Test
    void readCutsASingleHugeLine() throws IOException {
        Files.writeString(workspace.resolve("one.txt"), "é".repeat(100));
        String out = read.invoke(args("path", "one.txt"), context).content();
        assertThat(out).startsWith("é".repeat(50))
                .endsWith("[truncated: 100 more bytes; line 1 is longer than the 100-byte cap]");
    }

    @Test
    void readHonoursOffsetAndLimit() throws IOException {
        Files.writeString(workspace.resolve("f.txt"), "a\r\nb\nc\rd");
        assertThat(read.invoke(readArgs("f.txt", 2, 2), context).content())
                .isEqualTo("b\nc\r\n[more lines follow; continue with offset=4]");
        assertThat(read.invoke(readArgs("f.txt", 4, 5), context).content()).isEqualTo("d");
        assertThatThrownBy(() -> read.invoke(readArgs("f.txt", 9, 0), context))
                .isInstanceOf(ToolException.class).hasMessageContaining("past the end");
    }

    @Test
    void readExplainsEmptyMissingBinaryAndFolders() throws IOException {
        Files.writeString(workspace.resolve("empty.txt"), "");
        Files.write(workspace.resolve("image.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1});
        Files.write(workspace.resolve("latin1.txt"),
                "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        Files.createDirectories(workspace.resolve("sub"));
        assertThat(read.invoke(args("path", "empty.txt"), context).content())
                .isEqualTo("[empty file]");
        assertThatThrownBy(() -> read.invoke(args("path", "image.png"), context))
                .isInstanceOf(ToolException.class).hasMessageContaining("looks binary");
        assertThatThrownBy(() -> read.invoke(args("path", "latin1.txt"), context))
                .isInstanceOf(ToolException.class).hasMessageContaining("not UTF-8");
        assertThatThrownBy(() -> read.invoke(args("path", "missing.txt"), context))
                .isInstanceOf(ToolException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> read.invoke(args("path", "sub"), context))
                .isInstanceOf(ToolException.class).hasMessageContaining("use fs.list");
    }

    @Test
    void readRefusesSpecialFilesInsteadOfBlocking() throws Exception {
        Process mkfifo = new ProcessBuilder("mkfifo", workspace.resolve("pipe").toString())
                .start();
        assumeTrue(mkfifo.waitFor() == 0, "mkfifo is available");
        assertThatThrownBy(() -> read.invoke(args("path", "pipe"), context))
                .isInstanceOf(ToolException.class).hasMessageContaining("not a regular file");
    }

    @Test
    void listSortsShowsTypesAndCapsEntries() throws IOException {
        Files.writeString(workspace.resolve("b.txt"), "bb");
        Files.createDirectories(workspace.resolve("a-dir"));
        Files.createSymbolicLink(workspace.resolve("c-link"), workspace.resolve("b.txt"));
        assertThat(list.invoke(args("path", "."), context).content())
                .isEqualTo("dir\t-\ta-dir/\nfile\t2\tb.txt\nlink\t-\tc-link\n");
        Path many = Files.createDirectories(workspace.resolve("many"));
        for (int i = 0; i < FsListTool.MAX_ENTRIES + 5; i++) {
            Files.createFile(many.resolve("f%04d".formatted(i)));
        }
        String out = list.invoke(args("path", "many"), context).content();
        assertThat(out.lines()).hasSize(FsListTool.MAX_ENTRIES + 1);
        assertThat(out).startsWith("file\t0\tf0000\n")
                .endsWith("file\t0\tf0999\n[truncated: 5 more entries not shown]\n");
    }

    @Test
    void listExplainsMissingFoldersAndFiles() throws IOException {
        Files.writeString(workspace.resolve("f.txt"), "x");
        assertThatThrownBy(() -> list.invoke(args("path", "nope"), context))
                .isInstanceOf(ToolException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> list.invoke(args("path", "f.txt"), context))
                .isInstanceOf(ToolException.class).hasMessageContaining("not a folder");
    }

    @Test
    void missingArgumentsAreToolExceptions() {
        assertThatThrownBy(() -> read.invoke(args(), context))
                .isInstanceOf(ToolException.class).hasMessage("missing required argument 'path'");
        assertThatThrownBy(() -> write.invoke(args("path", "x"), context))
                .isInstanceOf(ToolException.class)
                .hasMessage("missing required argument 'content'");
        assertThatThrownBy(() -> read.invoke(readArgs("x", 0, 0).put("offset", "2"), context))
                .isInstanceOf(ToolException.class).hasMessageContaining("must be an integer");
    }
}
