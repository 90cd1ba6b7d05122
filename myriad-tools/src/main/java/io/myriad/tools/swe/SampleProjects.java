package io.myriad.tools.swe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Generated coding tasks to try a fleet of software engineers on: small Java and Python
 * projects, each with a bug, a failing test and a known fix. Sample {@code i} has a
 * {@code scale(x)} that returns {@code x * (i + 1)} where its test expects {@code x * (i + 2)}.
 * Even samples are Java (compiled and tested with the JDK's {@code javac} and {@code java}), odd
 * ones Python ({@code unittest}); without a JDK the sandbox can see, every sample is Python.
 *
 * <p>Deterministic: a fixed identity and date, so sample {@code i} always has the same base
 * commit. Each sample carries a script for the simulated model that explores, reproduces,
 * fixes, verifies and submits, the way the instructions of a coding agent ask.
 */
public final class SampleProjects {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> FIXED_DATES = Map.of(
            "GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z");

    private SampleProjects() {}

    /** What a sample's script does: the right fix, a wrong one, or editing the test to pass. */
    public enum Script { FIX, WRONG_FIX, EDIT_TEST }

    /**
     * One sample project, described; {@link #materialize(Path)} writes it as a git repository.
     *
     * @param id          the task id, {@code sample-<language>-<i>}
     * @param language    {@code java} or {@code python}
     * @param files       the files of the base commit
     * @param testCommand fails on the base, passes with {@link #fix()}
     * @param source      the file with the bug
     * @param buggy       the text in {@code source} that is wrong
     * @param fixed       what it should be
     * @param wrong       a change that is not the fix
     * @param testFile    the test's path
     * @param testExpects the text in the test file holding the expected value
     */
    public record Sample(String id, String language, Map<String, String> files, String testCommand,
            String source, String buggy, String fixed, String wrong, String testFile,
            String testExpects) {
        public Sample {
            files = Map.copyOf(files);
        }

        /** The goal given to the agent. */
        public String goal() {
            return "The test " + testFile + " fails: scale() in " + source + " multiplies by the wrong "
                    + "factor. Find the bug, fix the code (not the test), and make the tests pass.";
        }

        /** The files that fix the bug, path → content. */
        public Map<String, String> fix() {
            return Map.of(source, files.get(source).replace(buggy, fixed));
        }

        /** The files of a change that compiles but is not the fix. */
        public Map<String, String> wrongFix() {
            return Map.of(source, files.get(source).replace(buggy, wrong));
        }

        /** The coding task for this sample's repository at {@code dir}. */
        public CodingTask task(Path dir) {
            return CodingTask.of(id, dir.toString(), "main", goal(), testCommand);
        }

        /**
         * The simulated model's script: list the workspace, run the tests, read the source, edit
         * it, run the tests again, submit, answer.
         */
        public ArrayNode script(Script kind) {
            ArrayNode s = JSON.createArrayNode();
            s.addObject().put("tool", "fs.list").putObject("args").put("path", ".");
            s.addObject().put("tool", "run_tests").putObject("args");
            s.addObject().put("tool", "fs.read").putObject("args").put("path", source);
            var edit = s.addObject().put("tool", "fs.edit").putObject("args");
            switch (kind) {
                case FIX -> edit.put("path", source).put("old_text", buggy).put("new_text", fixed);
                case WRONG_FIX -> edit.put("path", source).put("old_text", buggy).put("new_text", wrong);
                case EDIT_TEST -> edit.put("path", testFile).put("old_text", testExpects).put("new_text",
                        testExpects.replace(String.valueOf(7 * factorOf(fixed)), String.valueOf(7 * factorOf(buggy))));
            }
            s.addObject().put("tool", "run_tests").putObject("args");
            s.addObject().put("tool", "submit").putObject("args").put("explanation", switch (kind) {
                case FIX -> "scale() multiplied by the wrong factor in " + source + "; it now uses the one the test expects.";
                case WRONG_FIX -> "Changed the factor in " + source + ".";
                case EDIT_TEST -> "Updated the expected value in " + testFile + " to what the code returns.";
            });
            s.addObject().put("answer", "Submitted my change to " + id + " for verification.");
            return s;
        }

        private static int factorOf(String expr) {
            return Integer.parseInt(expr.replaceAll("\\D+", ""));
        }

        /**
         * Writes the sample as a git repository (branch {@code main}, one commit) at
         * {@code parent/<id>}, or returns it as it is when it already holds that commit; branches
         * added since (deliveries) are kept.
         */
        public Path materialize(Path parent, Path gitProgram) {
            Path dir = parent.resolve(id).toAbsolutePath().normalize();
            Git git = new Git(gitProgram);
            try {
                if (Files.isDirectory(dir.resolve(".git"))) {
                    Git.Result head = git.attempt(dir, Map.of(), null, "rev-parse", "--verify", "--quiet", "main^{commit}");
                    if (head.exit() == 0) {
                        return dir;
                    }
                }
                GitWorkspaces.delete(dir);
                Files.createDirectories(dir);
                git.run(dir, "init", "-q", "-b", "main");
                for (var e : new TreeMap<>(files).entrySet()) {
                    Path p = dir.resolve(e.getKey());
                    Files.createDirectories(p.getParent());
                    Files.writeString(p, e.getValue(), StandardCharsets.UTF_8);
                }
                git.run(dir, "add", "-A");
                git.run(dir, FIXED_DATES, null, "commit", "-q", "--no-verify", "-m", "sample with a bug");
                return dir;
            } catch (IOException e) {
                throw new SweException("cannot write sample " + id + " at " + dir + ": " + e.getMessage(), false, e);
            }
        }
    }

    /** The first {@code count} samples, for a JDK at {@code jdkBin} (empty: Python only). */
    public static List<Sample> samples(int count, Optional<Path> jdkBin) {
        if (count < 0) {
            throw new IllegalArgumentException("count must not be negative, got " + count);
        }
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(jdkBin.isPresent() && i % 2 == 0 ? java(i, jdkBin.get()) : python(i));
        }
        return List.copyOf(out);
    }

    /** Sample {@code i} in Java, compiled and run with the tools in {@code jdkBin}. */
    public static Sample java(int i, Path jdkBin) {
        Objects.requireNonNull(jdkBin, "jdkBin");
        int good = i + 2;
        String expects = "if (got != " + 7 * good + ")";
        Map<String, String> files = Map.of(
                ".gitignore", "out/\n",
                "src/Scaler.java", """
                        public final class Scaler {
                            private Scaler() {}

                            public static int scale(int x) {
                                return x * %d;
                            }
                        }
                        """.formatted(i + 1),
                "test/ScalerTest.java", """
                        public final class ScalerTest {
                            public static void main(String[] args) {
                                int got = Scaler.scale(7);
                                %s {
                                    System.err.println("FAIL: scale(7) = " + got + ", expected %d");
                                    System.exit(1);
                                }
                                System.out.println("OK: scale(7) = " + got);
                            }
                        }
                        """.formatted(expects, 7 * good));
        String cmd = "rm -rf out && " + jdkBin.resolve("javac") + " -d out src/*.java test/*.java && "
                + jdkBin.resolve("java") + " -cp out ScalerTest";
        return new Sample("sample-java-" + i, "java", files, cmd, "src/Scaler.java", "x * " + (i + 1) + ";",
                "x * " + good + ";", "x * " + (good + 1) + ";", "test/ScalerTest.java", expects);
    }

    /** Sample {@code i} in Python. */
    public static Sample python(int i) {
        int good = i + 2;
        String expects = "self.assertEqual(scale(7), " + 7 * good + ")";
        Map<String, String> files = Map.of(
                ".gitignore", "__pycache__/\n*.pyc\n",
                "scaler.py", "def scale(x):\n    return x * %d\n".formatted(i + 1),
                "test_scaler.py", """
                        import unittest

                        from scaler import scale


                        class ScaleTest(unittest.TestCase):
                            def test_scale(self):
                                %s


                        if __name__ == "__main__":
                            unittest.main()
                        """.formatted(expects));
        return new Sample("sample-python-" + i, "python", files, "python3 -B -m unittest -q test_scaler",
                "scaler.py", "x * " + (i + 1) + "\n", "x * " + good + "\n", "x * " + (good + 1) + "\n",
                "test_scaler.py", expects);
    }

    /**
     * The {@code bin} folder of a JDK the sandbox can see (under {@code /usr}): the one running
     * Myriad when it lives there, else the first under {@code /usr/lib/jvm}; empty when none.
     */
    public static Optional<Path> sandboxJdk() {
        List<Path> candidates = new ArrayList<>();
        candidates.add(Path.of(System.getProperty("java.home"), "bin"));
        try (var jvms = Files.list(Path.of("/usr/lib/jvm"))) {
            jvms.sorted().map(p -> p.resolve("bin")).forEach(candidates::add);
        } catch (IOException e) {
            // no JDKs there
        }
        for (Path bin : candidates) {
            try {
                Path real = bin.toRealPath();
                if (real.startsWith("/usr/") && Files.isExecutable(real.resolve("javac"))) {
                    return Optional.of(real);
                }
            } catch (IOException e) {
                // not there
            }
        }
        return Optional.empty();
    }
}
