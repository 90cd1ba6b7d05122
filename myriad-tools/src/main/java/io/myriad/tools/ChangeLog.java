package io.myriad.tools;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
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
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Makes read-modify-write tools ({@code fs.edit}, {@code fs.patch}) idempotent per idempotency
 * key.
 *
 * <p>An exact-replacement edit or a patch cannot simply be applied again: after it took effect,
 * its old text is gone, so a second application fails or, worse, matches somewhere else. So
 * before changing any file the tool records, in the workspace's
 * {@value Workspace#CHANGES_MARKER} file, one line per call: {@code sha256(key)} and, for each
 * file, its path and the SHA-256 of its content before and after ({@code -} when absent). The
 * line is forced to disk before the first file is replaced. Invoked again with the same key,
 * the tool compares each file with the record: every file at its "after" state means the call
 * is done and nothing is changed; files still at "before" are changed now (completing a call
 * cut short by a crash); a file in neither state has changed since, and nothing is done.
 * Callers hold the workspace's lock from {@link WorkspaceLocks}.
 */
final class ChangeLog {
    private static final String ABSENT = "-";

    private ChangeLog() {}

    /** A planned change of one file: its content before, and after ({@code empty}: deleted). */
    record FileChange(Workspace.Resolved file, Optional<byte[]> before, Optional<byte[]> after) {
        FileChange {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(before, "before");
            Objects.requireNonNull(after, "after");
        }
    }

    /** Computes the changes of a call, restricted to the files (relative paths) accepted. */
    interface Planner {
        List<FileChange> plan(Predicate<String> only) throws IOException;
    }

    private record Entry(String path, String before, String after) {}

    /**
     * Applies the planned changes once per key and describes what was done.
     *
     * @param describe turns the changes made into the message for the model
     */
    static String applyOnce(Path root, String key, Planner planner,
            Function<List<FileChange>, String> describe) throws IOException {
        Path marker = root.resolve(Workspace.CHANGES_MARKER);
        String id = sha256(key.getBytes(StandardCharsets.UTF_8));
        Optional<List<Entry>> recorded = lookup(marker, id);
        if (recorded.isEmpty()) {
            List<FileChange> changes = planner.plan(path -> true);
            record(marker, id, changes);
            apply(changes);
            return describe.apply(changes);
        }
        List<String> pending = new ArrayList<>();
        for (Entry entry : recorded.get()) {
            String now = hashOf(root.resolve(entry.path()));
            if (now.equals(entry.after())) {
                continue;
            }
            if (!now.equals(entry.before())) {
                return "this call (same idempotency key) was already applied and "
                        + entry.path() + " has changed since; nothing was done";
            }
            pending.add(entry.path());
        }
        if (pending.isEmpty()) {
            return "this call (same idempotency key) was already applied; nothing was done";
        }
        List<FileChange> changes = planner.plan(pending::contains);
        apply(changes);
        return describe.apply(changes) + " (completed an interrupted call: "
                + (recorded.get().size() - pending.size()) + " of " + recorded.get().size()
                + " files were already changed)";
    }

    private static void apply(List<FileChange> changes) throws IOException {
        for (FileChange change : changes) {
            Path path = change.file().path();
            if (change.after().isPresent()) {
                Files.createDirectories(path.getParent());
                FsWriteTool.replace(path, change.after().get());
            } else {
                Files.deleteIfExists(path);
            }
        }
    }

    private static String hashOf(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return ABSENT;
        }
        return sha256(Files.readAllBytes(file));
    }

    private static String hash(Optional<byte[]> content) {
        return content.map(ChangeLog::sha256).orElse(ABSENT);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private static Optional<List<Entry>> lookup(Path marker, String id) throws IOException {
        List<String> lines;
        try (var in = Files.newInputStream(marker, LinkOption.NOFOLLOW_LINKS)) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        for (String line : lines) {
            String[] fields = line.split(" ");
            if (fields.length < 1 || !fields[0].equals(id) || (fields.length - 1) % 3 != 0) {
                continue; // another call, or a damaged line
            }
            List<Entry> entries = new ArrayList<>();
            for (int i = 1; i < fields.length; i += 3) {
                entries.add(new Entry(URLDecoder.decode(fields[i], StandardCharsets.UTF_8),
                        fields[i + 1], fields[i + 2]));
            }
            return Optional.of(entries);
        }
        return Optional.empty();
    }

    private static void record(Path marker, String id, List<FileChange> changes)
            throws IOException {
        StringBuilder line = new StringBuilder(id);
        for (FileChange change : changes) {
            line.append(' ').append(URLEncoder.encode(change.file().relative(),
                            StandardCharsets.UTF_8))
                    .append(' ').append(hash(change.before()))
                    .append(' ').append(hash(change.after()));
        }
        line.append('\n');
        try (FileChannel channel = FileChannel.open(marker, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buffer = ByteBuffer.wrap(line.toString().getBytes(StandardCharsets.UTF_8));
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
    }
}
