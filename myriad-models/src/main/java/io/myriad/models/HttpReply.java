package io.myriad.models;

import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A complete HTTP response as the provider needs it, whichever transport fetched it: the status,
 * a case-insensitive lookup of the first value of a header, and the body's bytes.
 */
record HttpReply(int status, Function<String, Optional<String>> headers, byte[] body) {
    HttpReply {
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(body, "body");
    }

    /** A reply whose headers are those of the JDK's client. */
    static HttpReply of(int status, HttpHeaders headers, byte[] body) {
        return new HttpReply(status, headers::firstValue, body);
    }

    /** The body as text, for error messages; decoded as UTF-8. */
    String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /**
     * The header fields of one response, in the order received. Names compare case-insensitively;
     * the first value of a name wins, as with {@link HttpHeaders#firstValue}.
     */
    static final class Fields implements Function<String, Optional<String>> {
        private String[] names = new String[8];
        private String[] values = new String[8];
        private int size;

        void add(String name, String value) {
            if (size == names.length) {
                names = Arrays.copyOf(names, size * 2);
                values = Arrays.copyOf(values, size * 2);
            }
            names[size] = name;
            values[size] = value;
            size++;
        }

        /** The first value of the field {@code name}, whatever the case of either. */
        Optional<String> firstValue(String name) {
            for (int i = 0; i < size; i++) {
                if (names[i].equalsIgnoreCase(name)) {
                    return Optional.of(values[i]);
                }
            }
            return Optional.empty();
        }

        /** Whether any value of the field {@code name} lists {@code token} (comma-separated, any case). */
        boolean hasToken(String name, String token) {
            for (int i = 0; i < size; i++) {
                if (names[i].equalsIgnoreCase(name)) {
                    for (String part : values[i].split(",")) {
                        if (part.strip().equalsIgnoreCase(token)) {
                            return true;
                        }
                    }
                }
            }
            return false;
        }

        /** The last comma-separated token of the field {@code name}'s last value, in lower case; empty when absent. */
        String lastToken(String name) {
            for (int i = size - 1; i >= 0; i--) {
                if (names[i].equalsIgnoreCase(name)) {
                    String value = values[i];
                    return value.substring(value.lastIndexOf(',') + 1).strip().toLowerCase(Locale.ROOT);
                }
            }
            return "";
        }

        /** Every value of the field {@code name}. */
        String[] all(String name) {
            String[] found = new String[size];
            int count = 0;
            for (int i = 0; i < size; i++) {
                if (names[i].equalsIgnoreCase(name)) {
                    found[count++] = values[i];
                }
            }
            return Arrays.copyOf(found, count);
        }

        @Override
        public Optional<String> apply(String name) {
            return firstValue(name);
        }
    }
}
