package io.myriad.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.model.RateLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    private static final long T0 = 1_000_000;

    @Test
    void aBucketStartsFullAndRefillsContinuouslyAtItsLimitPerMinute() {
        RateLimiter limiter = RateLimiter.builder().requestsPerMinute(60).build();

        assertThat(admitted(limiter, 0, T0, 100)).as("the initial burst is one minute's worth").isEqualTo(60);
        assertThat(limiter.reserve(0, T0)).as("one request refills every second").isEqualTo(1000);
        assertThat(limiter.reserve(0, T0 + 400)).isEqualTo(600);
        assertThat(limiter.reserve(0, T0 + 1000)).isZero();
        assertThat(limiter.reserve(0, T0 + 1000)).isEqualTo(1000);
        assertThat(limiter.snapshot(T0 + 31_000).requestsAvailable()).isEqualTo(30);
        assertThat(limiter.snapshot(T0 + 10 * 60_000).requestsAvailable()).as("never above the capacity").isEqualTo(60);
    }

    @Test
    void waitsAreRoundedUpToTheMillisecondWhenTheRateIsNotWhole() {
        RateLimiter limiter = RateLimiter.builder().tokensPerMinute(7).build();

        assertThat(limiter.reserve(7, T0)).isZero();
        // one token every 60 000 / 7 = 8571.43 ms
        assertThat(limiter.reserve(1, T0)).isEqualTo(8572);
        assertThat(limiter.reserve(1, T0 + 8571)).isEqualTo(1);
        assertThat(limiter.reserve(1, T0 + 8572)).isZero();
        assertThat(limiter.reserve(2, T0 + 8572)).isEqualTo(17_143);
    }

    @Test
    void aRefusedReservationConsumesNothing() {
        RateLimiter limiter = RateLimiter.builder().requestsPerMinute(100).tokensPerMinute(1000).build();

        assertThat(limiter.reserve(1001, T0)).as("wants a full bucket").isZero();
        RateLimiter other = RateLimiter.builder().requestsPerMinute(100).tokensPerMinute(1000).build();
        assertThat(other.reserve(900, T0)).isZero();
        assertThat(other.reserve(200, T0)).isEqualTo(6000);
        assertThat(other.snapshot(T0)).isEqualTo(new RateLimiter.Snapshot(100, 99, 1000, 100, -1, 1000));
        assertThat(other.reserve(100, T0)).isZero();
    }

    @Test
    void bothBucketsMustAdmitAndTheLongerWaitWins() {
        RateLimiter limiter = RateLimiter.builder().requestsPerMinute(2).tokensPerMinute(6000).build();

        assertThat(limiter.reserve(3000, T0)).isZero();
        assertThat(limiter.reserve(3000, T0)).isZero();
        assertThat(limiter.reserve(100, T0)).as("requests: one every 30 s").isEqualTo(30_000);
        assertThat(limiter.reserve(6000, T0)).as("tokens: a full bucket takes 60 s").isEqualTo(60_000);
    }

    @Test
    void aRequestLargerThanTheTokenLimitWaitsForAFullBucketAndLeavesADebt() {
        RateLimiter limiter = RateLimiter.builder().tokensPerMinute(1000).build();

        assertThat(limiter.reserve(10, T0)).isZero();
        assertThat(limiter.reserve(5000, T0)).as("until the 10 tokens are back").isEqualTo(600);
        assertThat(limiter.reserve(5000, T0 + 600)).isZero();
        assertThat(limiter.snapshot(T0 + 600).tokensAvailable()).isEqualTo(-4000);
        assertThat(limiter.reserve(0, T0 + 600)).as("even an empty request waits for the debt").isEqualTo(240_000);
    }

    @Test
    void unlimitedBucketsAdmitEverything() {
        RateLimiter limiter = RateLimiter.create();

        assertThat(admitted(limiter, 1_000_000_000L, T0, 10_000)).isEqualTo(10_000);
        RateLimiter.Snapshot snapshot = limiter.snapshot(T0);
        assertThat(snapshot.requestsPerMinute()).isEqualTo(-1);
        assertThat(snapshot.tokensPerMinute()).isEqualTo(-1);
        assertThat(snapshot.requestsAvailable()).isEqualTo(Long.MAX_VALUE);

        RateLimiter tokensOnly = RateLimiter.builder().tokensPerMinute(600).build();
        assertThat(admitted(tokensOnly, 0, T0, 10_000)).as("empty requests cost no tokens").isEqualTo(10_000);
        assertThat(admitted(tokensOnly, 100, T0, 10_000)).isEqualTo(6);
        tokensOnly.refund(1_000_000, T0);
        tokensOnly.charge(1_000_000, T0);
        RateLimiter requestsOnly = RateLimiter.builder().requestsPerMinute(5).build();
        assertThat(admitted(requestsOnly, Long.MAX_VALUE, T0, 100)).isEqualTo(5);
        requestsOnly.charge(Long.MAX_VALUE, T0);
        assertThat(requestsOnly.reserve(Long.MAX_VALUE, T0 + 12_000)).isZero();
    }

    @Test
    void adoptsTheLimitsTheProviderReports() {
        RateLimiter limiter = RateLimiter.create();

        limiter.observe(limits(600, 590, 100_000, 40_000, -1), T0);

        assertThat(limiter.snapshot(T0)).isEqualTo(new RateLimiter.Snapshot(600, 590, 100_000, 40_000, -1, 1000));
        assertThat(limiter.reserve(50_000, T0)).as("60 000 ms * 10 000 / 100 000").isEqualTo(6000);
        assertThat(limiter.reserve(50_000, T0 + 6000)).isZero();
    }

    @Test
    void lowersTheLevelToWhatRemainsButNeverRaisesIt() {
        RateLimiter limiter = RateLimiter.builder().requestsPerMinute(100).tokensPerMinute(10_000).build();
        assertThat(limiter.reserve(1000, T0)).isZero();

        limiter.observe(limits(-1, 10, -1, 9500, -1), T0);
        assertThat(limiter.snapshot(T0)).extracting(RateLimiter.Snapshot::requestsAvailable, RateLimiter.Snapshot::tokensAvailable)
                .as("requests lowered to 10, tokens kept at 9000").containsExactly(10L, 9000L);

        limiter.observe(limits(-1, 0, -1, 0, -1), T0);
        assertThat(limiter.reserve(0, T0)).as("one request per 600 ms").isEqualTo(600);
        assertThat(limiter.reserve(1, T0 + 600)).isZero();
        limiter.observe(RateLimits.UNKNOWN, T0 + 600);
        assertThat(limiter.snapshot(T0 + 600)).isEqualTo(new RateLimiter.Snapshot(100, 0, 10_000, 99, -1, 1000));
    }

    @Test
    void aNewLimitChangesCapacityAndRateButNotTheLevelBelowIt() {
        RateLimiter limiter = RateLimiter.builder().requestsPerMinute(100).build();
        assertThat(admitted(limiter, 0, T0, 40)).isEqualTo(40);

        limiter.observe(limits(30, -1, -1, -1, -1), T0);
        assertThat(limiter.snapshot(T0).requestsAvailable()).as("cut to the new capacity").isEqualTo(30);

        limiter.observe(limits(600, -1, -1, -1, -1), T0);
        assertThat(limiter.snapshot(T0).requestsAvailable()).as("a higher limit adds nothing at once").isEqualTo(30);
        assertThat(limiter.snapshot(T0 + 1000).requestsAvailable()).as("but refills at 10 a second").isEqualTo(40);
        assertThat(limiter.snapshot(T0 + 60_000).requestsAvailable()).isEqualTo(600);
    }

    @Test
    void aRetryAfterBlocksAdmissionUntilThen() {
        RateLimiter limiter = RateLimiter.builder().requestsPerMinute(600).build();

        limiter.observe(limits(-1, -1, -1, -1, 2500), T0);

        assertThat(limiter.reserve(0, T0)).isEqualTo(2500);
        assertThat(limiter.reserve(0, T0 + 2499)).isEqualTo(1);
        assertThat(limiter.snapshot(T0 + 100).blockedUntilMillis()).isEqualTo(T0 + 2500);
        assertThat(limiter.reserve(0, T0 + 2500)).isZero();
        assertThat(limiter.snapshot(T0 + 2500).blockedUntilMillis()).isEqualTo(-1);
    }

    @Test
    void aThrottleWithRetryAfterBlocksForExactlyThatAndEmptiesTheBuckets() {
        RateLimiter limiter = RateLimiter.builder().requestsPerMinute(60).tokensPerMinute(60_000).build();
        assertThat(limiter.reserve(100, T0)).isZero();

        limiter.throttled(20_000, T0);

        assertThat(limiter.reserve(100, T0)).isEqualTo(20_000);
        limiter.throttled(5_000, T0 + 1000);
        assertThat(limiter.reserve(100, T0 + 1000)).as("a shorter Retry-After does not shorten a block").isEqualTo(19_000);
        assertThat(limiter.snapshot(T0 + 20_000)).as("refilled during the block, from empty at the last 429")
                .isEqualTo(new RateLimiter.Snapshot(60, 19, 60_000, 19_000, -1, 1000));
        assertThat(limiter.reserve(100, T0 + 20_000)).isZero();
        assertThat(limiter.snapshot(T0 + 20_000).nextCoolDownMillis()).as("a Retry-After leaves the cool-down alone").isEqualTo(1000);
    }

    @Test
    void throttlesWithoutRetryAfterCoolDownForLongerAndLongerUntilASuccess() {
        RateLimiter limiter = RateLimiter.create();
        List<Long> blocks = new ArrayList<>();
        long now = T0;
        for (int i = 0; i < 9; i++) {
            limiter.throttled(-1, now);
            long wait = limiter.reserve(0, now);
            blocks.add(wait);
            now += wait;
            assertThat(limiter.reserve(0, now)).isZero();
        }
        assertThat(blocks).containsExactly(1000L, 2000L, 4000L, 8000L, 16_000L, 32_000L, 60_000L, 60_000L, 60_000L);

        limiter.throttled(-1, now);
        limiter.succeeded();
        assertThat(limiter.reserve(0, now)).as("a success does not lift a block in force").isEqualTo(60_000);
        now += 60_000;
        limiter.throttled(-1, now);
        assertThat(limiter.reserve(0, now)).as("but the next cool-down starts afresh").isEqualTo(1000);
    }

    @Test
    void theCoolDownCanBeConfigured() {
        RateLimiter limiter = RateLimiter.builder().coolDown(Duration.ofMillis(300), Duration.ofMillis(1000)).build();
        List<Long> blocks = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            limiter.throttled(-1, T0 + i * 10_000L);
            blocks.add(limiter.reserve(0, T0 + i * 10_000L));
        }
        assertThat(blocks).containsExactly(300L, 600L, 1000L, 1000L);
    }

    @Test
    void refundsAndChargesSettleTheDifferenceBetweenEstimateAndUsage() {
        RateLimiter limiter = RateLimiter.builder().tokensPerMinute(10_000).build();
        assertThat(limiter.reserve(8000, T0)).isZero();

        limiter.refund(5000, T0);
        assertThat(limiter.snapshot(T0).tokensAvailable()).isEqualTo(7000);
        limiter.refund(1_000_000, T0);
        assertThat(limiter.snapshot(T0).tokensAvailable()).as("never above the capacity").isEqualTo(10_000);

        limiter.charge(12_000, T0);
        assertThat(limiter.snapshot(T0).tokensAvailable()).isEqualTo(-2000);
        assertThat(limiter.reserve(1000, T0)).isEqualTo(18_000);
    }

    @Test
    void chargesCountTheRefillThatAccruedBeforeThem() {
        RateLimiter limiter = RateLimiter.builder().tokensPerMinute(6000).build();
        assertThat(limiter.reserve(6000, T0)).isZero();

        limiter.charge(3000, T0 + 30_000);

        assertThat(limiter.snapshot(T0 + 30_000).tokensAvailable()).isZero();
    }

    @Test
    void timeThatGoesBackwardsCountsAsNoTime() {
        RateLimiter limiter = RateLimiter.builder().requestsPerMinute(60).build();
        assertThat(admitted(limiter, 0, T0, 60)).isEqualTo(60);

        assertThat(limiter.reserve(0, T0 - 5000)).isEqualTo(1000);
        assertThat(limiter.reserve(0, T0 + 999)).isEqualTo(1);
        assertThat(limiter.reserve(0, T0 + 1000)).isZero();
    }

    @Test
    void concurrentCallersNeverShareAToken() throws Exception {
        RateLimiter limiter = RateLimiter.builder().requestsPerMinute(100).tokensPerMinute(1_000_000).build();
        AtomicInteger admitted = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 64; t++) {
                futures.add(executor.submit(() -> {
                    start.await();
                    for (int i = 0; i < 10; i++) {
                        if (limiter.reserve(10, T0) == 0) {
                            admitted.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get();
            }
        }
        assertThat(admitted).hasValue(100);
        assertThat(limiter.snapshot(T0).tokensAvailable()).isEqualTo(999_000);
    }

    @Test
    void rejectsBadArguments() {
        RateLimiter limiter = RateLimiter.create();
        assertThatThrownBy(() -> limiter.reserve(-1, T0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> limiter.refund(-1, T0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> limiter.charge(-1, T0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> limiter.observe(null, T0)).isInstanceOf(NullPointerException.class);
        RateLimiter.Builder builder = RateLimiter.builder();
        assertThatThrownBy(() -> builder.requestsPerMinute(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("leave it unset");
        assertThatThrownBy(() -> builder.tokensPerMinute(-5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.coolDown(null, Duration.ofSeconds(1))).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.coolDown(Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.coolDown(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static int admitted(RateLimiter limiter, long tokens, long now, int attempts) {
        int admitted = 0;
        for (int i = 0; i < attempts; i++) {
            if (limiter.reserve(tokens, now) == 0) {
                admitted++;
            }
        }
        return admitted;
    }

    private static RateLimits limits(long limitRequests, long remainingRequests, long limitTokens, long remainingTokens,
                                     long retryAfterMillis) {
        return new RateLimits(limitRequests, remainingRequests, -1, limitTokens, remainingTokens, -1, retryAfterMillis);
    }
}
