package io.myriad.tools;

import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.tools.internal.GitPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Confines file tools to the run's workspace.
 *
 * <p>A requested path is relative to the workspace. Absolute paths and lexical {@code ..}
 * escapes are refused outright; then the path is resolved the way the operating system would,
 * following every symbolic link (including dangling ones and links in parent folders), and the
 * real result must lie inside the workspace's real path. The check and the later use are not
 * atomic: a process that swaps a folder for a link in between could win the race. The agents'
 * own tools cannot create links, so this guards the model's mistakes and links planted in the
 * workspace beforehand, not a hostile local process (the sandbox is for that).
 */
final class Workspace {
    /** The file in the workspace root where idempotent appends record their keys. */
    static final String APPENDS_MARKER = ".myriad-appends";
    /** The file in the workspace root where idempotent edits and patches record their keys. */
    static final String CHANGES_MARKER = ".myriad-changes";

    private static final int MAX_LINK_HOPS = 40;

    private Workspace() {}

    /** A resolved path: the workspace's real root, the real target, and the path as asked. */
    record Resolved(Path root, Path path, String requested) {
        boolean isMarker() {
            return path.equals(root.resolve(APPENDS_MARKER))
                    || path.equals(root.resolve(CHANGES_MARKER));
        }

        /** The path relative to the workspace, for messages; "." for the root itself. */
        String relative() {
            String rel = root.relativize(path).toString();
            return rel.isEmpty() ? "." : rel;
        }
    }

    /** The workspace's real path, creating the folder when missing. */
    static Path root(ToolContext context) {
        try {
            return Files.createDirectories(context.workspace()).toRealPath();
        } catch (IOException e) {
            throw new ToolException("cannot open the run's workspace: " + e.getMessage(), e);
        }
    }

    /**
     * Resolves {@code requested} inside the workspace.
     *
     * @throws ToolException when the path is empty, malformed, or outside the workspace
     */
    static Resolved resolve(ToolContext context, String requested) {
        if (requested.isBlank()) {
            throw new ToolException("path must not be empty; use \".\" for the workspace itself");
        }
        Path relative;
        try {
            relative = Path.of(requested);
        } catch (InvalidPathException e) {
            throw new ToolException("path '" + requested + "' is not a valid path: "
                    + e.getReason());
        }
        if (relative.isAbsolute() || relative.getRoot() != null
                || relative.normalize().startsWith("..")) {
            throw outside(requested);
        }
        Path root = root(context);
        Path real;
        try {
            real = realPath(root.resolve(relative), 0, requested);
        } catch (IOException e) {
            throw new ToolException("cannot resolve path '" + requested + "': " + e.getMessage(),
                    e);
        }
        if (!real.startsWith(root)) {
            throw outside(requested);
        }
        return new Resolved(root, real, requested);
    }

    /**
     * Resolves {@code requested} inside the workspace, for a tool that writes it: as
     * {@link #resolve(ToolContext, String)} does, and refusing any {@code .git}, as written (any
     * letter case, once normalised) and as reached through symbolic links.
     *
     * @throws ToolException when the path may not be written
     */
    static Resolved resolveForWrite(ToolContext context, String requested) {
        if (!requested.isBlank() && GitPaths.touchesGit(requested)) {
            throw intoGit(requested);
        }
        Resolved resolved = resolve(context, requested);
        if (GitPaths.touchesGit(resolved.root().relativize(resolved.path()).toString())) {
            throw intoGit(requested);
        }
        return resolved;
    }

    private static ToolException intoGit(String requested) {
        return new ToolException("path '" + requested + "' is inside .git, which file tools do "
                + "not write: .git is the repository's metadata; the platform manages it. Change "
                + "the files of the working tree instead");
    }

    /**
     * The real path of {@code path}, which need not exist: links are followed, and the missing
     * tail is appended to the real path of its nearest existing ancestor.
     */
    private static Path realPath(Path path, int hops, String requested) throws IOException {
        if (hops > MAX_LINK_HOPS) {
            throw new ToolException("path '" + requested + "' has too many symbolic links");
        }
        if (Files.exists(path)) {
            return path.toRealPath();
        }
        Path parent = path.getParent();
        if (Files.isSymbolicLink(path)) { // dangling: follow it by hand
            Path target = Files.readSymbolicLink(path);
            Path base = parent == null ? path.getFileSystem().getPath("/") : parent;
            return realPath(realPath(base, hops + 1, requested).resolve(target), hops + 1,
                    requested);
        }
        Path name = path.getFileName();
        if (parent == null || name == null) {
            return path;
        }
        Path realParent = realPath(parent, hops, requested);
        return switch (name.toString()) {
            case "." -> realParent;
            case ".." -> realParent.getParent() == null ? realParent : realParent.getParent();
            default -> realParent.resolve(name);
        };
    }

    /** Whether {@code name}, in the workspace root, is one of Myriad's own bookkeeping files. */
    static boolean isMarkerName(String name) {
        return name.equals(APPENDS_MARKER) || name.equals(CHANGES_MARKER);
    }

    static ToolException outside(String requested) {
        return new ToolException("path '" + requested + "' is outside the run's workspace");
    }
}
