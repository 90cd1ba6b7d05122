package io.myriad.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** {@code fs.list}: lists a folder of the workspace, one entry a line, sorted by name. */
final class FsListTool extends ReadOnlyTool {
    static final String NAME = "fs.list";
    static final int MAX_ENTRIES = 1000;

    private static final ToolDefinition DEFINITION = new ToolDefinition(NAME, """
            List a folder in the run's workspace, sorted by name. Each line holds an entry's \
            type (file, dir, link or other), its size in bytes ("-" for folders and links) and \
            its name, separated by tabs; folder names end with "/". At most 1000 entries are \
            shown.""", Json.parse("""
            {
              "type": "object",
              "properties": {
                "path": {"type": "string", "minLength": 1, "maxLength": 4096,
                         "description": "Folder path relative to the workspace. Default \\".\\", the workspace itself."}
              },
              "additionalProperties": false
            }"""));

    FsListTool() {
        super(DEFINITION);
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(context, "context");
        String requested = Args.optionalString(arguments, "path").orElse(".");
        Workspace.Resolved folder = Workspace.resolve(context, requested);
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder.path())) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!(folder.path().equals(folder.root())
                        && Workspace.isMarkerName(name))) {
                    names.add(name);
                }
            }
        } catch (NoSuchFileException e) {
            throw new ToolException("folder '" + requested + "' does not exist");
        } catch (NotDirectoryException e) {
            throw new ToolException("'" + requested + "' is a file, not a folder; use fs.read");
        } catch (IOException e) {
            throw new ToolException("cannot list '" + requested + "': " + e.getMessage(), e);
        }
        if (names.isEmpty()) {
            return ToolResult.ok("[empty folder]");
        }
        names.sort(null);
        StringBuilder out = new StringBuilder();
        for (String name : names.subList(0, Math.min(names.size(), MAX_ENTRIES))) {
            out.append(describe(folder.path().resolve(name), name)).append('\n');
        }
        if (names.size() > MAX_ENTRIES) {
            out.append("[truncated: ").append(names.size() - MAX_ENTRIES)
                    .append(" more entries not shown]\n");
        }
        return ToolResult.ok(out.toString());
    }

    private static String describe(Path entry, String name) {
        try {
            BasicFileAttributes attrs = Files.readAttributes(entry, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (attrs.isSymbolicLink()) {
                return "link\t-\t" + name;
            }
            if (attrs.isDirectory()) {
                return "dir\t-\t" + name + "/";
            }
            return (attrs.isRegularFile() ? "file" : "other") + "\t" + attrs.size() + "\t" + name;
        } catch (IOException e) {
            return "gone\t-\t" + name; // removed while listing
        }
    }
}
