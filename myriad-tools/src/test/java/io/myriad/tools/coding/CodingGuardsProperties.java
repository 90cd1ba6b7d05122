package io.myriad.tools.coding;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.tools.CommandGuard;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Commands made only of safe programs and arguments are never refused, however combined. */
class CodingGuardsProperties {
    private static final List<String> PROGRAMS = List.of("ls", "cat", "echo", "grep", "make",
            "pytest", "python -m pytest", "head", "wc -l", "git status", "git diff", "sort",
            "diff", "mvn -q -o test", "rm -f", "rm -rf", "find", "sed -n 1p", "npm test");
    private static final List<String> ARGS = List.of("src/main.py", "-la", "build", "README.md",
            "'curl x'", "\"rm -rf .\"", ".gitignore", "out/*.o", "-name '*.pyc'", "tests",
            "\"$HOME/notes\"", "~/cache", "-q", "2>/dev/null", "> out.txt", "wget.md");
    private static final List<String> JOINS = List.of(" && ", " ; ", " | ", " || ", "\n");

    private final CommandGuard guard = CodingGuards.forCoding(false);

    @Property
    void safeCommandsAreNeverRefused(@ForAll("commands") String command) {
        assertThat(guard.refusal(command, CodingGuardsTest.CONTEXT)).as(command).isEmpty();
    }

    @Provide
    Arbitrary<String> commands() {
        Arbitrary<String> simple = Arbitraries.of(PROGRAMS).flatMap(p -> Arbitraries.of(ARGS)
                .list().ofMinSize(1).ofMaxSize(3).map(a -> p + " " + String.join(" ", a)));
        return Arbitraries.of(JOINS).list().ofMinSize(0).ofMaxSize(3).flatMap(joins ->
                simple.list().ofSize(joins.size() + 1).map(parts -> {
                    StringBuilder s = new StringBuilder(parts.getFirst());
                    for (int i = 0; i < joins.size(); i++) {
                        s.append(joins.get(i)).append(parts.get(i + 1));
                    }
                    return s.toString();
                }));
    }
}
