package io.myriad.tools;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;

/**
 * Makes appends idempotent per idempotency key.
 *
 * <p>The workspace's {@value Workspace#APPENDS_MARKER} file holds one line per append made:
 * {@code <sha256(key, path)> <size of the file before the append>}. The line is written and
 * forced before the bytes are appended, so after a crash at any point a second invocation with
 * the same key finds the line and compares the file's bytes at the recorded position with the
 * content: all there means done, a prefix there means a torn append to complete, anything else
 * means the file has changed since and nothing is done. Callers hold the workspace's lock.
 */
final class AppendLog {
    private AppendLog() {}

    /** Appends {@code bytes} unless this key already appended them; returns what was done. */
    static String appendOnce(Workspace.Resolved file, String key, byte[] bytes)
            throws IOException {
        Path marker = file.root().resolve(Workspace.APPENDS_MARKER);
        String id = id(key, file.relative());
        OptionalLong recorded = lookup(marker, id);
        long current = Files.exists(file.path()) ? Files.size(file.path()) : 0;
        String where = file.relative();
        if (recorded.isEmpty()) {
            record(marker, id, current);
            append(file.path(), bytes, 0);
            return "appended " + bytes.length + " bytes to " + where;
        }
        long before = recorded.getAsLong();
        long present = Math.max(0, Math.min(current - before, bytes.length));
        if (current < before || !regionEquals(file.path(), before, bytes, (int) present)) {
            return "an append with this idempotency key was already made to " + where
                    + " and the file has changed since; nothing was done";
        }
        if (present == bytes.length) {
            return "already appended " + bytes.length + " bytes to " + where
                    + " with this idempotency key; nothing was done";
        }
        append(file.path(), bytes, (int) present);
        return "appended " + bytes.length + " bytes to " + where + " (completed an interrupted "
                + "append: " + present + " bytes were already there)";
    }

    private static String id(String key, String relativePath) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(key.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(relativePath.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private static OptionalLong lookup(Path marker, String id) throws IOException {
        List<String> lines;
        try (var in = Files.newInputStream(marker, LinkOption.NOFOLLOW_LINKS)) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
        for (String line : lines) {
            int space = line.indexOf(' ');
            if (space > 0 && line.substring(0, space).equals(id)) {
                try {
                    return OptionalLong.of(Long.parseLong(line.substring(space + 1).trim()));
                } catch (NumberFormatException e) {
                    // a damaged line: ignore it, as if the append had not been recorded
                }
            }
        }
        return OptionalLong.empty();
    }

    private static void record(Path marker, String id, long sizeBefore) throws IOException {
        byte[] line = (id + " " + sizeBefore + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel channel = FileChannel.open(marker, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS)) {
            writeFully(channel, ByteBuffer.wrap(line));
            channel.force(true);
        }
    }

    private static void append(Path target, byte[] bytes, int from) throws IOException {
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            writeFully(channel, ByteBuffer.wrap(bytes, from, bytes.length - from));
            channel.force(true);
        }
    }

    /** Whether the file holds the first {@code length} bytes of {@code bytes} at position. */
    private static boolean regionEquals(Path file, long position, byte[] bytes, int length)
            throws IOException {
        if (length == 0) {
            return true;
        }
        ByteBuffer buffer = ByteBuffer.allocate(length);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, position + buffer.position()) < 0) {
                    return false;
                }
            }
        }
        return Arrays.equals(buffer.array(), 0, length, bytes, 0, length);
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }
}
