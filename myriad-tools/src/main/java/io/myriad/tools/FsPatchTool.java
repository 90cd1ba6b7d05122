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
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code fs.patch}: applies a unified diff to files of the workspace.
 *
 * <p>All or nothing: every hunk of every file is applied in memory first, and any that does not
 * apply refuses the whole patch, naming the file and the hunk, before a file is touched. Then
 * each file is replaced atomically (temp file and move) or deleted. A crash between two files
 * leaves some changed and some not; {@link ChangeLog} records the call first, so re-invoking it
 * with the same idempotency key completes the rest and never applies a hunk twice. Hence
 * {@link Effect#IDEMPOTENT}.
 */
final class FsPatchTool extends WorkspaceWriteTool {
    static final String NAME = "fs.patch";

    private static final ToolDefinition DEFINITION = new ToolDefinition(NAME, """
            Apply a unified diff (as written by diff -u or git diff) to files of the run's \
            workspace. One patch may change several files; '--- /dev/null' creates a file and \
            '+++ /dev/null' deletes one; a/ and b/ prefixes are stripped. Context lines must \
            match the file exactly; a hunk may sit at other line numbers than its header says. \
            If any hunk does not apply, nothing is changed and the error names the file and \
            the hunk. A retried call is not applied twice.""", Json.parse("""
            {
              "type": "object",
              "properties": {
                "patch": {"type": "string", "minLength": 1, "maxLength": 4194304,
                          "description": "The unified diff, with '--- a/path', '+++ b/path' and '@@ -l,n +l,n @@' lines."}
              },
              "required": ["patch"],
              "additionalProperties": false
            }"""));


    FsPatchTool(WorkspaceLocks locks) {
        super(DEFINITION, locks);
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(context, "context");
        String text = Args.requiredString(arguments, "patch");
        List<UnifiedDiff.FilePatch> patches = UnifiedDiff.parse(text);
        List<Workspace.Resolved> files = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (UnifiedDiff.FilePatch patch : patches) {
            patch.oldPath().ifPresent(old -> Workspace.resolveForWrite(context, old));
            Workspace.Resolved file = Workspace.resolveForWrite(context, patch.path());
            if (file.isMarker()) {
                throw new ToolException("'" + patch.path() + "' is reserved by Myriad");
            }
            if (!seen.add(file.relative())) {
                throw new ToolException("the patch changes " + file.relative() + " in two "
                        + "sections; merge them into one");
            }
            files.add(file);
        }
        Workspace.Resolved first = files.getFirst();
        ReentrantLock lock = lockOf(first.root());
        lock.lock();
        try {
            return ToolResult.ok(ChangeLog.applyOnce(first.root(), context.idempotencyKey(),
                    only -> plan(patches, files, only::test), FsPatchTool::describe));
        } catch (IOException e) {
            throw new ToolException("cannot apply the patch: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private static List<ChangeLog.FileChange> plan(List<UnifiedDiff.FilePatch> patches,
            List<Workspace.Resolved> files, java.util.function.Predicate<String> only) {
        List<ChangeLog.FileChange> changes = new ArrayList<>();
        for (int i = 0; i < patches.size(); i++) {
            Workspace.Resolved file = files.get(i);
            if (!only.test(file.relative())) {
                continue;
            }
            Optional<byte[]> before = TextFiles.bytes(file);
            Optional<String> after = UnifiedDiff.apply(patches.get(i),
                    before.map(b -> TextFiles.text(file, b)));
            changes.add(new ChangeLog.FileChange(file, before,
                    after.map(s -> s.getBytes(StandardCharsets.UTF_8))));
        }
        return changes;
    }

    private static String describe(List<ChangeLog.FileChange> changes) {
        List<String> parts = new ArrayList<>();
        for (ChangeLog.FileChange change : changes) {
            String verb = change.before().isEmpty() ? "created "
                    : change.after().isEmpty() ? "deleted " : "modified ";
            parts.add(verb + change.file().relative());
        }
        return "patched " + Json.plural(changes.size(), "file") + ": " + String.join(", ", parts);
    }
}
