package io.myriad.cli.fleet;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The keys of one mapping in a fleet file: rejects keys outside the allowed set (with a
 * suggestion for likely misspellings) and reads the allowed ones with type checks.
 */
final class Fields {
    private final Node.Mapping mapping;
    private final String what;
    private final int line;
    private final int column;
    private final Problems problems;

    private Fields(Node.Mapping mapping, String what, int line, int column, Problems problems) {
        this.mapping = mapping;
        this.what = what;
        this.line = line;
        this.column = column;
        this.problems = problems;
    }

    /**
     * Checks {@code mapping}'s keys against {@code allowed}, reporting each unknown one.
     *
     * @param what  names the mapping in messages, e.g. {@code agent 'writer'}
     * @param owner where a missing key is reported: the key holding the mapping, or the mapping
     */
    static Fields of(Node.Mapping mapping, String what, Owner owner, Problems problems, List<String> allowed) {
        for (Node.Entry entry : mapping.entries().values()) {
            if (!allowed.contains(entry.key())) {
                problems.atKey(entry, "unknown key '" + entry.key() + "'; expected one of: "
                        + String.join(", ", allowed) + Suggestions.hint(entry.key(), allowed));
            }
        }
        return new Fields(mapping, what, owner.line(), owner.column(), problems);
    }

    /** A location to report missing keys at. */
    record Owner(int line, int column) {
        static Owner of(Node node) {
            return new Owner(node.line(), node.column());
        }

        static Owner of(Node.Entry entry) {
            return new Owner(entry.line(), entry.column());
        }
    }

    Optional<Node> get(String key) {
        return mapping.entry(key).map(Node.Entry::value);
    }

    Optional<Node.Entry> entry(String key) {
        return mapping.entry(key);
    }

    /** The value of {@code key}, reporting its absence. */
    Optional<Node> required(String key) {
        Optional<Node> node = get(key);
        if (node.isEmpty()) {
            problems.at(line, column, what + " is missing the required key '" + key + "'");
        }
        return node;
    }

    Optional<String> string(String key) {
        return get(key).flatMap(n -> Values.string(n, problems));
    }

    Optional<Long> integer(String key, long min, long max) {
        return get(key).flatMap(n -> Values.integer(n, min, max, problems));
    }

    Optional<Double> number(String key, double min, double max) {
        return get(key).flatMap(n -> Values.number(n, min, max, problems));
    }

    Optional<Boolean> bool(String key) {
        return get(key).flatMap(n -> Values.bool(n, problems));
    }

    Optional<Duration> duration(String key, boolean zeroAllowed) {
        return get(key).flatMap(n -> Values.duration(n, zeroAllowed, problems));
    }

    Optional<Node.Mapping> mapping(String key) {
        return get(key).flatMap(n -> Values.mapping(n, problems));
    }
}
