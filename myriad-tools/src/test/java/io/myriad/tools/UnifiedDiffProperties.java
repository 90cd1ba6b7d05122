package io.myriad.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * A random file, a random edit of it, a unified diff of the edit written by a tiny generator
 * here: the patch applied to the file gives the edited file. Lines come from a small alphabet,
 * so the same context occurs in several places and the applier must pick the right one.
 */
class UnifiedDiffProperties {
    private static final int CONTEXT = 3;

    /** Replaces old lines [start, end) by {@code lines}. */
    record Region(int start, int end, List<String> lines) {}

    record Case(List<String> original, List<Region> regions) {
        List<String> edited() {
            List<String> out = new ArrayList<>();
            int at = 0;
            for (Region r : regions) {
                out.addAll(original.subList(at, r.start()));
                out.addAll(r.lines());
                at = r.end();
            }
            out.addAll(original.subList(at, original.size()));
            return out;
        }
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<String> line = Arbitraries.of("a", "b", "c", "", "  x", "}", "return y;");
        return line.list().ofMaxSize(40).flatMap(original -> {
            int n = original.size();
            Arbitrary<List<Integer>> cuts = Arbitraries.integers().between(0, n).list()
                    .ofMaxSize(8).map(l -> l.stream().sorted().toList());
            Arbitrary<List<List<String>>> replacements = line.list().ofMaxSize(4).list()
                    .ofSize(4);
            return Combinators.combine(cuts, replacements).as((c, reps) -> {
                List<Region> regions = new ArrayList<>();
                for (int i = 0; i + 1 < c.size() && regions.size() < reps.size(); i += 2) {
                    List<String> lines = reps.get(regions.size());
                    if (c.get(i).equals(c.get(i + 1)) && lines.isEmpty()) {
                        continue; // an empty change
                    }
                    if (!regions.isEmpty() && regions.getLast().end() == c.get(i)
                            && regions.getLast().start() == c.get(i)) {
                        continue; // two insertions at one place: not a diff's shape
                    }
                    regions.add(new Region(c.get(i), c.get(i + 1), lines));
                }
                return new Case(original, regions);
            });
        });
    }

    @Property(tries = 500)
    void aDiffOfAnEditAppliesBackToTheEditedFile(@ForAll("cases") Case c) {
        List<String> edited = c.edited();
        String before = text(c.original());
        String after = text(edited);
        String diff = diff("f.txt", c.original(), c.regions());
        if (diff.isEmpty()) {
            assertThat(after).isEqualTo(before);
            return;
        }
        List<UnifiedDiff.FilePatch> patches = UnifiedDiff.parse(diff);
        assertThat(patches).hasSize(1);
        assertThat(UnifiedDiff.apply(patches.getFirst(), Optional.of(before)))
                .as("diff:\n%s", diff).contains(after);
    }

    @Property(tries = 200)
    void creatingAFileFromNothingGivesItsLines(@ForAll("cases") Case c) {
        List<String> lines = c.original();
        StringBuilder diff = new StringBuilder("--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,")
                .append(lines.size()).append(" @@\n");
        lines.forEach(l -> diff.append('+').append(l).append('\n'));
        if (lines.isEmpty()) {
            return;
        }
        assertThat(UnifiedDiff.apply(UnifiedDiff.parse(diff.toString()).getFirst(),
                Optional.empty())).contains(text(lines));
    }

    private static String text(List<String> lines) {
        return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
    }

    /** A unified diff with up to three lines of context, merging hunks whose context meets. */
    static String diff(String name, List<String> old, List<Region> regions) {
        StringBuilder out = new StringBuilder();
        int delta = 0;
        int i = 0;
        while (i < regions.size()) {
            int j = i;
            while (j + 1 < regions.size()
                    && regions.get(j + 1).start() - regions.get(j).end() <= 2 * CONTEXT) {
                j++;
            }
            int from = Math.max(0, regions.get(i).start() - CONTEXT);
            int to = Math.min(old.size(), regions.get(j).end() + CONTEXT);
            List<String> body = new ArrayList<>();
            int at = from;
            int growth = 0;
            for (int k = i; k <= j; k++) {
                Region r = regions.get(k);
                for (; at < r.start(); at++) {
                    body.add(" " + old.get(at));
                }
                for (; at < r.end(); at++) {
                    body.add("-" + old.get(at));
                }
                r.lines().forEach(l -> body.add("+" + l));
                growth += r.lines().size() - (r.end() - r.start());
            }
            for (; at < to; at++) {
                body.add(" " + old.get(at));
            }
            int oldCount = to - from;
            int newCount = oldCount + growth;
            int newFrom = from + delta;
            out.append("@@ -").append(oldCount == 0 ? from : from + 1).append(',').append(oldCount)
                    .append(" +").append(newCount == 0 ? newFrom : newFrom + 1).append(',')
                    .append(newCount).append(" @@\n");
            body.forEach(l -> out.append(l).append('\n'));
            delta += growth;
            i = j + 1;
        }
        return out.isEmpty() ? "" : "--- a/" + name + "\n+++ b/" + name + "\n" + out;
    }
}
