package io.myriad.tools;

import io.myriad.core.tool.ToolException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and applies unified diffs, as {@code diff -u} and {@code git diff} write them.
 *
 * <p>A patch is a list of file sections ({@code --- old} and {@code +++ new}, where
 * {@code /dev/null} marks a created or deleted file), each a list of hunks. Lines outside
 * sections ({@code diff --git}, {@code index}, commentary) are ignored. A hunk's body is read
 * by the counts of its header; an empty body line counts as an empty context line (editors
 * strip the trailing space). A hunk applies where its old lines (context and removals) match
 * exactly, looked for first at the line its header names (shifted by the hunks before it),
 * then ever further away, never before the end of the previous hunk. No fuzz: context must
 * match exactly, so a hunk never applies in the wrong place silently.
 */
final class UnifiedDiff {
    private static final Pattern HUNK = Pattern.compile(
            "^@@ -(\\d+)(?:,(\\d+))? \\+(\\d+)(?:,(\\d+))? @@.*");
    private static final int SHOWN = 80;

    private UnifiedDiff() {}

    /** One hunk: the old lines it expects and the new lines it puts in their place. */
    record Hunk(int number, String header, int oldStart, List<String> oldLines,
            List<String> newLines, boolean oldNoNewline, boolean newNoNewline) {}

    /** The changes to one file; an empty path is {@code /dev/null}. */
    record FilePatch(Optional<String> oldPath, Optional<String> newPath, List<Hunk> hunks) {
        String path() {
            return newPath.or(() -> oldPath).orElseThrow();
        }

        boolean creates() {
            return oldPath.isEmpty();
        }

        boolean deletes() {
            return newPath.isEmpty();
        }
    }

    /**
     * Parses a patch.
     *
     * @throws ToolException naming the line of the patch that is malformed
     */
    static List<FilePatch> parse(String patch) {
        String[] lines = patch.split("\n"); // no empty last line after the final newline
        List<FilePatch> files = new ArrayList<>();
        int i = 0;
        while (i < lines.length) {
            String line = lines[i];
            if (line.startsWith("--- ") && i + 1 < lines.length && lines[i + 1].startsWith("+++ ")) {
                String oldName = name(line);
                String newName = name(lines[i + 1]);
                i += 2;
                List<Hunk> hunks = new ArrayList<>();
                while (i < lines.length && lines[i].startsWith("@@")) {
                    i = hunk(lines, i, hunks, newName.equals("/dev/null") ? oldName : newName);
                }
                if (hunks.isEmpty()) {
                    throw new ToolException("the patch has no hunk (@@ line) for "
                            + (newName.equals("/dev/null") ? oldName : newName) + " at line " + i);
                }
                files.add(paths(oldName, newName, hunks));
            } else if (line.startsWith("@@")) {
                throw new ToolException("line " + (i + 1) + " of the patch starts a hunk outside "
                        + "a file section; each file needs '--- a/path' and '+++ b/path' lines "
                        + "before its hunks");
            } else {
                i++;
            }
        }
        if (files.isEmpty()) {
            throw new ToolException("no file changes found in the patch; expected a unified diff "
                    + "with '--- a/path', '+++ b/path' and '@@ -l,n +l,n @@' lines");
        }
        return files;
    }

    /** Reads one hunk starting at {@code lines[start]}; returns the index after it. */
    private static int hunk(String[] lines, int start, List<Hunk> hunks, String file) {
        String header = stripCr(lines[start]);
        Matcher m = HUNK.matcher(header);
        int number = hunks.size() + 1;
        if (!m.matches()) {
            throw new ToolException("hunk " + number + " of " + file + ": malformed header '"
                    + brief(header) + "' at line " + (start + 1) + " of the patch; expected "
                    + "'@@ -start,count +start,count @@'");
        }
        int oldStart = Integer.parseInt(m.group(1));
        int oldCount = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
        int newCount = m.group(4) == null ? 1 : Integer.parseInt(m.group(4));
        List<String> oldLines = new ArrayList<>();
        List<String> newLines = new ArrayList<>();
        boolean oldNoNewline = false;
        boolean newNoNewline = false;
        char last = ' ';
        int i = start + 1;
        while (oldLines.size() < oldCount || newLines.size() < newCount
                || (i < lines.length && lines[i].startsWith("\\"))) {
            if (i >= lines.length) {
                throw new ToolException("hunk " + number + " of " + file + " (" + header
                        + ") ends early: its header announces " + oldCount + " old and "
                        + newCount + " new lines, the body has " + oldLines.size() + " and "
                        + newLines.size());
            }
            String line = lines[i];
            char kind = line.isEmpty() ? ' ' : line.charAt(0);
            String text = line.isEmpty() ? "" : line.substring(1);
            switch (kind) {
                case ' ' -> {
                    oldLines.add(text);
                    newLines.add(text);
                }
                case '-' -> oldLines.add(text);
                case '+' -> newLines.add(text);
                case '\\' -> { // "\ No newline at end of file" for the line before
                    oldNoNewline |= last != '+';
                    newNoNewline |= last != '-';
                }
                default -> throw new ToolException("hunk " + number + " of " + file + " ("
                        + header + "): line " + (i + 1) + " of the patch, '" + brief(line)
                        + "', starts with neither ' ', '-' nor '+'; the header announces "
                        + oldCount + " old and " + newCount + " new lines");
            }
            if (kind != '\\') {
                last = kind;
            }
            if (oldLines.size() > oldCount || newLines.size() > newCount) {
                throw new ToolException("hunk " + number + " of " + file + " (" + header
                        + ") has more lines than its header announces (" + oldCount + " old, "
                        + newCount + " new); fix the counts in the @@ line");
            }
            i++;
        }
        hunks.add(new Hunk(number, header, oldStart, List.copyOf(oldLines),
                List.copyOf(newLines), oldNoNewline, newNoNewline));
        return i;
    }

