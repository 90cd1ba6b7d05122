package io.myriad.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * {@code fs.read}: reads a UTF-8 text file of the workspace, by lines.
 *
 * <p>The file is streamed, never loaded whole: lines before {@code offset} are skipped, then
 * whole lines are copied until {@code limit} lines or the byte cap is reached. A single line
 * longer than the cap is cut inside the line. A notice at the end says how to go on.
 */
final class FsReadTool extends ReadOnlyTool {
    static final String NAME = "fs.read";
    private static final int SNIFF_BYTES = 8192;

    private static final ToolDefinition DEFINITION = new ToolDefinition(NAME, """
            Read a UTF-8 text file from the run's workspace. Paths are relative to the \
            workspace. Returns the file's text; long files are cut with a notice saying \
            how many bytes were left out and which offset to read next. Use start_line and \
            end_line (1-based, inclusive) to read a range of lines: the result then ends with \
            [lines S-E of N]. offset and limit also read a large file in parts. Binary files \
            are refused.""", Json.parse("""
            {
              "type": "object",
              "properties": {
                "path": {"type": "string", "minLength": 1, "maxLength": 4096,
                         "description": "File path relative to the workspace, e.g. \\"src/Main.java\\"."},
                "offset": {"type": "integer", "minimum": 1,
                           "description": "Line number to start at (1 is the first line). Default 1."},
                "limit": {"type": "integer", "minimum": 1,
                          "description": "Maximum number of lines to return. Default: all, up to the size cap."},
                "start_line": {"type": "integer", "minimum": 1,
                               "description": "First line to return, 1-based. Not with offset or limit."},
                "end_line": {"type": "integer", "minimum": 1,
                             "description": "Last line to return, inclusive. Default: the last line."}
              },
              "required": ["path"],
              "additionalProperties": false
            }"""));

    private final long maxBytes;

    FsReadTool(long maxBytes) {
        super(DEFINITION);
        this.maxBytes = maxBytes;
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(context, "context");
        String requested = Args.requiredString(arguments, "path");
        long offset = Args.optionalLong(arguments, "offset", 1).orElse(1);
        long limit = Args.optionalLong(arguments, "limit", 1).orElse(Long.MAX_VALUE);
        var startLine = Args.optionalLong(arguments, "start_line", 1);
        var endLine = Args.optionalLong(arguments, "end_line", 1);
        boolean ranged = startLine.isPresent() || endLine.isPresent();
        if (ranged) {
            if (arguments.hasNonNull("offset") || arguments.hasNonNull("limit")) {
                throw new ToolException("give either start_line/end_line or offset/limit, "
                        + "not both");
            }
            offset = startLine.orElse(1);
            if (endLine.isPresent()) {
                if (endLine.getAsLong() < offset) {
                    throw new ToolException("end_line " + endLine.getAsLong()
                            + " is before start_line " + offset);
                }
                limit = endLine.getAsLong() - offset + 1;
            }
        }
        Workspace.Resolved file = Workspace.resolve(context, requested);
        if (Files.isDirectory(file.path())) {
            throw new ToolException("'" + requested + "' is a folder; use fs.list to see it");
        }
        if (Files.exists(file.path()) && !Files.isRegularFile(file.path())) {
            throw new ToolException("'" + requested + "' is not a regular file");
        }
        try {
            long size = Files.size(file.path());
            refuseBinary(file.path(), requested);
            long[] shown = {-1};
            String text = read(file.path(), size, offset, limit, requested, ranged, shown);
            return ToolResult.ok(shown[0] < 0 ? text : text + ensureNewline(text) + "[lines "
                    + offset + "-" + (offset + shown[0] - 1) + " of " + countLines(file.path())
                    + "]");
        } catch (NoSuchFileException e) {
            throw new ToolException("file '" + requested
                    + "' does not exist; use fs.list to see what is there");
        } catch (CharacterCodingException e) {
            throw new ToolException("file '" + requested
                    + "' is not UTF-8 text; fs.read only reads text files");
        } catch (IOException e) {
            throw new ToolException("cannot read '" + requested + "': " + e.getMessage(), e);
        }
    }

