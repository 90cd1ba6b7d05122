package io.myriad.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.run.RunLoop;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The settings record: defaults, the run loop's policy, and refusals that name the setting. */
class ResilienceTest {
    static Resilience with(int maxAttempts, Duration base, Duration max, int failures, Duration openFor,
                           Duration maxOpenFor, double ratio, double floor) {
        return new Resilience(maxAttempts, base, max, failures, openFor, maxOpenFor, ratio, floor);
    }

    @Test
    void theDefaultKeepsTheRunLoopsRetryPolicy() {
        Resilience d = Resilience.DEFAULT;
        assertThat(d.retryPolicy()).isEqualTo(RunLoop.RetryPolicy.DEFAULT);
        assertThat(d.failureThreshold()).isEqualTo(5);
        assertThat(d.openFor()).isEqualTo(Duration.ofSeconds(5));
        assertThat(d.maxOpenFor()).isEqualTo(Duration.ofMinutes(2));
        assertThat(d.retryRatio()).isEqualTo(0.5);
        assertThat(d.minRetriesPerSecond()).isEqualTo(5);
    }

    @Test
    void retryPolicyCarriesTheThreeRetrySettings() {
        Resilience r = with(6, Duration.ofMillis(100), Duration.ofSeconds(3), 2, Duration.ofSeconds(1),
                Duration.ofSeconds(1), 0, 0.001);
        assertThat(r.retryPolicy()).isEqualTo(new RunLoop.RetryPolicy(6, Duration.ofMillis(100), Duration.ofSeconds(3)));
    }

    @Test
    void outOfRangeSettingsAreRefusedWithTheirName() {
        Duration s1 = Duration.ofSeconds(1);
        Duration m1 = Duration.ofMinutes(1);
        assertThatThrownBy(() -> with(0, s1, m1, 5, s1, m1, 0.5, 5)).hasMessageContaining("maxAttempts must be from 1");
        assertThatThrownBy(() -> with(101, s1, m1, 5, s1, m1, 0.5, 5)).hasMessageContaining("to 100, not 101");
        assertThatThrownBy(() -> with(3, Duration.ofMillis(-1), m1, 5, s1, m1, 0.5, 5)).hasMessageContaining("baseDelay must be");
        assertThatThrownBy(() -> with(3, m1, s1, 5, s1, m1, 0.5, 5))
                .hasMessageContaining("maxDelay (PT1S) must not be shorter than baseDelay (PT1M)");
        assertThatThrownBy(() -> with(3, s1, Duration.ofDays(2), 5, s1, m1, 0.5, 5)).hasMessageContaining("to 24 hours");
        assertThatThrownBy(() -> with(3, s1, m1, 0, s1, m1, 0.5, 5)).hasMessageContaining("failureThreshold must be from 1");
        assertThatThrownBy(() -> with(3, s1, m1, 5, Duration.ZERO, m1, 0.5, 5)).hasMessageContaining("openFor must be from 1 ms");
        assertThatThrownBy(() -> with(3, s1, m1, 5, m1, s1, 0.5, 5))
                .hasMessageContaining("maxOpenFor (PT1S) must not be shorter than openFor (PT1M)");
        assertThatThrownBy(() -> with(3, s1, m1, 5, s1, m1, -1, 5)).hasMessageContaining("retryRatio must be from 0 to 10");
        assertThatThrownBy(() -> with(3, s1, m1, 5, s1, m1, Double.NaN, 5)).hasMessageContaining("retryRatio");
        assertThatThrownBy(() -> with(3, s1, m1, 5, s1, m1, 0.5, 0)).hasMessageContaining("minRetriesPerSecond")
                .hasMessageContaining("never starved");
        assertThatThrownBy(() -> with(3, null, m1, 5, s1, m1, 0.5, 5)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("baseDelay");
    }
}
