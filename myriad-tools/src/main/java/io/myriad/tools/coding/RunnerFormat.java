package io.myriad.tools.coding;

import io.myriad.tools.coding.TestReport.Counts;
import io.myriad.tools.coding.TestReport.Failure;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The output of one kind of test runner. Each format recognises its own output or declines, so
 * {@link TestOutputParser} tries them in turn.
 */
sealed interface RunnerFormat {
    /** The most lines kept of one failure's message. */
    int MESSAGE_LINES = 5;
    /** The most characters kept of one line of a failure's message. */
    int LINE_CHARS = 300;

    /**
     * What the runner reported.
     *
     * @param counts      the counts, empty when the runner stopped before counting
     * @param failures    every failure found, in order
     * @param brokenBuild true when the runner reports that the build (not a test) failed
     */
    record Parsed(String runner, Optional<Counts> counts, List<Failure> failures,
            boolean brokenBuild) {
        public Parsed {
            failures = List.copyOf(failures);
        }
    }

    /** The runner's report in {@code lines}, or empty when this is not its output. */
    Optional<Parsed> parse(List<String> lines);

    List<RunnerFormat> ALL = List.of(new Maven(), new Pytest(), new Unittest(), new Gradle(),
            new JUnitConsole());

    static String clip(String line) {
        String s = line.strip();
        return s.length() <= LINE_CHARS ? s : s.substring(0, LINE_CHARS - 1) + "…";
    }

    static String message(List<String> lines) {
        List<String> kept = new ArrayList<>();
        for (String l : lines) {
            if (!l.isBlank() && kept.size() < MESSAGE_LINES) {
                kept.add(clip(l));
            }
        }
        return String.join("\n", kept);
    }

    static int group(Matcher m, int group) {
        String g = m.group(group);
        return g == null ? 0 : Integer.parseInt(g);
    }

    /** Maven surefire and failsafe, one module or many. */
    final class Maven implements RunnerFormat {
        private static final Pattern PREFIX = Pattern.compile("^\\[(?:INFO|ERROR|WARNING|WARN)] ?");
        private static final Pattern TOTALS = Pattern.compile(
                "^Tests run: (\\d+), Failures: (\\d+), Errors: (\\d+), Skipped: (\\d+)(.*)$");
        private static final Pattern ENTRY = Pattern.compile("^  (\\S+)(?: (.*))?$");
        private static final Pattern COMPILE = Pattern.compile("^(/\\S+\\.\\w+:\\[\\d+,\\d+]) ?(.*)$");

        @Override
        public Optional<Parsed> parse(List<String> raw) {
            List<String> lines = raw.stream().map(l -> PREFIX.matcher(l).replaceFirst("")).toList();
            boolean maven = raw.stream().anyMatch(l -> PREFIX.matcher(l).find())
                    && lines.stream().anyMatch(l -> l.startsWith("BUILD ") || l.contains("T E S T S")
                    || TOTALS.matcher(l).matches());
            if (!maven) {
                return Optional.empty();
            }
            Counts total = null;
            List<Failure> failures = new ArrayList<>();
            String section = "";
            for (String line : lines) {
                Matcher t = TOTALS.matcher(line);
                if (t.matches()) {
                    section = "";
                    if (t.group(5).contains("Time elapsed")) {
                        continue; // one class; the module's total follows in "Results:"
                    }
                    int run = group(t, 1);
                    int f = group(t, 2);
                    int e = group(t, 3);
                    int s = group(t, 4);
                    Counts c = new Counts(Math.max(0, run - f - e - s), f, e, s);
                    total = total == null ? c : total.plus(c);
                    continue;
                }
                String stripped = line.strip();
                if (stripped.equals("Failures:") || stripped.equals("Errors:")) {
                    section = stripped;
                    continue;
                }
                if (stripped.isEmpty() || stripped.startsWith("Tests run:")
                        || stripped.startsWith("Flakes:") || stripped.equals("Results:")) {
                    section = "";
                    continue;
                }
                Matcher c = COMPILE.matcher(stripped);
                if (section.isEmpty() && c.matches() && failures.stream()
                        .noneMatch(x -> x.name().equals(c.group(1)))) {
                    failures.add(new Failure(c.group(1), clip(c.group(2))));
                    continue;
                }
                Matcher m = ENTRY.matcher(line);
                if (!section.isEmpty() && m.matches() && !m.group(1).startsWith("Run")) {
                    String msg = m.group(2) == null ? "" : clip(m.group(2));
                    failures.add(new Failure(m.group(1), msg));
                }
            }
            boolean broken = lines.stream().anyMatch(l -> l.strip().equals("BUILD FAILURE"))
                    && (total == null || total.failed() + total.errors() == 0);
            return Optional.of(new Parsed("maven", Optional.ofNullable(total), failures, broken));
        }
    }

