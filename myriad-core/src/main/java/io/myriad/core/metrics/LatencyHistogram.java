package io.myriad.core.metrics;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * A lock-free histogram of durations in microseconds with log-linear buckets: 16 sub-buckets per
 * power of two, so a reported percentile is within about 6% of the true value, from 1 µs to
 * about 2^40 µs (12 days). Constant memory whatever the number of samples.
 */
public final class LatencyHistogram {
    private static final int SUB_BITS = 4;
    private static final int SUB = 1 << SUB_BITS;
    private static final int POWERS = 41;

    private final AtomicLongArray counts = new AtomicLongArray(POWERS * SUB);
    private final LongAccumulator max = new LongAccumulator(Math::max, 0);

    public static LatencyHistogram create() {
        return new LatencyHistogram();
    }

    private LatencyHistogram() {}

    /** Records one duration, in microseconds (negative values count as 0). */
    public void record(long micros) {
        long v = Math.max(0, micros);
        counts.incrementAndGet(index(v));
        max.accumulate(v);
    }

    static int index(long v) {
        if (v < SUB) {
            return (int) v;
        }
        int power = 63 - Long.numberOfLeadingZeros(v);
        int shift = power - SUB_BITS;
        int sub = (int) (v >>> shift) - SUB;
        int i = (shift + 1) * SUB + sub;
        return Math.min(i, POWERS * SUB - 1);
    }

    static long lowerBound(int index) {
        if (index < SUB) {
            return index;
        }
        int shift = index / SUB - 1;
        int sub = index % SUB;
        return (long) (SUB + sub) << shift;
    }

    public long count() {
        long n = 0;
        for (int i = 0; i < counts.length(); i++) {
            n += counts.get(i);
        }
        return n;
    }

    /** The largest recorded value, exactly. */
    public long max() {
        return max.get();
    }

    /**
     * The value at or below which {@code fraction} of the samples lie (the bucket's midpoint,
     * never above the maximum), or 0 when empty.
     */
    public long percentile(double fraction) {
        long total = count();
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(Math.min(1, Math.max(0, fraction)) * total);
        long seen = 0;
        for (int i = 0; i < counts.length(); i++) {
            seen += counts.get(i);
            if (seen >= Math.max(1, rank)) {
                long lo = lowerBound(i);
                long hi = i + 1 < counts.length() ? lowerBound(i + 1) : lo;
                return Math.min(max.get(), (lo + hi) / 2);
            }
        }
        return max.get();
    }
}