    private static FilePatch paths(String oldName, String newName, List<Hunk> hunks) {
        boolean oldNull = oldName.equals("/dev/null");
        boolean newNull = newName.equals("/dev/null");
        if (oldNull && newNull) {
            throw new ToolException("a file section has /dev/null on both sides");
        }
        boolean prefixed = (oldNull || oldName.startsWith("a/"))
                && (newNull || newName.startsWith("b/"));
        Optional<String> oldPath = oldNull ? Optional.empty()
                : Optional.of(prefixed ? oldName.substring(2) : oldName);
        Optional<String> newPath = newNull ? Optional.empty()
                : Optional.of(prefixed ? newName.substring(2) : newName);
        if (oldPath.isPresent() && newPath.isPresent() && !oldPath.equals(newPath)) {
            throw new ToolException("renaming files is not supported (" + oldPath.get() + " to "
                    + newPath.get() + "); delete the old file and create the new one");
        }
        return new FilePatch(oldPath, newPath, List.copyOf(hunks));
    }

    /** The file name of a '---' or '+++' line, without a timestamp after a tab. */
    private static String name(String line) {
        String name = stripCr(line.substring(4));
        int tab = name.indexOf('\t');
        if (tab >= 0) {
            name = name.substring(0, tab);
        }
        name = name.strip();
        if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
            name = name.substring(1, name.length() - 1);
        }
        return name;
    }

    private static String stripCr(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    /**
     * Applies one file's hunks to its content ({@code empty} when the file does not exist).
     *
     * @return the new content, or empty when the patch deletes the file
     * @throws ToolException naming the file and the hunk that does not apply
     */
    static Optional<String> apply(FilePatch patch, Optional<String> content) {
        String file = patch.path();
        if (patch.creates() && content.isPresent()) {
            throw new ToolException(file + " already exists, but the patch creates it "
                    + "(--- /dev/null); patch it with a diff of its current content instead");
        }
        if (!patch.creates() && content.isEmpty()) {
            throw new ToolException(file + " does not exist; to create it, use '--- /dev/null'");
        }
        String text = content.orElse("");
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        boolean finalNewline = true;
        if (lines.getLast().isEmpty()) {
            lines.removeLast(); // the text ended with "\n", or was empty
        } else {
            finalNewline = false;
        }
        int delta = 0;
        int floor = 0;
        for (Hunk hunk : patch.hunks()) {
            int expected = hunk.oldLines().isEmpty() ? hunk.oldStart() : hunk.oldStart() - 1;
            int at = find(lines, hunk.oldLines(), expected + delta, floor);
            if (at < 0) {
                throw notApplying(file, hunk, lines);
            }
            boolean reachesEnd = at + hunk.oldLines().size() == lines.size();
            List<String> region = lines.subList(at, at + hunk.oldLines().size());
            region.clear();
            region.addAll(hunk.newLines());
            if (reachesEnd && (hunk.oldNoNewline() || hunk.newNoNewline())) {
                finalNewline = !hunk.newNoNewline();
            }
            delta += hunk.newLines().size() - hunk.oldLines().size();
            floor = at + hunk.newLines().size();
        }
        if (patch.deletes()) {
            if (!lines.isEmpty()) {
                throw new ToolException("the patch deletes " + file + " (+++ /dev/null) but "
                        + "its hunks do not remove all of its " + lines.size()
                        + " remaining lines; nothing was changed");
            }
            return Optional.empty();
        }
        String joined = String.join("\n", lines);
        return Optional.of(lines.isEmpty() || !finalNewline ? joined : joined + "\n");
    }

    /** Where {@code old} matches, nearest {@code expected} first; -1 when nowhere. */
    private static int find(List<String> lines, List<String> old, int expected, int floor) {
        int last = lines.size() - old.size();
        if (last < floor) {
            return -1;
        }
        int start = Math.clamp(expected, floor, last);
        for (int d = 0; start - d >= floor || start + d <= last; d++) {
            if (start + d <= last && matches(lines, old, start + d)) {
                return start + d;
            }
            if (d > 0 && start - d >= floor && matches(lines, old, start - d)) {
                return start - d;
            }
        }
        return -1;
    }

    private static boolean matches(List<String> lines, List<String> old, int at) {
        for (int i = 0; i < old.size(); i++) {
            if (!lines.get(at + i).equals(old.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static ToolException notApplying(String file, Hunk hunk, List<String> lines) {
        String first = hunk.oldLines().isEmpty() ? "" : hunk.oldLines().getFirst();
        int line = hunk.oldStart();
        String there = line >= 1 && line <= lines.size()
                ? "; line " + line + " of the file is '" + brief(lines.get(line - 1)) + "'"
                : "; the file has " + lines.size() + " lines";
        return new ToolException("hunk " + hunk.number() + " of " + file + " (" + hunk.header()
                + ") does not apply: its " + hunk.oldLines().size() + " context and removed "
                + "lines, starting with '" + brief(first) + "', were not found in the file"
                + there + ". Nothing was changed; read the file again and make a new patch");
    }

    private static String brief(String text) {
        return text.length() <= SHOWN ? text : text.substring(0, SHOWN - 3) + "...";
    }
}
