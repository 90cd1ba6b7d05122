package io.myriad.models;

import io.myriad.core.model.ToolDefinition;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The names under which the tools of one request travel on the wire, and back.
 *
 * <p>Myriad tool names may contain dots ({@code fs.read}, {@code mcp.crm.lookup}), but the Chat
 * Completions API accepts only function names matching {@code ^[a-zA-Z0-9_-]{1,64}$}. An offered
 * tool whose name already matches keeps it. Any other offered name has each character outside
 * {@code [a-zA-Z0-9_-]} replaced by {@code _}; when that result is empty, longer than 64
 * characters or the same as the wire name of another offered tool, it is cut to fit and gets a
 * {@code _} and 8 hex digits of the SHA-256 of the original name instead. So {@code a_b} and
 * {@code a.b} offered together become {@code a_b} and {@code a_b_<hash>}.
 *
 * <p>Invariants: the wire names of the offered tools are distinct and valid; the mapping is a
 * pure function of the list of offered tools, so the encoder and the decoder of one exchange
 * derive the same one. Names that were not offered (a past call to an unknown tool, a named tool
 * choice outside the list) are made wire-safe by the same rule, but never onto an offered tool's
 * wire name, and are not mapped back: a wire name that no offered tool has comes back unchanged,
 * so that the engine can report the unknown tool by the name the model used.
 */
final class ToolNames {
    /** The longest function name the Chat Completions API accepts. */
    static final int MAX_LENGTH = 64;

    private static final int HASH_HEX_DIGITS = 8;
    private static final ToolNames NONE = new ToolNames(Map.of(), Map.of());

    /** Offered Myriad name to wire name, and its inverse; both hold exactly the offered tools. */
    private final Map<String, String> toWire;
    private final Map<String, String> fromWire;

    private ToolNames(Map<String, String> toWire, Map<String, String> fromWire) {
        this.toWire = toWire;
        this.fromWire = fromWire;
    }

    /** The wire names of {@code offered}, the tools of one request. */
    static ToolNames of(List<ToolDefinition> offered) {
        Objects.requireNonNull(offered, "offered");
        if (offered.isEmpty()) {
            return NONE;
        }
        Set<String> names = new LinkedHashSet<>();
        offered.forEach(tool -> names.add(tool.name()));
        Map<String, String> toWire = new HashMap<>();
        Map<String, String> fromWire = new HashMap<>();
        // Valid names first: they keep their names, which are distinct because the names are.
        for (String name : names) {
            if (isValid(name)) {
                toWire.put(name, name);
                fromWire.put(name, name);
            }
        }
        if (toWire.size() == names.size()) {
            return new ToolNames(Map.copyOf(toWire), Map.copyOf(fromWire));
        }
        Map<String, Integer> sanitizedCount = new HashMap<>();
        names.forEach(name -> sanitizedCount.merge(sanitize(name), 1, Integer::sum));
        for (String name : names) {
            if (toWire.containsKey(name)) {
                continue;
            }
            String sanitized = sanitize(name);
            String wire = isValid(sanitized)
                            && sanitizedCount.get(sanitized) == 1
                            && !fromWire.containsKey(sanitized)
                    ? sanitized
                    : hashed(name, sanitized, fromWire.keySet());
            toWire.put(name, wire);
            fromWire.put(wire, name);
        }
        return new ToolNames(Map.copyOf(toWire), Map.copyOf(fromWire));
    }

    /** The wire name of {@code name}, offered or not. */
    String toWire(String name) {
        Objects.requireNonNull(name, "name");
        String wire = toWire.get(name);
        if (wire != null) {
            return wire;
        }
        String sanitized = sanitize(name);
        return isValid(sanitized) && !fromWire.containsKey(sanitized)
                ? sanitized
                : hashed(name, sanitized, fromWire.keySet());
    }

    /** The Myriad name of the offered tool called {@code wireName} on the wire, or {@code wireName} itself. */
    String fromWire(String wireName) {
        Objects.requireNonNull(wireName, "wireName");
        return fromWire.getOrDefault(wireName, wireName);
    }

    /** Whether {@code name} matches {@code [a-zA-Z0-9_-]{1,64}}. */
    private static boolean isValid(String name) {
        if (name.isEmpty() || name.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isSafe(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isSafe(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    }

    /** {@code name} with each code point outside {@code [a-zA-Z0-9_-]} replaced by {@code _}. */
    private static String sanitize(String name) {
        StringBuilder safe = new StringBuilder(name.length());
        name.codePoints().forEach(c -> safe.append(isSafe(c) ? (char) c : '_'));
        return safe.toString();
    }

    /** The sanitized name cut to fit a hash suffix, rehashed in the unlikely case it is already taken. */
    private static String hashed(String name, String sanitized, Set<String> taken) {
        for (int attempt = 0; ; attempt++) {
            String suffix = "_" + hash(attempt == 0 ? name : name + "#" + attempt);
            String wire = sanitized.substring(0, Math.min(sanitized.length(), MAX_LENGTH - suffix.length())) + suffix;
            if (!taken.contains(wire)) {
                return wire;
            }
        }
    }

    private static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, HASH_HEX_DIGITS / 2);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java platform provides SHA-256.", e);
        }
    }
}
