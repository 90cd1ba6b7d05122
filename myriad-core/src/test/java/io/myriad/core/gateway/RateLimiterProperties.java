package io.myriad.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.model.RateLimits;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the rate limiter under any interleaving of reservations, reports, 429s, refunds
 * and the passing of time: it never admits more than a minute's refill plus the initial burst in
 * any 60 s, and the wait it announces is exactly the wait needed.
 */
class RateLimiterProperties {
    private static final long WINDOW_MILLIS = 60_000;

    /** What happens to a limiter; time advances only through {@link Advance} and {@link Greedy}. */
    sealed interface Op permits Advance, Reserve, Greedy, Observe, Throttle, Succeed, Refund, Charge {}

    record Advance(long millis) implements Op {}

    /** One attempt, admitted or not. */
    record Reserve(long tokens) implements Op {}

    /** A caller that waits as told until admitted. */
    record Greedy(long tokens) implements Op {}

    /** A report that keeps the configured limits (when it states them) and lowers what remains. */
    record Observe(boolean statesLimits, long remainingRequests, long remainingTokens, long retryAfterMillis) implements Op {}

    record Throttle(long retryAfterMillis) implements Op {}

    record Succeed() implements Op {}

    record Refund(long tokens) implements Op {}

    record Charge(long tokens) implements Op {}

    @Property(tries = 500)
    void noSixtySecondsAdmitMoreThanTheLimitPlusTheInitialBurst(
            @ForAll @IntRange(min = 1, max = 120) int rpm,
            @ForAll("tpm") long tpm,
            @ForAll @LongRange(min = -1_000_000_000L, max = 1_000_000_000L) long start,
            @ForAll("ops") @Size(max = 200) List<Op> ops) {
        Driver driver = new Driver(rpm, tpm, start);
        ops.forEach(driver::apply);

        List<Long> admitted = driver.admittedAt;
        int first = 0;
        for (int last = 0; last < admitted.size(); last++) {
            while (admitted.get(last) - admitted.get(first) >= WINDOW_MILLIS) {
                first++;
            }
            assertThat(last - first + 1)
                    .as("admissions in the 60 s from %d", admitted.get(first))
                    .isLessThanOrEqualTo(2 * rpm);
        }
    }

    @Property(tries = 500)
    void theAnnouncedWaitIsExactlyTheWaitNeeded(
            @ForAll @IntRange(min = 1, max = 120) int rpm,
            @ForAll("tpm") long tpm,
            @ForAll("ops") @Size(max = 100) List<Op> ops,
            @ForAll @LongRange(min = 0, max = 20_000) long tokens) {
        Driver driver = new Driver(rpm, tpm, 0);
        ops.forEach(driver::apply);
        long now = driver.now;

        long wait = driver.limiter.reserve(tokens, now);

        if (wait > 0) {
            RateLimiter.Snapshot before = driver.limiter.snapshot(now);
            assertThat(driver.limiter.reserve(tokens, now + wait - 1)).as("one millisecond early").isPositive();
            assertThat(driver.limiter.reserve(tokens, now + wait)).as("on time").isZero();
            assertThat(before.requestsAvailable() < 1 || before.blockedUntilMillis() > now
                    || tpm > 0 && before.tokensAvailable() < Math.min(tokens, tpm))
                    .as("a wait needs a reason: %s", before).isTrue();
        }
    }

    @Property(tries = 300)
    void aReportedRemainderCapsWhatIsAvailable(
            @ForAll @IntRange(min = 1, max = 120) int rpm,
            @ForAll("ops") @Size(max = 100) List<Op> ops,
            @ForAll @LongRange(min = 0, max = 200) long remaining) {
        Driver driver = new Driver(rpm, -1, 0);
        ops.forEach(driver::apply);

        driver.limiter.observe(new RateLimits(-1, remaining, -1, -1, -1, -1, -1), driver.now);

        assertThat(driver.limiter.snapshot(driver.now).requestsAvailable()).isLessThanOrEqualTo(remaining);
    }

    /** Applies operations to one limiter, keeping the clock and the moments of admission. */
    private static final class Driver {
        final RateLimiter limiter;
        final int rpm;
        final long tpm;
        final List<Long> admittedAt = new ArrayList<>();
        long now;

        Driver(int rpm, long tpm, long start) {
            RateLimiter.Builder builder = RateLimiter.builder().requestsPerMinute(rpm);
            if (tpm > 0) {
                builder.tokensPerMinute(tpm);
            }
            this.limiter = builder.build();
            this.rpm = rpm;
            this.tpm = tpm;
            this.now = start;
        }

        void apply(Op op) {
            switch (op) {
                case Advance(long millis) -> now += millis;
                case Reserve(long tokens) -> {
                    if (limiter.reserve(tokens, now) == 0) {
                        admittedAt.add(now);
                    }
                }
                case Greedy(long tokens) -> {
                    long wait = limiter.reserve(tokens, now);
                    if (wait > 0) {
                        now += wait;
                        assertThat(limiter.reserve(tokens, now)).as("admitted after the announced wait").isZero();
                    }
                    admittedAt.add(now);
                }
                case Observe(boolean statesLimits, long remainingRequests, long remainingTokens, long retryAfter) ->
                        limiter.observe(new RateLimits(
                                statesLimits ? rpm : -1, remainingRequests, -1,
                                statesLimits ? tpm : -1, remainingTokens, -1, retryAfter), now);
                case Throttle(long retryAfter) -> limiter.throttled(retryAfter, now);
                case Succeed() -> limiter.succeeded();
                case Refund(long tokens) -> limiter.refund(tokens, now);
                case Charge(long tokens) -> limiter.charge(tokens, now);
            }
        }
    }

    @Provide
    Arbitrary<Long> tpm() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(-1L)),
                Tuple.of(3, Arbitraries.longs().between(1, 100_000)));
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Long> tokens = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(0L)),
                Tuple.of(6, Arbitraries.longs().between(1, 5_000)),
                Tuple.of(1, Arbitraries.longs().between(5_000, 200_000)));
        Arbitrary<Long> retryAfter = Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(-1L)),
                Tuple.of(1, Arbitraries.longs().between(0, 90_000)));
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.longs().between(0, 30_000).map(Advance::new)),
                Tuple.of(2, Arbitraries.longs().between(0, 300).map(Advance::new)),
                Tuple.of(6, tokens.map(Reserve::new)),
                Tuple.of(6, tokens.map(Greedy::new)),
                Tuple.of(2, Combinators.combine(
                        Arbitraries.of(true, false),
                        Arbitraries.longs().between(-1, 300),
                        Arbitraries.longs().between(-1, 200_000),
                        retryAfter).as(Observe::new)),
                Tuple.of(1, retryAfter.map(Throttle::new)),
                Tuple.of(1, Arbitraries.just(new Succeed())),
                Tuple.of(1, tokens.map(Refund::new)),
                Tuple.of(1, tokens.map(Charge::new)));
        return op.list();
    }
}
