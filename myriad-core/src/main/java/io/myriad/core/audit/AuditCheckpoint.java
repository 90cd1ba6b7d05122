package io.myriad.core.audit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Objects;

/**
 * A signed statement "the audit log's record {@code seq} has hash {@code head}", kept outside
 * the database. The chain alone cannot show records cut from the end, or a tail rewritten with
 * every hash recomputed; a checkpoint can: verifying against it finds the log shorter than
 * {@code seq}, or a different hash at {@code seq}. Signed with Ed25519, so whoever can edit the
 * database and the checkpoint file still cannot forge a checkpoint without the private key.
 *
 * @param seq       the record's sequence number
 * @param head      its hash (hex)
 * @param at        when the checkpoint was taken, milliseconds since the epoch
 * @param publicKey the signer's Ed25519 public key (X.509, Base64)
 * @param signature Ed25519 over {@link #signedText()} (Base64)
 */
public record AuditCheckpoint(long seq, String head, long at, String publicKey, String signature) {

    public AuditCheckpoint {
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(signature, "signature");
    }

    /** The exact bytes signed. */
    public String signedText() {
        return "myriad-audit-checkpoint\n" + seq + "\n" + head + "\n" + at + "\n";
    }

    /** A new Ed25519 key pair for signing checkpoints. */
    public static KeyPair newKeyPair() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is missing from this JDK", e);
        }
    }

    /** Signs the statement that record {@code seq} has hash {@code head}. */
    public static AuditCheckpoint sign(long seq, String head, long at, KeyPair keys) {
        var unsigned = new AuditCheckpoint(seq, head, at, encode(keys.getPublic()), "");
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(keys.getPrivate());
            s.update(unsigned.signedText().getBytes(StandardCharsets.UTF_8));
            return new AuditCheckpoint(seq, head, at, unsigned.publicKey(), Base64.getEncoder().encodeToString(s.sign()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign an audit checkpoint: " + e.getMessage(), e);
        }
    }

    /** Whether the signature is valid and made by {@code expectedPublicKey} (Base64 X.509). */
    public boolean signedBy(String expectedPublicKey) {
        if (!publicKey.equals(expectedPublicKey)) {
            return false;
        }
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(decodePublic(publicKey));
            s.update(signedText().getBytes(StandardCharsets.UTF_8));
            return s.verify(Base64.getDecoder().decode(signature));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    public static String encode(PublicKey key) {
        return Base64.getEncoder().encodeToString(key.getEncoded());
    }

    /** The private key as stored in a key file (PKCS#8, Base64). */
    public static String encodePrivate(PrivateKey key) {
        return Base64.getEncoder().encodeToString(key.getEncoded());
    }

    /** Reads a key file's private key and derives nothing: the public key is stored beside it. */
    public static KeyPair decode(String privatePkcs8, String publicX509) {
        try {
            KeyFactory f = KeyFactory.getInstance("Ed25519");
            PrivateKey priv = f.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(privatePkcs8.strip())));
            return new KeyPair(decodePublic(publicX509), priv);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not an Ed25519 key: " + e.getMessage(), e);
        }
    }

    private static PublicKey decodePublic(String x509) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(x509.strip())));
    }

    /** What a checkpoint says about the log as it is now. */
    public enum Check {
        /** The log still has record {@code seq} with hash {@code head}. */
        HOLDS,
        /** The log ends before {@code seq}: records were cut from the end. */
        LOG_TOO_SHORT,
        /** Record {@code seq} has another hash: the log was rewritten up to there. */
        HASH_DIFFERS,
        /** The signature is not valid for the expected key: the checkpoint itself is forged or edited. */
        BAD_SIGNATURE
    }

    /**
     * Checks this checkpoint against the log.
     *
     * @param hashAtSeq the hash of record {@code seq} in the log, or null when it has no such record
     */
    public Check check(String expectedPublicKey, String hashAtSeq) {
        if (!signedBy(expectedPublicKey)) {
            return Check.BAD_SIGNATURE;
        }
        if (hashAtSeq == null) {
            return Check.LOG_TOO_SHORT;
        }
        return hashAtSeq.equals(head) ? Check.HOLDS : Check.HASH_DIFFERS;
    }
}
