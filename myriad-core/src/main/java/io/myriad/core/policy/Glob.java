package io.myriad.core.policy;

import java.util.regex.Pattern;

/**
 * Glob patterns compiled to regular expressions. In a path glob {@code *} and {@code ?} stay
 * within one segment, {@code **} crosses segments and {@code **}{@code /} also matches no
 * segment; in a name glob (tools, hosts, commands) {@code *} matches anything.
 */
final class Glob {
    private Glob() {}

    static Pattern path(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                if (i + 2 < glob.length() && glob.charAt(i + 2) == '/') {
                    re.append("(?:.*/)?");
                    i += 2;
                } else {
                    re.append(".*");
                    i++;
                }
            } else if (c == '*') {
                re.append("[^/]*");
            } else if (c == '?') {
                re.append("[^/]");
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    /** Whether {@code s} matches name glob {@code glob}; plain names and {@code prefix*} skip the regex. */
    static boolean matchesName(String glob, String s) {
        int star = glob.indexOf('*');
        if (glob.indexOf('?') < 0 && (star < 0 || star == glob.length() - 1)) {
            return star < 0 ? glob.equals(s) : s.startsWith(glob.substring(0, star));
        }
        return name(glob).matcher(s).matches();
    }

    static Pattern name(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    /**
     * A relative path with {@code .} segments and doubled or leading slashes removed and
     * {@code ..} applied, so {@code src/../.env} is judged as {@code .env}. A path that climbs
     * above its start keeps its leading {@code ..} segments.
     */
    static String normalize(String path) {
        String p = path.replace('\\', '/');
        boolean absolute = p.startsWith("/");
        java.util.ArrayDeque<String> out = new java.util.ArrayDeque<>();
        for (String seg : p.split("/")) {
            if (seg.isEmpty() || seg.equals(".")) {
                continue;
            }
            if (seg.equals("..") && !out.isEmpty() && !out.peekLast().equals("..")) {
                out.pollLast();
            } else if (!(seg.equals("..") && absolute)) {
                out.addLast(seg);
            }
        }
        return (absolute ? "/" : "") + String.join("/", out);
    }
}