    /** pytest, with or without {@code -q} and {@code -r}. */
    final class Pytest implements RunnerFormat {
        private static final Pattern SUMMARY = Pattern.compile(
                "^=*\\s*((?:\\d+ \\w+(?:, )?)+) in [\\d.]+s(?: \\([^)]*\\))?\\s*=*$");
        private static final Pattern PART = Pattern.compile("(\\d+) (\\w+)");
        private static final Pattern SHORT = Pattern.compile("^(FAILED|ERROR) (\\S+)(?: - (.*))?$");
        private static final Pattern HEADER = Pattern.compile("^_{3,} (.+?) _{3,}$");

        @Override
        public Optional<Parsed> parse(List<String> lines) {
            Counts counts = null;
            for (String line : lines) {
                Matcher m = SUMMARY.matcher(line.strip());
                if (m.matches() && m.group(1).matches(".*\\d+ (passed|failed|errors?|skipped"
                        + "|xfailed|xpassed|deselected|warnings?).*")) {
                    int passed = 0, failed = 0, errors = 0, skipped = 0;
                    Matcher p = PART.matcher(m.group(1));
                    while (p.find()) {
                        int n = Integer.parseInt(p.group(1));
                        switch (p.group(2)) {
                            case "passed", "xpassed" -> passed += n;
                            case "failed" -> failed += n;
                            case "error", "errors" -> errors += n;
                            case "skipped", "xfailed" -> skipped += n;
                            default -> { } // warnings, deselected: not tests that ran
                        }
                    }
                    counts = new Counts(passed, failed, errors, skipped);
                }
            }
            boolean session = lines.stream().anyMatch(l -> l.contains("test session starts"));
            if (counts == null && !session) {
                return Optional.empty();
            }
            List<Failure> failures = new ArrayList<>();
            for (String line : lines) {
                Matcher m = SHORT.matcher(line);
                if (m.matches()) {
                    failures.add(new Failure(m.group(2), m.group(3) == null ? ""
                            : clip(m.group(3))));
                }
            }
            if (failures.isEmpty()) {
                failures = fromSections(lines);
            }
            boolean broken = counts == null || lines.stream().anyMatch(l -> l.startsWith(
                    "ERROR: ") || l.contains("Interrupted: "));
            return Optional.of(new Parsed("pytest", Optional.ofNullable(counts), failures,
                    broken && (counts == null || counts.failed() + counts.errors() == 0)));
        }

        /** Without a short summary: the {@code ___ name ___} blocks and their {@code E} lines. */
        private static List<Failure> fromSections(List<String> lines) {
            List<Failure> out = new ArrayList<>();
            String name = null;
            List<String> msg = new ArrayList<>();
            for (String line : lines) {
                Matcher h = HEADER.matcher(line);
                if (h.matches() || line.startsWith("=")) {
                    if (name != null) {
                        out.add(new Failure(name, message(msg)));
                    }
                    name = h.matches() ? h.group(1) : null;
                    msg = new ArrayList<>();
                } else if (name != null && line.startsWith("E ")) {
                    msg.add(line.substring(1));
                }
            }
            if (name != null) {
                out.add(new Failure(name, message(msg)));
            }
            return out;
        }
    }

    /** Python's unittest ({@code python -m unittest}), verbose or not. */
    final class Unittest implements RunnerFormat {
        private static final Pattern RAN = Pattern.compile("^Ran (\\d+) tests? in [\\d.]+s$");
        private static final Pattern RESULT = Pattern.compile("^(OK|FAILED)(?: \\((.*)\\))?$");
        private static final Pattern KEY = Pattern.compile("([a-z ]+)=(\\d+)");
        private static final Pattern BLOCK = Pattern.compile("^(FAIL|ERROR|UNEXPECTED SUCCESS): (.+)$");

        @Override
        public Optional<Parsed> parse(List<String> lines) {
            int ran = -1;
            int failed = 0, errors = 0, skipped = 0, unexpected = 0;
            boolean result = false;
            for (String line : lines) {
                Matcher r = RAN.matcher(line.strip());
                if (r.matches()) {
                    ran = Integer.parseInt(r.group(1));
                    continue;
                }
                Matcher o = RESULT.matcher(line.strip());
                if (ran >= 0 && o.matches()) {
                    result = true;
                    failed = errors = skipped = unexpected = 0;
                    Matcher k = KEY.matcher(o.group(2) == null ? "" : o.group(2));
                    while (k.find()) {
                        int n = Integer.parseInt(k.group(2));
                        switch (k.group(1).strip()) {
                            case "failures" -> failed = n;
                            case "errors" -> errors = n;
                            case "skipped", "expected failures" -> skipped += n;
                            case "unexpected successes" -> unexpected = n;
                            default -> { }
                        }
                    }
                }
            }
            if (ran < 0 || !result) {
                return Optional.empty();
            }
            int counted = failed + errors + skipped;
            Counts counts = new Counts(Math.max(0, ran - counted), failed + unexpected, errors,
                    skipped);
            return Optional.of(new Parsed("unittest", Optional.of(counts), blocks(lines), false));
        }

