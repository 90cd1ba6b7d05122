package io.myriad.tools.swe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Generates small git repositories with a failing test and a known fix, deterministically (fixed
 * identity and dates, so the same index gives the same commit). Index {@code i} makes a
 * {@code scale(x)} that should return {@code x * (i + 2)} and returns {@code x * (i + 1)}.
 */
final class SampleRepos {
    static final String JDK = "/usr/lib/jvm/temurin-25-jdk-amd64/bin";

    /**
     * One generated repository.
     *
     * @param dir         its working tree (a normal, non-bare repository on branch main)
     * @param baseSha     the commit with the bug
     * @param testCommand fails at the base, passes with {@code fix}
     * @param fix         files to write (path relative to the root, content) that fix the bug
     * @param wrongFix    files that change the code but not correctly
     * @param testFile    the test's path
     */
    record Sample(String language, Path dir, String baseSha, String testCommand,
            Map<String, String> fix, Map<String, String> wrongFix, String testFile) {
        CodingTask task(String id) {
            return CodingTask.of(id, dir.toString(), "main", "make scale() multiply by the "
                    + "right factor", testCommand);
        }

        /** Writes {@code files} into {@code root} (a checkout of this sample). */
        void write(Path root, Map<String, String> files) throws IOException {
            for (var e : files.entrySet()) {
                Path p = root.resolve(e.getKey());
                Files.createDirectories(p.getParent());
                Files.writeString(p, e.getValue(), StandardCharsets.UTF_8);
            }
        }
    }

    private SampleRepos() {}

    static Sample java(Path parent, int i) throws IOException {
        return from(SampleProjects.java(i, Path.of(JDK)), parent);
    }

    static Sample python(Path parent, int i) throws IOException {
        return from(SampleProjects.python(i), parent);
    }

    /** The platform's own sample {@code p}, written as a repository under {@code parent}. */
    private static Sample from(SampleProjects.Sample p, Path parent) {
        Path dir = p.materialize(parent, Path.of("/usr/bin/git"));
        return new Sample(p.language(), dir, git(dir, "rev-parse", "HEAD").strip(), p.testCommand(), p.fix(),
                p.wrongFix(), p.testFile());
    }

    /** A repository with {@code count} more files, for measuring checkouts. */
    static Path padded(Path parent, int count) throws IOException {
        Path dir = Files.createDirectories(parent.resolve("padded-" + count));
        Map<String, String> files = new java.util.TreeMap<>();
        for (int i = 0; i < count; i++) {
            files.put("pkg" + (i % 20) + "/File" + i + ".txt", ("line " + i + "\n").repeat(50));
        }
        commitAll(dir, files);
        return dir;
    }

    /** A bare copy of {@code sample}'s repository, next to it. */
    static Path bare(Sample sample) {
        Path bare = sample.dir().resolveSibling(sample.dir().getFileName() + ".git");
        git(sample.dir().getParent(), "clone", "-q", "--bare", sample.dir().toString(),
                bare.toString());
        return bare;
    }

    private static String commitAll(Path dir, Map<String, String> files) throws IOException {
        git(dir, "init", "-q", "-b", "main");
        for (var e : files.entrySet()) {
            Path p = dir.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, e.getValue(), StandardCharsets.UTF_8);
        }
        git(dir, "add", "-A");
        git(dir, "commit", "-q", "-m", "sample with a bug");
        return git(dir, "rev-parse", "HEAD").strip();
    }

    /** Runs git with a fixed identity and date; fails the test when git fails. */
    static String git(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/git", "-c", "user.name=Sample",
                "-c", "user.email=sample@localhost", "-c", "commit.gpgSign=false"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectErrorStream(true);
        pb.environment().put("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z");
        pb.environment().put("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z");
        pb.environment().put("GIT_CONFIG_GLOBAL", "/dev/null");
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new AssertionError("git " + String.join(" ", args) + " failed in " + dir
                        + ": " + out);
            }
            return out;
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("cannot run git " + String.join(" ", args), e);
        }
    }
}
