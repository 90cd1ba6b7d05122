package io.myriad.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.gateway.CircuitBreaker.Permit;
import io.myriad.core.gateway.CircuitBreaker.State;
import io.myriad.core.model.ModelException.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The breaker's state machine: closed, open, half-open with one probe, closed or open again. */
class CircuitBreakerTest {
    final ManualClock clock = new ManualClock(1_000_000);

    CircuitBreaker breaker(int threshold, long openForMillis, long maxOpenForMillis) {
        return CircuitBreaker.create(threshold, Duration.ofMillis(openForMillis), Duration.ofMillis(maxOpenForMillis), clock);
    }

    static void fail(CircuitBreaker b, int times, Kind kind) {
        for (int i = 0; i < times; i++) {
            assertThat(b.tryAcquire()).isEqualTo(Permit.SEND);
            b.onFailure(false, kind);
        }
    }

    @Test
    void opensAtTheThresholdOfConsecutiveTroubleAndASuccessResetsTheStreak() {
        CircuitBreaker b = breaker(3, 5_000, 60_000);
        fail(b, 2, Kind.SERVER_ERROR);
        b.onSuccess(false);
        fail(b, 2, Kind.TIMEOUT);
        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(b.snapshot().consecutiveFailures()).isEqualTo(2);
        fail(b, 1, Kind.UNREACHABLE);
        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(b.opens()).isEqualTo(1);
        assertThat(b.openedAt()).contains(Instant.ofEpochMilli(1_000_000));
        assertThat(b.tryAcquire()).isEqualTo(new Permit.Wait(5_000));
        assertThat(b.rejectedWhileOpen()).isEqualTo(1);
    }

    @Test
    void malformedResponsesAreTroubleRefusalsAreAnswersAndRateLimitsAreNeutral() {
        CircuitBreaker b = breaker(3, 5_000, 60_000);
        fail(b, 2, Kind.MALFORMED_RESPONSE);
        fail(b, 5, Kind.RATE_LIMITED);
        assertThat(b.snapshot().consecutiveFailures()).as("429s neither count nor reset").isEqualTo(2);
        fail(b, 1, Kind.REJECTED);
        assertThat(b.snapshot().consecutiveFailures()).as("a refused request is a working provider").isZero();
        fail(b, 2, Kind.SERVER_ERROR);
        fail(b, 1, Kind.CONTEXT_TOO_LONG);
        fail(b, 2, Kind.SERVER_ERROR);
        assertThat(b.state()).isEqualTo(State.CLOSED);
        fail(b, 1, Kind.SERVER_ERROR);
        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(CircuitBreaker.isTrouble(Kind.RATE_LIMITED)).isFalse();
    }

    @Test
    void connectionFailuresAndTimeoutsCountOnlyOnceTheProviderHasAnswered() {
        CircuitBreaker b = breaker(2, 5_000, 60_000);
        fail(b, 5, Kind.UNREACHABLE);
        fail(b, 5, Kind.TIMEOUT);
        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(b.snapshot().consecutiveFailures()).isZero();
        b.onFailure(false, Kind.RATE_LIMITED);
        fail(b, 2, Kind.UNREACHABLE);
        assertThat(b.state()).isEqualTo(State.OPEN);

        CircuitBreaker afterSuccess = breaker(2, 5_000, 60_000);
        afterSuccess.onSuccess(false);
        fail(afterSuccess, 2, Kind.TIMEOUT);
        assertThat(afterSuccess.state()).isEqualTo(State.OPEN);

        CircuitBreaker after5xx = breaker(2, 5_000, 60_000);
        fail(after5xx, 1, Kind.SERVER_ERROR);
        fail(after5xx, 1, Kind.UNREACHABLE);
        assertThat(after5xx.state()).as("a 5xx is an answer, and trouble").isEqualTo(State.OPEN);
    }

    @Test
    void halfOpenAfterOpenForLetsExactlyOneProbeThroughAndItsSuccessCloses() {
        CircuitBreaker b = breaker(1, 5_000, 60_000);
        fail(b, 1, Kind.SERVER_ERROR);
        clock.advance(4_999);
        assertThat(b.tryAcquire()).isEqualTo(new Permit.Wait(1));
        clock.advance(1);
        assertThat(b.state()).isEqualTo(State.HALF_OPEN);
        assertThat(b.tryAcquire()).isEqualTo(Permit.PROBE);
        assertThat(b.tryAcquire()).isEqualTo(Permit.AWAIT_PROBE);
        assertThat(b.tryAcquire()).isEqualTo(Permit.AWAIT_PROBE);
        clock.advance(700);
        b.onSuccess(true);
        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(b.tryAcquire()).isEqualTo(Permit.SEND);
        CircuitBreaker.Snapshot s = b.snapshot();
        assertThat(s.timeOpen()).isEqualTo(Duration.ofMillis(5_700));
        assertThat(s.probes()).isEqualTo(1);
        assertThat(s.rejectedWhileOpen()).isEqualTo(3);
        assertThat(s.openedAtMillis()).isEqualTo(-1);
        assertThat(b.openedAt()).isEmpty();
    }