    private static void refuseBinary(Path path, String requested) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(path)) {
            head = in.readNBytes(SNIFF_BYTES);
        }
        for (byte b : head) {
            if (b == 0) {
                throw new ToolException("file '" + requested + "' looks binary (it contains "
                        + "NUL bytes); fs.read only reads UTF-8 text files");
            }
        }
    }

    /**
     * The text from line {@code offset} on; in a {@code ranged} read that is not cut by the
     * byte cap, {@code shownOut[0]} is set to the number of lines shown and no notice is added.
     */
    private String read(Path path, long size, long offset, long limit, String requested,
            boolean ranged, long[] shownOut) throws IOException {
        String offsetName = ranged ? "start_line" : "offset";
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(Files.newInputStream(path), decoder))) {
            long consumed = 0; // bytes of the file before the text being built
            long lineNumber = 1;
            for (; lineNumber < offset; lineNumber++) {
                String line = nextLine(reader);
                if (line == null) {
                    throw new ToolException(offsetName + " " + offset + " is past the end of '"
                            + requested + "', which has " + (lineNumber - 1) + " lines");
                }
                consumed += utf8Length(line);
            }
            StringBuilder out = new StringBuilder();
            long shownBytes = 0;
            long shownLines = 0;
            String line;
            while (shownLines < limit && (line = nextLine(reader)) != null) {
                long bytes = utf8Length(line);
                if (shownBytes + bytes > maxBytes) {
                    if (shownLines == 0) { // one huge line: cut inside it
                        String cut = cutToBytes(line, maxBytes);
                        out.append(cut);
                        long rest = size - consumed - utf8Length(cut);
                        return out + "\n[truncated: " + rest + " more bytes; line "
                                + offset + " is longer than the " + maxBytes
                                + "-byte cap]";
                    }
                    long rest = size - consumed - shownBytes;
                    return out + ensureNewline(out) + "[truncated: " + rest
                            + " more bytes; continue with offset=" + (offset + shownLines) + "]";
                }
                out.append(line);
                shownBytes += bytes;
                shownLines++;
            }
            if (shownLines == 0) {
                if (offset == 1) {
                    return "[empty file]";
                }
                throw new ToolException(offsetName + " " + offset + " is past the end of '"
                        + requested + "', which has " + (offset - 1) + " lines");
            }
            if (ranged) {
                shownOut[0] = shownLines;
                return out.toString();
            }
            if (shownLines == limit && nextLine(reader) != null) {
                return out + ensureNewline(out) + "[more lines follow; continue with offset="
                        + (offset + shownLines) + "]";
            }
            return out.toString();
        }
    }

    /** The number of lines of a file: terminators, plus one for a last unterminated line. */
    static long countLines(Path path) throws IOException {
        long lines = 0;
        int previous = -1;
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(path))) {
            int b;
            while ((b = in.read()) != -1) {
                if (b == '\n' && previous != '\r' || b == '\r') {
                    lines++;
                }
                previous = b;
            }
        }
        return previous == -1 || previous == '\n' || previous == '\r' ? lines : lines + 1;
    }

    /** The next line with its terminator ("\n", "\r\n" or "\r"), or null at the end. */
    private static String nextLine(BufferedReader reader) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = reader.read()) != -1) {
            line.append((char) c);
            if (c == '\n') {
                break;
            }
            if (c == '\r') {
                reader.mark(1);
                int next = reader.read();
                if (next == '\n') {
                    line.append('\n');
                } else if (next != -1) {
                    reader.reset();
                }
                break;
            }
        }
        return line.isEmpty() ? null : line.toString();
    }

    static long utf8Length(CharSequence text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /** The longest prefix of {@code text} that fits in {@code maxBytes} UTF-8 bytes. */
    static String cutToBytes(String text, long maxBytes) {
        long bytes = 0;
        int i = 0;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            long len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + len > maxBytes) {
                break;
            }
            bytes += len;
            i += Character.charCount(cp);
        }
        return text.substring(0, i);
    }

    private static String ensureNewline(CharSequence text) {
        return text.isEmpty() || text.charAt(text.length() - 1) == '\n' ? "" : "\n";
    }
}
