package io.myriad.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code fs.search}: finds lines matching a regular expression in the workspace's files.
 *
 * <p>Walks the folder in name order without following links, skipping {@code .git}, Myriad's
 * marker files, binary files (a NUL in the first 8 KiB), files that are not UTF-8 and files
 * over {@link #MAX_FILE_BYTES}. A pathological expression cannot hang the call: the text it is
 * matched against stops the match when the call's time budget is spent.
 */
final class FsSearchTool extends ReadOnlyTool {
    static final String NAME = "fs.search";
    static final int DEFAULT_RESULTS = 100;
    static final int MAX_RESULTS = 1000;
    static final long MAX_FILE_BYTES = 4L * 1024 * 1024;
    private static final int MAX_LINE_CHARS = 240;
    private static final int SNIFF_BYTES = 8192;
    private static final long BUDGET_NANOS = 10_000_000_000L;

    private static final ToolDefinition DEFINITION = new ToolDefinition(NAME, """
            Search the text files of the run's workspace for lines matching a Java regular \
            expression. Returns one 'path:line: text' per matching line, in path order, at \
            most max_results (default 100, at most 1000). Skips .git folders, binary files \
            and files over 4 MiB. Narrow the search with path (a folder) and glob (a file \
            name pattern such as *.java, or **/test/*.java to match the relative path).""",
            Json.parse("""
            {
              "type": "object",
              "properties": {
                "pattern": {"type": "string", "minLength": 1, "maxLength": 1000,
                            "description": "Java regular expression, e.g. \\"class \\\\\\\\w+Test\\"; matched anywhere in a line."},
                "path": {"type": "string", "minLength": 1, "maxLength": 4096,
                         "description": "Folder to search, relative to the workspace. Default: the whole workspace."},
                "glob": {"type": "string", "minLength": 1, "maxLength": 200,
                         "description": "Only files whose name (or, with a /, relative path) matches, e.g. \\"*.java\\"."},
                "max_results": {"type": "integer", "minimum": 1, "maximum": 1000,
                                "description": "Most matching lines to return. Default 100."}
              },
              "required": ["pattern"],
              "additionalProperties": false
            }"""));

    FsSearchTool() {
        super(DEFINITION);
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(context, "context");
        String regex = Args.requiredString(arguments, "pattern");
        String requested = Args.optionalString(arguments, "path").orElse(".");
        var glob = Args.optionalString(arguments, "glob");
        int max = (int) Math.min(MAX_RESULTS,
                Args.optionalLong(arguments, "max_results", 1).orElse(DEFAULT_RESULTS));
        Pattern pattern;
        try {
            pattern = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new ToolException("pattern is not a valid regular expression: "
                    + e.getDescription() + " near index " + e.getIndex() + " of '" + regex
                    + "'; escape special characters such as ( [ { . * + ? with a backslash");
        }
        PathMatcher matcher;
        try {
            matcher = glob.map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g))
                    .orElse(null);
        } catch (IllegalArgumentException e) {
            throw new ToolException("glob '" + glob.get() + "' is not valid: " + e.getMessage());
        }
        boolean globOnPath = glob.isPresent() && glob.get().contains("/");
        Workspace.Resolved folder = Workspace.resolve(context, requested);
        if (!Files.isDirectory(folder.path())) {
            throw new ToolException(Files.exists(folder.path())
                    ? "'" + requested + "' is a file; give the folder to search in"
                    : "folder '" + requested + "' does not exist");
        }
        List<Path> files = new ArrayList<>();
        try {
            Files.walkFileTree(folder.path(), new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return dir.getFileName() != null && dir.getFileName().toString().equals(".git")
                            ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (!attrs.isRegularFile() || attrs.size() > MAX_FILE_BYTES) {
                        return FileVisitResult.CONTINUE;
                    }
                    Path relative = folder.root().relativize(file);
                    if (relative.getNameCount() == 1
                            && Workspace.isMarkerName(relative.toString())) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (matcher == null || matcher.matches(globOnPath ? relative
                            : file.getFileName())) {
                        files.add(relative);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // unreadable or gone: skip it
                }
            });
        } catch (IOException e) {
            throw new ToolException("cannot search '" + requested + "': " + e.getMessage(), e);
        }
        files.sort(null);
        List<String> found = new ArrayList<>();
        long deadline = System.nanoTime() + BUDGET_NANOS;
        boolean more = false;
        for (Path relative : files) {
            try {
                if (!search(folder.root().resolve(relative), relative.toString(), pattern, max,
                        found, deadline)) {
                    more = true;
                    break;
                }
            } catch (IOException e) {
                // removed or unreadable since the walk: skip it
            }
        }
        if (found.isEmpty()) {
            return ToolResult.ok("[no matches]");
        }
        StringBuilder out = new StringBuilder();
        found.forEach(line -> out.append(line).append('\n'));
        if (more) {
            out.append("[stopped after ").append(found.size())
                    .append(" matches; narrow the search with path or glob, or raise "
                            + "max_results]\n");
        }
        return ToolResult.ok(out.toString());
    }

    /** Adds the file's matching lines; false when the cap is reached with more to find. */
    private static boolean search(Path file, String relative, Pattern pattern, int max,
            List<String> found, long deadline) throws IOException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) MAX_FILE_BYTES);
        }
        for (int i = 0; i < Math.min(bytes.length, SNIFF_BYTES); i++) {
            if (bytes[i] == 0) {
                return true;
            }
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return true;
        }
        int number = 0;
        for (String line : (Iterable<String>) text.lines()::iterator) {
            number++;
            Matcher m = pattern.matcher(new Deadline(line, deadline));
            boolean hit;
            try {
                hit = m.find();
            } catch (Deadline.Expired e) {
                throw new ToolException("the search took too long (the pattern may backtrack "
                        + "catastrophically); simplify it or narrow the search with path or glob");
            }
            if (hit) {
                if (found.size() == max) {
                    return false;
                }
                String shown = line.length() <= MAX_LINE_CHARS ? line
                        : line.substring(0, MAX_LINE_CHARS) + "...";
                found.add(relative + ":" + number + ": " + shown);
            }
        }
        return true;
    }

    /** Text that stops a regular-expression match once a deadline has passed. */
    private static final class Deadline implements CharSequence {
        /** Thrown out of the matcher; carries no stack trace. */
        static final class Expired extends IllegalStateException {
            Expired() {
                super("deadline passed");
            }

            @Override
            public synchronized Throwable fillInStackTrace() {
                return this;
            }
        }

        private final CharSequence text;
        private final long deadline;
        private int reads; // confined to the matching thread

        Deadline(CharSequence text, long deadline) {
            this.text = text;
            this.deadline = deadline;
        }

        @Override
        public char charAt(int index) {
            if ((++reads & 0xFFF) == 0 && System.nanoTime() > deadline) {
                throw new Expired();
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new Deadline(text.subSequence(start, end), deadline);
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }
}
