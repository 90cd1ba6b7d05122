package io.myriad.cli.fleet;

import io.myriad.core.MyriadException;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A fleet file (or its tasks file) is invalid. Carries every problem found, not just the first,
 * so the user can fix them all in one pass. Editing the file is the only remedy: never retriable.
 *
 * <p>The message lists each problem on its own line as {@code file:line:column: message}, the form
 * editors and terminals turn into links.
 */
public final class FleetFileException extends MyriadException {
    private static final long serialVersionUID = 1L;

    /** The problems, ordered by file, then line, then column; never empty. */
    private final List<Problem> problems;

    /**
     * Creates the exception.
     *
     * @param problems what is wrong, at least one
     * @throws IllegalArgumentException if {@code problems} is empty
     */
    public FleetFileException(List<Problem> problems) {
        super(render(problems), false);
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, ordered by file, line and column; never empty. */
    public List<Problem> problems() {
        return problems;
    }

    private static String render(List<Problem> problems) {
        Objects.requireNonNull(problems, "problems");
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a FleetFileException needs at least one problem");
        }
        return problems.stream().map(Problem::toString).collect(Collectors.joining("\n"));
    }

    /**
     * One thing wrong with a fleet file or its tasks file.
     *
     * @param file    the file as the user named it (or as resolved against the fleet file)
     * @param line    1-based line of the offending key or value
     * @param column  1-based column of the offending key or value
     * @param message what is wrong and what is expected instead
     */
    public record Problem(String file, int line, int column, String message) {
        public Problem {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(message, "message");
            if (line < 1 || column < 1) {
                throw new IllegalArgumentException("line and column are 1-based");
            }
        }

        /** {@code file:line:column: message}. */
        @Override
        public String toString() {
            return file + ":" + line + ":" + column + ": " + message;
        }
    }
}
