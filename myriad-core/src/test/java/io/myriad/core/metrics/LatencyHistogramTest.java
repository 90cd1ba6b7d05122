package io.myriad.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void percentilesAreWithinTheBucketPrecisionOfTheExactValues() {
        LatencyHistogram h = LatencyHistogram.create();
        Random random = new Random(1);
        long[] values = new long[100_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (long) Math.exp(random.nextDouble() * 16);
            h.record(values[i]);
        }
        Arrays.sort(values);
        assertThat(h.count()).isEqualTo(values.length);
        assertThat(h.max()).isEqualTo(values[values.length - 1]);
        for (double p : new double[] {0.5, 0.9, 0.99, 0.999}) {
            long exact = values[(int) Math.ceil(p * values.length) - 1];
            assertThat((double) h.percentile(p)).isCloseTo(exact, within(Math.max(2, exact * 0.07)));
        }
    }

    @Test
    void bucketsCoverEveryValueInOrder() {
        long previous = -1;
        for (int i = 0; i < 41 * 16; i++) {
            long lo = LatencyHistogram.lowerBound(i);
            assertThat(lo).isGreaterThan(previous);
            assertThat(LatencyHistogram.index(lo)).isEqualTo(i);
            previous = lo;
        }
    }

    @Test
    void emptyAndNegative() {
        LatencyHistogram h = LatencyHistogram.create();
        assertThat(h.percentile(0.99)).isZero();
        h.record(-5);
        assertThat(h.max()).isZero();
        assertThat(h.percentile(0.5)).isZero();
    }
}
