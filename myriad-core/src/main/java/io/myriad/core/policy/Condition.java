package io.myriad.core.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A condition on one argument of a tool call, written in a rule's {@code when} as
 * {@code key: value}; {@link #of} reads one. A condition on an argument the call lacks, or of
 * the wrong type, does not hold.
 */
public sealed interface Condition {

    /** The argument the condition reads. */
    String argument();

    /** Whether the condition holds for {@code arguments}, and why in a few words. */
    Check test(JsonNode arguments);

    /** The outcome of a test: whether it holds, and why (e.g. {@code path .env matches '**}{@code /.env'}). */
    record Check(boolean holds, String why) {}

    /**
     * Reads {@code key: value} of a rule's {@code when}:
     * <ul>
     *   <li>{@code url_host: "*.example.com"} (any key ending {@code _host}): the host of the URL in
     *       argument {@code url}; {@code *.} matches any subdomain;
     *   <li>{@code amount: "< 500"} (a string starting {@code <, <=, >, >=, ==, !=} and a number):
     *       a numeric comparison;
     *   <li>{@code path: "src/**"} (key {@code path} or ending {@code _path}): a path glob, the
     *       path normalized first;
     *   <li>{@code command: "rm -rf *"} (key {@code command} or ending {@code _command}): a glob in
     *       which {@code *} matches anything, or a regular expression written {@code re:...} that
     *       must occur somewhere in the command;
     *   <li>anything else: equality with the scalar given (a string with {@code *} is a glob).
     * </ul>
     *
     * @throws IllegalArgumentException saying what was expected, when the value cannot be read
     */
    static Condition of(String key, JsonNode value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (!value.isValueNode() || value.isNull()) {
            throw new IllegalArgumentException("expected a string, number or boolean for condition '" + key + "'");
        }
        String text = value.asText();
        if (key.endsWith("_host") && key.length() > "_host".length()) {
            if (!value.isTextual() || text.isBlank()) {
                throw new IllegalArgumentException("expected a host pattern such as \"*.example.com\" for '" + key + "'");
            }
            return new HostPattern(key.substring(0, key.length() - "_host".length()), text.strip().toLowerCase(Locale.ROOT));
        }
        if (value.isTextual() && Comparison.looksLike(text)) {
            return Comparison.parse(key, text);
        }
        if (value.isTextual() && (key.equals("path") || key.endsWith("_path"))) {
            return new PathGlob(key, text, Glob.path(Glob.normalize(text)));
        }
        if (value.isTextual() && (key.equals("command") || key.endsWith("_command"))) {
            return CommandPattern.parse(key, text);
        }
        if (value.isTextual() && (text.contains("*") || text.contains("?"))) {
            return new CommandPattern(key, text, Glob.name(text), false);
        }
        return new Equals(key, value.deepCopy());
    }

    /** A path glob on a string argument. */
    record PathGlob(String argument, String glob, Pattern pattern) implements Condition {
        @Override
        public Check test(JsonNode arguments) {
            JsonNode v = arguments.get(argument);
            if (v == null || !v.isTextual()) {
                return new Check(false, argument + " is not given");
            }
            String path = Glob.normalize(v.asText());
            boolean holds = pattern.matcher(path).matches();
            return new Check(holds, argument + " " + path + (holds ? " matches '" : " does not match '") + glob + "'");
        }
    }

    /** A host pattern on the URL in a string argument. */
    record HostPattern(String argument, String pattern) implements Condition {
        @Override
        public Check test(JsonNode arguments) {
            JsonNode v = arguments.get(argument);
            if (v == null || !v.isTextual()) {
                return new Check(false, argument + " is not given");
            }
            String host;
            try {
                host = URI.create(v.asText().strip()).getHost();
            } catch (IllegalArgumentException e) {
                host = null;
            }
            if (host == null) {
                return new Check(false, argument + " has no host");
            }
            host = host.toLowerCase(Locale.ROOT);
            if (host.endsWith(".")) {
                host = host.substring(0, host.length() - 1);
            }
            boolean holds = pattern.startsWith("*.")
                    ? host.endsWith(pattern.substring(1)) && host.length() > pattern.length() - 1
                    : host.equals(pattern);
            return new Check(holds, "host " + host + (holds ? " matches '" : " does not match '") + pattern + "'");
        }
    }

    /** A glob (where {@code *} matches anything) or a regular expression found anywhere. */
    record CommandPattern(String argument, String written, Pattern pattern, boolean regex) implements Condition {
        static CommandPattern parse(String key, String text) {
            if (text.startsWith("re:")) {
                try {
                    return new CommandPattern(key, text, Pattern.compile(text.substring(3)), true);
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException("expected a regular expression after 're:' for '" + key + "': "
                            + e.getDescription());
                }
            }
            return new CommandPattern(key, text, Glob.name(text.strip()), false);
        }

        @Override
        public Check test(JsonNode arguments) {
            JsonNode v = arguments.get(argument);
            if (v == null || !v.isValueNode() || v.isNull()) {
                return new Check(false, argument + " is not given");
            }
            String s = v.asText();
            boolean holds = regex ? pattern.matcher(s).find() : pattern.matcher(s.strip()).matches();
            return new Check(holds, argument + " '" + abbreviate(s) + (holds ? "' matches '" : "' does not match '") + written + "'");
        }
    }

    /** A numeric comparison such as {@code < 500}. */
    record Comparison(String argument, String operator, BigDecimal bound) implements Condition {
        private static final Pattern FORM = Pattern.compile("\\s*(<=|>=|==|!=|<|>)\\s*([-+]?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?)\\s*");

        static boolean looksLike(String text) {
            String s = text.strip();
            return s.startsWith("<") || s.startsWith(">") || s.startsWith("==") || s.startsWith("!=");
        }

        static Comparison parse(String key, String text) {
            var m = FORM.matcher(text);
            if (!m.matches()) {
                throw new IllegalArgumentException("expected a comparison such as \"< 500\", \">= 10\" or \"== 3\" for '"
                        + key + "'");
            }
            return new Comparison(key, m.group(1), new BigDecimal(m.group(2)));
        }

        @Override
        public Check test(JsonNode arguments) {
            JsonNode v = arguments.get(argument);
            BigDecimal n;
            if (v != null && v.isNumber()) {
                n = v.decimalValue();
            } else if (v != null && v.isTextual()) {
                try {
                    n = new BigDecimal(v.asText().strip());
                } catch (NumberFormatException e) {
                    return new Check(false, argument + " is not a number");
                }
            } else {
                return new Check(false, argument + " is not given");
            }
            int c = n.compareTo(bound);
            boolean holds = switch (operator) {
                case "<" -> c < 0;
                case "<=" -> c <= 0;
                case ">" -> c > 0;
                case ">=" -> c >= 0;
                case "==" -> c == 0;
                default -> c != 0;
            };
            return new Check(holds, argument + " " + n.toPlainString() + (holds ? " is " : " is not ") + operator + " "
                    + bound.toPlainString());
        }
    }

    /** Equality with a scalar (numbers compared by value). */
    record Equals(String argument, JsonNode value) implements Condition {
        @Override
        public Check test(JsonNode arguments) {
            JsonNode v = arguments.get(argument);
            if (v == null) {
                return new Check(false, argument + " is not given");
            }
            boolean holds = v.isNumber() && value.isNumber()
                    ? v.decimalValue().compareTo(value.decimalValue()) == 0
                    : v.equals(value);
            return new Check(holds, argument + " " + abbreviate(v.toString()) + (holds ? " equals " : " does not equal ") + value);
        }
    }

    private static String abbreviate(String s) {
        String one = s.replace("\n", "\\n");
        return one.length() <= 80 ? one : one.substring(0, 77) + "...";
    }
}
