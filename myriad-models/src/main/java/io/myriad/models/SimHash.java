package io.myriad.models;

/**
 * A small, stable 64-bit hash for the simulated model: the same inputs give the same value in
 * every JVM, on every platform, after every restart. FNV-1a over the UTF-16 code units of each
 * part (with its length, so that ("ab", "c") and ("a", "bc") differ), finished with the SplitMix64
 * mixer so that neighbouring inputs give unrelated outputs. Not for security.
 */
final class SimHash {
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private SimHash() {}

    /** The hash of a seed and a sequence of parts. */
    static long of(long seed, Object... parts) {
        long h = FNV_OFFSET ^ mix(seed);
        for (Object part : parts) {
            String text = String.valueOf(part);
            h = step(h, text.length());
            for (int i = 0; i < text.length(); i++) {
                h = step(h, text.charAt(i));
            }
        }
        return mix(h);
    }

    /** A value in [0, 1) drawn from a hash. */
    static double unit(long hash) {
        return (hash >>> 11) * 0x1.0p-53;
    }

    /** The hash as 16 lower-case hex digits. */
    static String hex(long hash) {
        return String.format("%016x", hash);
    }

    private static long step(long h, int value) {
        h = (h ^ (value & 0xff)) * FNV_PRIME;
        return (h ^ (value >>> 8)) * FNV_PRIME;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
