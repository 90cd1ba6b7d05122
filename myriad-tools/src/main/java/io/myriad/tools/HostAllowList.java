package io.myriad.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The hosts {@code http_get} may reach. An entry is an exact host name or IP address
 * ({@code api.example.com}, {@code 127.0.0.1}, {@code ::1}), or {@code *.example.com} for any
 * subdomain of example.com at any depth (not example.com itself). Matching ignores case and a
 * trailing dot. An empty list allows nothing.
 */
final class HostAllowList {
    private static final Pattern VALID = Pattern.compile(
            "(\\*\\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?|[0-9a-f:.]+");

    private final List<String> entries;

    private HostAllowList(List<String> entries) {
        this.entries = entries;
    }

    /**
     * Normalises and checks the entries.
     *
     * @throws IllegalArgumentException naming the first malformed entry
     */
    static HostAllowList of(List<String> hosts) {
        List<String> entries = new ArrayList<>();
        for (String host : hosts) {
            String entry = normalise(host);
            if (entry.isEmpty() || !VALID.matcher(entry).matches()) {
                throw new IllegalArgumentException("http.allow_hosts entry '" + host + "' is not "
                        + "a host name: write a name such as api.example.com or *.example.com, "
                        + "or an IP address, without scheme, port or path");
            }
            entries.add(entry);
        }
        return new HostAllowList(List.copyOf(entries));
    }

    /** Lower case, without IPv6 brackets and without a trailing dot. */
    static String normalise(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    boolean allows(String host) {
        String h = normalise(host);
        for (String entry : entries) {
            if (entry.startsWith("*.")
                    ? h.endsWith(entry.substring(1)) && h.length() > entry.length() - 1
                    : h.equals(entry)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return String.join(", ", entries);
    }
}
