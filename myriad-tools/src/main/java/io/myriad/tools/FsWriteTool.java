package io.myriad.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code fs.write}: writes or appends a UTF-8 text file of the workspace.
 *
 * <p>A plain write goes to a temporary file in the same folder, is forced to disk and moved over
 * the target, so readers and crashes see the old file or the new one, never half of it. Writing
 * the same content twice leaves the same file: the tool is idempotent.
 *
 * <p>An append is made idempotent by {@link AppendLog}: before appending, the tool records the
 * call's idempotency key and the file's size; invoked again with the same key, it checks that
 * the bytes are there (completing a torn append) instead of appending them twice.
 *
 * <p>Concurrency: appends and writes to one workspace hold the workspace's lock from
 * {@link WorkspaceLocks} (shared with fs.edit and fs.patch), so parallel calls of one run never
 * interleave a marker update or a read-modify-write.
 */
final class FsWriteTool extends WorkspaceWriteTool {
    static final String NAME = "fs.write";
    /** The largest content accepted in one call. */
    static final int DEFAULT_MAX_CONTENT_BYTES = 1024 * 1024;

    private static final ToolDefinition DEFINITION = new ToolDefinition(NAME, """
            Write a UTF-8 text file in the run's workspace, creating missing parent folders. \
            By default the file is replaced atomically with the given content. With \
            append: true the content is added at the end instead; a retried append of the same \
            call is not applied twice (Myriad records each append's idempotency key in a \
            .myriad-appends file in the workspace). Content is limited to 1 MiB per call; write \
            larger files in parts with append.""", Json.parse("""
            {
              "type": "object",
              "properties": {
                "path": {"type": "string", "minLength": 1, "maxLength": 4096,
                         "description": "File path relative to the workspace, e.g. \\"notes/summary.md\\"."},
                "content": {"type": "string", "maxLength": 1048576,
                            "description": "The text to write."},
                "append": {"type": "boolean",
                           "description": "Add the content at the end of the file instead of replacing it. Default false."}
              },
              "required": ["path", "content"],
              "additionalProperties": false
            }"""));

    private final int maxContentBytes;

    FsWriteTool(int maxContentBytes) {
        this(maxContentBytes, new WorkspaceLocks());
    }

    FsWriteTool(int maxContentBytes, WorkspaceLocks locks) {
        super(DEFINITION, locks);
        this.maxContentBytes = maxContentBytes;
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(context, "context");
        String requested = Args.requiredString(arguments, "path");
        String content = Args.requiredString(arguments, "content");
        boolean append = Args.optionalBoolean(arguments, "append", false);
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > maxContentBytes) {
            throw new ToolException("content is " + bytes.length + " bytes; fs.write accepts at "
                    + "most " + maxContentBytes + " bytes per call. Write the file in parts: the "
                    + "first with a plain write, the rest with append: true");
        }
        Workspace.Resolved file = Workspace.resolveForWrite(context, requested);
        if (file.isMarker()) {
            throw new ToolException("'" + requested + "' is reserved by Myriad; choose another "
                    + "file name");
        }
        if (Files.isDirectory(file.path())) {
            throw new ToolException("'" + requested + "' is a folder; give a file path");
        }
        ReentrantLock lock = lockOf(file.root());
        lock.lock();
        try {
            createParents(file);
            if (!append) {
                replace(file.path(), bytes);
                return ToolResult.ok("wrote " + bytes.length + " bytes to " + file.relative());
            }
            return ToolResult.ok(AppendLog.appendOnce(file, context.idempotencyKey(), bytes));
        } catch (IOException e) {
            throw new ToolException("cannot write '" + requested + "': " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private static void createParents(Workspace.Resolved file) throws IOException {
        try {
            Files.createDirectories(file.path().getParent());
        } catch (FileAlreadyExistsException | NotDirectoryException e) {
            throw new ToolException("cannot create the folders of '" + file.requested()
                    + "': a file is in the way");
        }
    }

    /** Replaces the file's content atomically: temp file, force, move over the target. */
    static void replace(Path target, byte[] bytes) throws IOException {
        Path temp = Files.createTempFile(target.getParent(), ".myriad-write-", ".tmp");
        try {
            keepPermissions(target, temp);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Temp files are private (0600); give the new file the old one's mode, or 0644. */
    private static void keepPermissions(Path target, Path temp) throws IOException {
        try {
            Files.setPosixFilePermissions(temp, Files.exists(target)
                    ? Files.getPosixFilePermissions(target)
                    : PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the default permissions stand
        }
    }
}
