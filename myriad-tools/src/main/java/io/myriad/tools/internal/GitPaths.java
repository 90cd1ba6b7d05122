package io.myriad.tools.internal;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Whether a path names a repository's {@code .git}: shared by the workspace file tools and the
 * coding guards, which live in packages that must not depend on each other. Not API.
 */
public final class GitPaths {
    private static final String GIT = ".git";

    private GitPaths() {}

    /**
     * True when {@code path}, as written, names {@code .git} (in any letter case) or something
     * inside one, once normalised. A path that is not a valid path at all counts as touching
     * {@code .git}.
     */
    public static boolean touchesGit(String path) {
        Objects.requireNonNull(path, "path");
        Path p;
        try {
            p = Path.of(path).normalize();
        } catch (InvalidPathException e) {
            return true;
        }
        for (Path name : p) {
            if (name.toString().equalsIgnoreCase(GIT)) {
                return true;
            }
        }
        return false;
    }
}
