package io.myriad.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code fs.edit}: replaces exact text in a workspace file.
 *
 * <p>The old text must occur exactly once (or, with {@code replace_all}, at least once); the
 * refusal says how many times and on which lines it was found, so the model can widen its
 * context. The file is replaced atomically. Re-applying an exact replacement is not harmless
 * (the old text is gone, or occurs again elsewhere), so the tool records each call in
 * {@link ChangeLog}: invoked again with the same idempotency key, it does nothing, or completes
 * the call if a crash came between the record and the write. Hence {@link Effect#IDEMPOTENT}.
 */
final class FsEditTool extends WorkspaceWriteTool {
    static final String NAME = "fs.edit";
    private static final int MAX_LINES_LISTED = 20;

    private static final ToolDefinition DEFINITION = new ToolDefinition(NAME, """
            Edit a UTF-8 text file of the run's workspace by exact replacement: old_text must \
            appear in the file exactly once (include enough surrounding lines to make it \
            unique) and is replaced by new_text. With replace_all: true every occurrence is \
            replaced. Whitespace and indentation must match exactly; read the file with fs.read \
            first. If old_text is missing or ambiguous nothing is changed and the error says \
            where it was found. The file is replaced atomically; a retried call is not applied \
            twice.""", Json.parse("""
            {
              "type": "object",
              "properties": {
                "path": {"type": "string", "minLength": 1, "maxLength": 4096,
                         "description": "File path relative to the workspace, e.g. \\"src/Main.java\\"."},
                "old_text": {"type": "string", "minLength": 1, "maxLength": 1048576,
                             "description": "The exact text to replace, as it appears in the file."},
                "new_text": {"type": "string", "maxLength": 1048576,
                             "description": "The text to put in its place (may be empty to delete)."},
                "replace_all": {"type": "boolean",
                                "description": "Replace every occurrence instead of requiring exactly one. Default false."}
              },
              "required": ["path", "old_text", "new_text"],
              "additionalProperties": false
            }"""));


    FsEditTool(WorkspaceLocks locks) {
        super(DEFINITION, locks);
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(context, "context");
        String requested = Args.requiredString(arguments, "path");
        String oldText = Args.requiredString(arguments, "old_text");
        String newText = Args.requiredString(arguments, "new_text");
        boolean all = Args.optionalBoolean(arguments, "replace_all", false);
        if (oldText.isEmpty()) {
            throw new ToolException("old_text must not be empty; to create a file use fs.write");
        }
        if (oldText.equals(newText)) {
            throw new ToolException("old_text and new_text are the same; nothing to change");
        }
        Workspace.Resolved file = Workspace.resolveForWrite(context, requested);
        if (file.isMarker()) {
            throw new ToolException("'" + requested + "' is reserved by Myriad");
        }
        ReentrantLock lock = lockOf(file.root());
        lock.lock();
        try {
            List<Integer> lines = new ArrayList<>();
            return ToolResult.ok(ChangeLog.applyOnce(file.root(), context.idempotencyKey(),
                    only -> {
                        if (!only.test(file.relative())) {
                            return List.of();
                        }
                        byte[] before = TextFiles.bytes(file).orElseThrow(() -> new ToolException(
                                "file '" + requested + "' does not exist; use fs.write to "
                                        + "create it"));
                        String edited = edit(TextFiles.text(file, before), oldText, newText,
                                all, requested, lines);
                        return List.of(new ChangeLog.FileChange(file, Optional.of(before),
                                Optional.of(edited.getBytes(StandardCharsets.UTF_8))));
                    },
                    changes -> "replaced " + Json.plural(lines.size(), "occurrence") + " in "
                            + file.relative() + " (" + lineList(lines) + ")"));
        } catch (IOException e) {
            throw new ToolException("cannot edit '" + requested + "': " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** The edited text; fills {@code lines} with the line of each replaced occurrence. */
    static String edit(String text, String oldText, String newText, boolean all,
            String requested, List<Integer> lines) {
        String target = oldText;
        String replacement = newText;
        List<Integer> found = occurrences(text, target);
        if (found.isEmpty() && text.contains("\r\n") && !oldText.contains("\r")) {
            target = oldText.replace("\n", "\r\n"); // the model wrote LF for a CRLF file
            replacement = newText.replace("\n", "\r\n");
            found = occurrences(text, target);
        }
        if (found.isEmpty()) {
            throw new ToolException("old_text was not found in '" + requested + "'; nothing was "
                    + "changed. Read the file with fs.read and copy the text exactly, including "
                    + "whitespace and indentation");
        }
        List<Integer> foundLines = found.stream().map(i -> TextFiles.lineOf(text, i)).toList();
        if (found.size() > 1 && !all) {
            throw new ToolException("old_text was found " + found.size() + " times in '"
                    + requested + "' (" + lineList(foundLines) + "); nothing was changed. "
                    + "Include more surrounding lines to make it unique, or set replace_all: "
                    + "true to replace every occurrence");
        }
        lines.clear();
        lines.addAll(foundLines);
        StringBuilder out = new StringBuilder(text.length());
        int from = 0;
        for (int index : found) {
            out.append(text, from, index).append(replacement);
            from = index + target.length();
        }
        return out.append(text, from, text.length()).toString();
    }

    /** Start indexes of the non-overlapping occurrences of {@code target}. */
    private static List<Integer> occurrences(String text, String target) {
        List<Integer> found = new ArrayList<>();
        for (int i = text.indexOf(target); i >= 0; i = text.indexOf(target, i + target.length())) {
            found.add(i);
        }
        return found;
    }

    private static String lineList(List<Integer> lines) {
        String shown = String.join(", ", lines.stream().limit(MAX_LINES_LISTED)
                .map(String::valueOf).toList());
        return (lines.size() == 1 ? "line " : "lines ") + shown
                + (lines.size() > MAX_LINES_LISTED ? ", ..." : "");
    }
}
