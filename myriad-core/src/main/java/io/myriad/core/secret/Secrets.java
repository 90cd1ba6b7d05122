package io.myriad.core.secret;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The resolved secrets of one fleet, by name, and the {@link Redactor} that keeps their values
 * out of everything journaled, logged or shown.
 *
 * <p>Notes: the redactor replaces the value itself and the forms it commonly takes in tool
 * output: Base64 (standard and URL-safe, with and without padding), URL-encoded, JSON-escaped,
 * and the part of a Base64 text that encodes the value whatever precedes it (as in an HTTP
 * Basic {@code user:secret} header echoed back), which leaves a few characters of the
 * surrounding encoding beside the marker. Longer forms are replaced first, so a secret that
 * contains another is named by itself. Values shorter than {@link #MIN_REDACTED_LENGTH} are
 * not redacted (replacing "abc" everywhere would corrupt output): {@link #warnings()} says so.
 * {@link #toString()} shows names only.
 */
public final class Secrets {
    /** Values shorter than this are injected but not redacted. */
    public static final int MIN_REDACTED_LENGTH = 6;

    /** A reference to a secret inside a tool argument, e.g. an HTTP header: {@code {{secret:NAME}}}. */
    public static final Pattern REFERENCE = Pattern.compile("\\{\\{\\s*secret:([A-Za-z_][A-Za-z0-9_]*)\\s*}}");

    /** A secret's name: a letter or '_', then letters, digits or '_'. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

    private static final Secrets NONE = new Secrets(Map.of());

    private final Map<String, String> values;
    private final List<Form> forms;
    private final List<String> warnings;

    private record Form(String text, String marker) {}

    private Secrets(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        List<Form> found = new ArrayList<>();
        List<String> warned = new ArrayList<>();
        this.values.forEach((name, value) -> {
            if (value.length() < MIN_REDACTED_LENGTH) {
                warned.add("secret " + name + " is shorter than " + MIN_REDACTED_LENGTH + " characters, so it is not "
                        + "redacted from tool output (replacing so short a text everywhere would corrupt it); "
                        + "use a longer value");
                return;
            }
            encodings(value).forEach(text -> found.add(new Form(text, "[secret:" + name + "]")));
        });
        found.sort(Comparator.comparingInt((Form f) -> f.text().length()).reversed());
        this.forms = List.copyOf(found);
        this.warnings = List.copyOf(warned);
    }

    /** No secrets; its redactor changes nothing. */
    public static Secrets none() {
        return NONE;
    }

    /**
     * The secrets {@code values}, by name.
     *
     * @throws IllegalArgumentException when a name is not a valid secret name
     */
    public static Secrets of(Map<String, String> values) {
        Objects.requireNonNull(values, "values");
        values.forEach((name, value) -> {
            Objects.requireNonNull(value, "value of secret " + name);
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("'" + name + "' is not a secret name: expected a letter or '_', "
                        + "then letters, digits or '_'");
            }
        });
        return values.isEmpty() ? NONE : new Secrets(values);
    }

    /** The names of the secrets, in declaration order. */
    public Set<String> names() {
        return values.keySet();
    }

    /** The value of secret {@code name}, if the fleet declares it. */
    public Optional<String> value(String name) {
        return Optional.ofNullable(values.get(Objects.requireNonNull(name, "name")));
    }

    /** Why some values are not redacted (too short), one line per secret; empty when all are. */
    public List<String> warnings() {
        return warnings;
    }

    /** Replaces every form of every secret value in a text by {@code [secret:NAME]}. */
    public Redactor redactor() {
        return forms.isEmpty() ? Redactor.NONE : this::redact;
    }

    private String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = text;
        for (Form f : forms) {
            if (out.contains(f.text())) {
                out = out.replace(f.text(), f.marker());
            }
        }
        return out;
    }

    /**
     * {@code text} with every {@code {{secret:NAME}}} replaced by the secret's value: done by a
     * tool at its edge, just before the value leaves the process.
     *
     * @throws SecretException naming an unknown secret and the declared ones (never a value)
     */
    public String expand(String text) {
        Objects.requireNonNull(text, "text");
        Matcher m = REFERENCE.matcher(text);
        if (!m.find()) {
            return text;
        }
        StringBuilder out = new StringBuilder();
        do {
            String name = m.group(1);
            String value = values.get(name);
            if (value == null) {
                throw new SecretException("{{secret:" + name + "}} names no secret of this fleet; "
                        + (values.isEmpty() ? "the fleet declares no secrets (add them under `secrets` in the fleet file)"
                        : "its secrets are: " + String.join(", ", values.keySet())));
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        } while (m.find());
        m.appendTail(out);
        return out.toString();
    }

    /** The names a text refers to with {@code {{secret:NAME}}}. */
    public static Set<String> references(String text) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = REFERENCE.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The forms a value takes in output, itself first. */
    static Set<String> encodings(String value) {
        Set<String> forms = new LinkedHashSet<>();
        forms.add(value);
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        for (Base64.Encoder e : List.of(Base64.getEncoder(), Base64.getUrlEncoder())) {
            String padded = e.encodeToString(bytes);
            forms.add(padded);
            forms.add(padded.replace("=", ""));
            // The characters that encode the value alone, at each of the three alignments it can
            // have inside a longer Base64 text (such as "user:secret" in a Basic header).
            for (int shift = 0; shift < 3; shift++) {
                byte[] shifted = new byte[shift + bytes.length];
                System.arraycopy(bytes, 0, shifted, shift, bytes.length);
                String encoded = e.encodeToString(shifted);
                int from = new int[] {0, 2, 3}[shift];
                int to = (shifted.length / 3) * 4;
                if (to - from >= 8) {
                    forms.add(encoded.substring(from, to));
                }
            }
        }
        forms.add(URLEncoder.encode(value, StandardCharsets.UTF_8));
        forms.add(URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20"));
        forms.add(value.replace("\\", "\\\\").replace("\"", "\\\"").replace("/", "\\/"));
        forms.add(value.replace("\\", "\\\\").replace("\"", "\\\""));
        forms.removeIf(String::isEmpty);
        return forms;
    }

    @Override
    public String toString() {
        return "Secrets" + values.keySet();
    }
}