        /** {@code FAIL: name} blocks; the message is what follows the last traceback frame. */
        private static List<Failure> blocks(List<String> lines) {
            List<Failure> out = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                Matcher b = BLOCK.matcher(lines.get(i));
                if (!b.matches()) {
                    continue;
                }
                int end = i + 1;
                while (end < lines.size() && !lines.get(end).startsWith("=====")
                        && !RAN.matcher(lines.get(end).strip()).matches()) {
                    end++;
                }
                List<String> body = new ArrayList<>(lines.subList(i + 1, end));
                while (!body.isEmpty() && (body.getLast().isBlank()
                        || body.getLast().startsWith("-----"))) {
                    body.removeLast();
                }
                int start = 0;
                for (int j = 0; j < body.size(); j++) {
                    if (body.get(j).startsWith("  File \"")) {
                        start = j + 1;
                        while (start < body.size() && body.get(start).startsWith("    ")) {
                            start++;
                        }
                    }
                }
                List<String> msg = body.subList(Math.min(start, body.size()), body.size())
                        .stream().filter(l -> !l.startsWith("-----")).toList();
                out.add(new Failure(b.group(2).strip(), message(msg)));
                i = end - 1;
            }
            return out;
        }
    }

    /** Gradle's test task: {@code Class > method() FAILED} and its totals line. */
    final class Gradle implements RunnerFormat {
        private static final Pattern TOTALS = Pattern.compile(
                "^(\\d+) tests? completed(?:, (\\d+) failed)?(?:, (\\d+) skipped)?$");
        private static final Pattern FAILED = Pattern.compile("^(\\S.*? > .+) FAILED$");

        @Override
        public Optional<Parsed> parse(List<String> lines) {
            Counts counts = null;
            List<Failure> failures = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                Matcher t = TOTALS.matcher(lines.get(i).strip());
                if (t.matches()) {
                    int run = group(t, 1), f = group(t, 2), s = group(t, 3);
                    counts = new Counts(Math.max(0, run - f - s), f, 0, s);
                }
                Matcher f = FAILED.matcher(lines.get(i));
                if (f.matches()) {
                    List<String> msg = new ArrayList<>();
                    for (int j = i + 1; j < lines.size() && lines.get(j).startsWith("    "); j++) {
                        msg.add(lines.get(j));
                    }
                    failures.add(new Failure(f.group(1), message(msg)));
                }
            }
            if (counts == null) {
                return Optional.empty();
            }
            return Optional.of(new Parsed("gradle", Optional.of(counts), failures, false));
        }
    }

    /** The JUnit Platform console launcher's summary box and failure list. */
    final class JUnitConsole implements RunnerFormat {
        private static final Pattern BOX = Pattern.compile(
                "^\\[\\s*(\\d+) (?:tests|containers) (\\w+)\\s*]$");
        private static final Pattern FAILURES = Pattern.compile("^Failures \\(\\d+\\):$");

        @Override
        public Optional<Parsed> parse(List<String> lines) {
            int successful = -1, failed = 0, skipped = 0, aborted = 0;
            for (String line : lines) {
                Matcher m = BOX.matcher(line.strip());
                if (m.matches() && line.contains(" tests ")) {
                    int n = Integer.parseInt(m.group(1));
                    switch (m.group(2)) {
                        case "successful" -> successful = n;
                        case "failed" -> failed = n;
                        case "skipped" -> skipped = n;
                        case "aborted" -> aborted = n;
                        default -> { }
                    }
                }
            }
            if (successful < 0) {
                return Optional.empty();
            }
            List<Failure> failures = new ArrayList<>();
            boolean in = false;
            String name = null;
            List<String> msg = new ArrayList<>();
            for (String line : lines) {
                if (FAILURES.matcher(line.strip()).matches()) {
                    in = true;
                    continue;
                }
                if (!in) {
                    continue;
                }
                if (line.startsWith("  ") && !line.startsWith("   ")) {
                    if (name != null) {
                        failures.add(new Failure(name, message(msg)));
                    }
                    name = line.strip();
                    msg = new ArrayList<>();
                } else if (line.strip().startsWith("=>")) {
                    msg.add(line.strip().substring(2));
                } else if (!line.startsWith(" ") && !line.isBlank()) {
                    in = false;
                }
            }
            if (name != null) {
                failures.add(new Failure(name, message(msg)));
            }
            return Optional.of(new Parsed("junit", Optional.of(new Counts(successful, failed, 0,
                    skipped + aborted)), failures, false));
        }
    }
}
