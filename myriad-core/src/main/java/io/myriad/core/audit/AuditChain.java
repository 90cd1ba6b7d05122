package io.myriad.core.audit;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * The chain rule of the audit log and a streaming verifier.
 *
 * <p>Notes. {@code hash_n = SHA-256(raw(prev_n) || canonical(record_n))} where {@code prev_n} is
 * {@code hash_{n-1}} and the genesis prev is 64 zeros. The canonical encoding is the sequence
 * number and the time as 8-byte big-endian integers, then tenant, actor, action, subject and
 * details, each as a 4-byte length and its UTF-8 bytes: unambiguous, and independent of any JSON
 * library. Because the sequence number is hashed, a record moved to another place no longer
 * matches; because each record names its predecessor's hash, a record removed, inserted or
 * swapped breaks the link of the record after it. A rewrite of the whole tail from some point
 * on (every hash recomputed) is only caught against a head hash kept elsewhere.
 *
 * <p>Not thread-safe: one instance per writer or per verification.
 */
public final class AuditChain {
    /** The prev of the first record. */
    public static final String GENESIS = "0".repeat(64);

    private static final HexFormat HEX = HexFormat.of();

    private final MessageDigest sha256;
    private ByteBuffer buffer = ByteBuffer.allocate(1024);

    private AuditChain() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    /** A chain hasher (holds a digest and a buffer it reuses). */
    public static AuditChain create() {
        return new AuditChain();
    }

    /** The hash of the record with these contents at {@code seq} after {@code prev}, as 64 hex digits. */
    public String hash(long seq, String prev, AuditEntry e) {
        if (prev.length() != 64) {
            throw new IllegalArgumentException("a prev hash is 64 hex digits, got " + prev.length() + " characters");
        }
        byte[][] fields = {bytes(e.tenant()), bytes(e.actor()), bytes(e.action()), bytes(e.subject()), bytes(e.details())};
        int size = 32 + 16;
        for (byte[] f : fields) {
            size += 4 + f.length;
        }
        if (buffer.capacity() < size) {
            buffer = ByteBuffer.allocate(Math.max(size, buffer.capacity() * 2));
        }
        buffer.clear();
        buffer.put(HEX.parseHex(prev.toLowerCase(Locale.ROOT)));
        buffer.putLong(seq).putLong(e.at());
        for (byte[] f : fields) {
            buffer.putInt(f.length).put(f);
        }
        sha256.reset();
        sha256.update(buffer.array(), 0, buffer.position());
        return HEX.formatHex(sha256.digest());
    }

    /** The next record of a chain whose last record is {@code (lastSeq, lastHash)}. */
    public AuditRecord next(long lastSeq, String lastHash, AuditEntry e) {
        long seq = lastSeq + 1;
        return new AuditRecord(seq, e, lastHash, hash(seq, lastHash, e));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Checks records fed in stored order, remembering only the last hash; the first break sticks. */
    public static final class Verifier {
        private final AuditChain chain = AuditChain.create();
        private long expected = 1;
        private String lastHash = GENESIS;
        private long checked;
        private AuditVerification.Break broken;

        /** False once a break was found (later records are not checked). */
        public boolean accept(long seq, AuditEntry e, String prev, String hash) {
            if (broken != null) {
                return false;
            }
            checked++;
            if (seq > expected) {
                broken = new AuditVerification.Break(expected, AuditVerification.Kind.REMOVED, expected == seq - 1
                        ? "seq " + fmt(expected) + " missing (removed)"
                        : "seq " + fmt(expected) + " to " + fmt(seq - 1) + " missing (removed)");
            } else if (seq < expected) {
                broken = new AuditVerification.Break(seq, AuditVerification.Kind.INSERTED_OR_REORDERED,
                        "record " + fmt(seq) + " comes after record " + fmt(expected - 1) + " (inserted/reordered)");
            } else if (!prev.equalsIgnoreCase(lastHash)) {
                broken = new AuditVerification.Break(seq, AuditVerification.Kind.INSERTED_OR_REORDERED, seq == 1
                        ? "record 1: prev is not the genesis hash (inserted/reordered)"
                        : "record " + fmt(seq) + ": prev does not match record " + fmt(seq - 1) + " (inserted/reordered)");
            } else if (!chain.hash(seq, prev, e).equalsIgnoreCase(hash)) {
                broken = new AuditVerification.Break(seq, AuditVerification.Kind.EDITED,
                        "record " + fmt(seq) + ": hash does not match its content (edited)");
            }
            if (broken != null) {
                return false;
            }
            expected = seq + 1;
            lastHash = hash;
            return true;
        }

        /** The result so far. */
        public AuditVerification result() {
            return new AuditVerification(checked, lastHash, Optional.ofNullable(broken));
        }

        private static String fmt(long n) {
            return String.format(Locale.ROOT, "%,d", n);
        }
    }
}
