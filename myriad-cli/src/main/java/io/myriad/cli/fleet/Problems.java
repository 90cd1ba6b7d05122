package io.myriad.cli.fleet;

import io.myriad.cli.fleet.FleetFileException.Problem;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects the problems of one load. Each instance reports against one file; {@link #in(String)}
 * gives a view on another file that shares the same list. Not thread-safe: a load is one thread.
 */
final class Problems {
    private final String file;
    private final Sink sink;

    Problems(String file) {
        this(file, new Sink());
    }

    private Problems(String file, Sink sink) {
        this.file = file;
        this.sink = sink;
        sink.fileOrder.putIfAbsent(file, sink.fileOrder.size());
    }

    /** A reporter for {@code otherFile} sharing this one's list. */
    Problems in(String otherFile) {
        return new Problems(otherFile, sink);
    }

    String file() {
        return file;
    }

    void at(int line, int column, String message) {
        sink.problems.add(new Problem(file, Math.max(1, line), Math.max(1, column), message));
    }

    void at(Node node, String message) {
        at(node.line(), node.column(), message);
    }

    void atKey(Node.Entry entry, String message) {
        at(entry.line(), entry.column(), message);
    }

    /** {@code file:line:column} of a node, to name another location in a message. */
    String where(Node node) {
        return file + ":" + node.line() + ":" + node.column();
    }

    boolean isEmpty() {
        return sink.problems.isEmpty();
    }

    int count() {
        return sink.problems.size();
    }

    /** The problems so far, in file order (the fleet file first), then by line and column. */
    FleetFileException exception() {
        List<Problem> sorted = new ArrayList<>(sink.problems);
        sorted.sort(Comparator.<Problem>comparingInt(p -> sink.fileOrder.get(p.file()))
                .thenComparingInt(Problem::line)
                .thenComparingInt(Problem::column));
        return new FleetFileException(sorted);
    }

    private static final class Sink {
        final List<Problem> problems = new ArrayList<>();
        final Map<String, Integer> fileOrder = new LinkedHashMap<>();
    }
}