    @Test
    void eachFailedProbeDoublesTheOpenTimeUpToTheMaximumAndClosingResetsIt() {
        CircuitBreaker b = breaker(2, 1_000, 5_000);
        fail(b, 2, Kind.SERVER_ERROR);
        List<Long> openTimes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            long waited = 0;
            Permit p;
            while ((p = b.tryAcquire()) instanceof Permit.Wait(long millis)) {
                clock.advance(millis);
                waited += millis;
            }
            openTimes.add(waited);
            assertThat(p).isEqualTo(Permit.PROBE);
            b.onFailure(true, Kind.TIMEOUT);
        }
        assertThat(openTimes).containsExactly(1_000L, 2_000L, 4_000L, 5_000L, 5_000L);
        assertThat(b.opens()).isEqualTo(6);
        clock.advance(5_000);
        assertThat(b.tryAcquire()).isEqualTo(Permit.PROBE);
        b.onSuccess(true);
        fail(b, 2, Kind.SERVER_ERROR);
        assertThat(b.tryAcquire()).as("a new trip starts again from openFor").isEqualTo(new Permit.Wait(1_000));
        assertThat(b.timeOpen()).isEqualTo(Duration.ofMillis(1_000 + 2_000 + 4_000 + 5_000 + 5_000 + 5_000));
    }

    @Test
    void outcomesOfCallsSentBeforeTheBreakerOpenedDecideNothing() {
        CircuitBreaker b = breaker(2, 1_000, 5_000);
        fail(b, 2, Kind.SERVER_ERROR);
        b.onSuccess(false);
        assertThat(b.state()).as("a late success does not close an open breaker").isEqualTo(State.OPEN);
        clock.advance(1_000);
        assertThat(b.tryAcquire()).isEqualTo(Permit.PROBE);
        b.onSuccess(false);
        b.onFailure(false, Kind.SERVER_ERROR);
        assertThat(b.state()).as("only the probe decides").isEqualTo(State.HALF_OPEN);
        assertThat(b.tryAcquire()).isEqualTo(Permit.AWAIT_PROBE);
        b.onFailure(true, Kind.SERVER_ERROR);
        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(b.snapshot().openFor()).isEqualTo(Duration.ofMillis(2_000));
    }

    @Test
    void aProbeWithoutVerdictLetsTheNextRequestProbe() {
        CircuitBreaker b = breaker(1, 1_000, 5_000);
        fail(b, 1, Kind.SERVER_ERROR);
        clock.advance(1_000);
        assertThat(b.tryAcquire()).isEqualTo(Permit.PROBE);
        b.onFailure(true, Kind.RATE_LIMITED);
        assertThat(b.state()).isEqualTo(State.HALF_OPEN);
        assertThat(b.tryAcquire()).isEqualTo(Permit.PROBE);
        b.onAbandoned(true);
        assertThat(b.tryAcquire()).isEqualTo(Permit.PROBE);
        b.onFailure(true, Kind.REJECTED);
        assertThat(b.state()).as("a refused probe still shows a working provider").isEqualTo(State.CLOSED);
        assertThat(b.snapshot().probes()).isEqualTo(3);
    }

    @Test
    void underConcurrencyExactlyOneCallerGetsTheProbe() throws Exception {
        for (int round = 0; round < 50; round++) {
            CircuitBreaker b = breaker(1, 1_000, 5_000);
            fail(b, 1, Kind.SERVER_ERROR);
            clock.advance(1_000);
            int threads = 16;
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<Permit>>> results = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
                for (int t = 0; t < threads; t++) {
                    results.add(pool.submit(() -> {
                        start.await();
                        List<Permit> got = new ArrayList<>();
                        for (int i = 0; i < 100; i++) {
                            got.add(b.tryAcquire());
                        }
                        return got;
                    }));
                }
                start.countDown();
                List<Permit> all = new ArrayList<>();
                for (Future<List<Permit>> f : results) {
                    all.addAll(f.get());
                }
                assertThat(all).filteredOn(p -> p == Permit.PROBE).hasSize(1);
                assertThat(all).filteredOn(p -> p == Permit.AWAIT_PROBE).hasSize(threads * 100 - 1);
            }
        }
    }

    @Test
    void badSettingsAreRefusedWithTheSettingNamed() {
        assertThatThrownBy(() -> breaker(0, 1_000, 5_000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("failureThreshold must be at least 1, not 0");
        assertThatThrownBy(() -> breaker(1, 0, 5_000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("openFor must be at least 1 ms");
        assertThatThrownBy(() -> breaker(1, 2_000, 1_000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxOpenFor must be from openFor");
        assertThatThrownBy(() -> CircuitBreaker.create(1, Duration.ofSeconds(1), Duration.ofSeconds(1), null))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> breaker(1, 1_000, 1_000).onFailure(false, null)).isInstanceOf(NullPointerException.class);
    }
}
