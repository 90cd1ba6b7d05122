package io.myriad.core.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * API keys: 32 random bytes, shown once, stored only as their SHA-256. A key reads
 * {@code myr_<id>_<secret>}; the id ({@code k_} and 10 hex digits) names the key in listings,
 * the journal and the audit log without revealing it.
 */
public final class ApiKeys {
    private static final Pattern SHAPE = Pattern.compile("myr_(k_[0-9a-f]{10})_[A-Za-z0-9_-]{43}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {}

    /** A new key and what may be stored of it. */
    public record Issued(String key, String id, String hash) {
        @Override
        public String toString() {
            return "Issued[id=" + id + "]"; // never the key itself
        }
    }

    public static Issued issue() {
        byte[] idBytes = new byte[5];
        byte[] secret = new byte[32];
        RANDOM.nextBytes(idBytes);
        RANDOM.nextBytes(secret);
        String id = "k_" + HexFormat.of().formatHex(idBytes);
        String key = "myr_" + id + "_" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        return new Issued(key, id, hash(key));
    }

    /** SHA-256 of the key, in hex: what the store keeps and looks keys up by. */
    public static String hash(String key) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Whether {@code text} has the shape of a key (not whether it is valid). */
    public static boolean looksLikeKey(String text) {
        return SHAPE.matcher(text).matches();
    }

    /** The principal id of a key ({@code key:k_...}). */
    public static String principalId(String keyId) {
        return "key:" + keyId;
    }
}
