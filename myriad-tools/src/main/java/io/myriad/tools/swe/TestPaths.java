package io.myriad.tools.swe;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;
import java.util.function.Predicate;

/** Which paths of a diff are tests, from glob patterns. */
public final class TestPaths {
    private TestPaths() {}

    /**
     * Matches a repository-relative path ({@code /}-separated) against glob patterns: a pattern
     * with a {@code /} matches the whole path, and one starting with {@code **}{@code /} also
     * matches at the root ({@code **}{@code /test/**} matches {@code test/A.java}); a pattern
     * without {@code /} matches the file name ({@code test_*.py}, {@code *Test.java}).
     */
    public static Predicate<String> globs(String... patterns) {
        if (patterns.length == 0) {
            throw new IllegalArgumentException("give at least one test path pattern");
        }
        List<Predicate<String>> each = java.util.Arrays.stream(patterns).map(TestPaths::glob)
                .toList();
        return path -> each.stream().anyMatch(p -> p.test(path));
    }

    /** Common test locations of Java and Python projects. */
    public static Predicate<String> javaAndPython() {
        return globs("**/test/**", "**/tests/**", "*Test.java", "*Tests.java", "*IT.java",
                "test_*.py", "*_test.py", "conftest.py");
    }

    private static Predicate<String> glob(String pattern) {
        if (pattern.isBlank()) {
            throw new IllegalArgumentException("a test path pattern is blank");
        }
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        if (!pattern.contains("/")) {
            return path -> m.matches(Path.of(path).getFileName());
        }
        PathMatcher atRoot = pattern.startsWith("**/")
                ? FileSystems.getDefault().getPathMatcher("glob:" + pattern.substring(3))
                : m;
        return path -> m.matches(Path.of(path)) || atRoot.matches(Path.of(path));
    }
}
