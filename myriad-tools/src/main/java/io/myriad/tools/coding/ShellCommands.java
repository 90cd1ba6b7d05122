package io.myriad.tools.coding;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a command line as text, the way the coding guards need it: the simple commands it is
 * made of, each with its program, arguments and redirection targets.
 *
 * <p>Notes. No shell expansion happens: variables, globs and {@code ~} stay as written. The line
 * is cut at every separator ({@code ; & && || | ( ) { } `} and {@code $(}), even inside quotes:
 * a quoted separator then splits a word, which errs towards reading more commands, not fewer.
 * Leading assignments ({@code FOO=1}) and wrappers that run the next word ({@code sudo},
 * {@code env}, {@code xargs}, {@code timeout 5}...) are skipped, with their options. The script
 * of {@code sh -c}, {@code bash -c} and {@code eval} is read as commands too.
 */
final class ShellCommands {
    /** One simple command: its text, what it redirects into, its program (file name only). */
    record Command(String text, List<String> redirects, String program, List<String> args) {
        boolean hasProgram() {
            return !program.isEmpty();
        }
    }

    /** Words that run the next word as the program. */
    private static final Set<String> WRAPPERS = Set.of("sudo", "env", "command", "nohup", "time",
            "nice", "exec", "builtin", "xargs", "timeout", "doas", "stdbuf", "ionice", "chroot",
            "unbuffer");
    private static final Set<String> SHELLS = Set.of("sh", "bash", "dash", "zsh", "ksh");
    private static final int MAX_DEPTH = 4;

    private static final Pattern SEPARATORS = Pattern.compile("&&|\\|\\||[;&|\\n()`{}]|\\$\\(");
    private static final Pattern REDIRECT = Pattern.compile(
            "(?:\\d*|&)>{1,2}\\|?\\s*(\"[^\"]*\"|'[^']*'|[^\\s;&|<>()]+)");
    /** {@code ${NAME}}, read as {@code $NAME} so that its braces do not split the command. */
    private static final Pattern BRACED_VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
    private static final Pattern DURATION = Pattern.compile("[0-9.]+[smhd]?");
    private static final Pattern ASSIGNMENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*=.*");

    private ShellCommands() {}

    /** The simple commands of {@code line}, in order, without empty ones. */
    static List<Command> parse(String line) {
        List<Command> out = new ArrayList<>();
        parse(line, 0, out);
        return out;
    }

    private static void parse(String line, int depth, List<Command> out) {
        for (String part : SEPARATORS.split(BRACED_VARIABLE.matcher(line.replace(">|", ">"))
                .replaceAll("\\$$1"))) {
            String segment = part.strip();
            if (segment.isEmpty()) {
                continue;
            }
            List<String> redirects = new ArrayList<>();
            Matcher r = REDIRECT.matcher(segment);
            while (r.find()) {
                redirects.add(unquote(r.group(1)));
            }
            List<String> words = words(REDIRECT.matcher(segment).replaceAll(" "));
            int i = programIndex(words);
            String program = i < words.size()
                    ? words.get(i).substring(words.get(i).lastIndexOf('/') + 1) : "";
            List<String> args = i < words.size() ? List.copyOf(words.subList(i + 1, words.size()))
                    : List.of();
            out.add(new Command(segment, List.copyOf(redirects), program, args));
            if (depth < MAX_DEPTH) {
                script(program, args).ifPresent(s -> parse(s, depth + 1, out));
            }
        }
    }

    /** The index of the program among {@code words}: after assignments and wrappers. */
    private static int programIndex(List<String> words) {
        int i = 0;
        boolean wrapped = false; // after sudo, env, nice...: skip their options and numbers
        while (i < words.size()) {
            String w = words.get(i);
            if (WRAPPERS.contains(w)) {
                wrapped = true;
            } else if (!ASSIGNMENT.matcher(w).matches()
                    && !(wrapped && (w.startsWith("-") || DURATION.matcher(w).matches()))) {
                break;
            }
            i++;
        }
        return i;
    }

    /** The script a shell runs from its arguments ({@code bash -c 'script'}, {@code eval}). */
    private static Optional<String> script(String program, List<String> args) {
        if (program.equals("eval") && !args.isEmpty()) {
            return Optional.of(String.join(" ", args));
        }
        if (SHELLS.contains(program)) {
            for (int k = 0; k + 1 < args.size(); k++) {
                String a = args.get(k);
                if (!a.startsWith("-")) {
                    break;
                }
                if (!a.startsWith("--") && a.indexOf('c') > 0) {
                    return Optional.of(args.get(k + 1));
                }
            }
        }
        return Optional.empty();
    }

    /** Splits on blanks outside quotes and removes the quotes. */
    static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        char quote = 0;
        boolean inWord = false;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    w.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && k + 1 < s.length()) {
                w.append(s.charAt(++k));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
            } else {
                w.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            out.add(w.toString());
        }
        return out;
    }

    private static String unquote(String s) {
        List<String> w = words(s);
        return w.isEmpty() ? s : w.getFirst();
    }
}
