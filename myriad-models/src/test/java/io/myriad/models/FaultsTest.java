package io.myriad.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.fleet.Faults;
import io.myriad.core.fleet.ModelSpec;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The validation of {@link Faults} and its place in {@link ModelSpec.Simulated}. */
class FaultsTest {

    @Test
    void noneHasNoFaultAndTheDefaultDurations() {
        assertThat(Faults.NONE.any()).isFalse();
        assertThat(Faults.NONE.describe()).isEqualTo("none");
        assertThat(Faults.NONE.retryAfter()).isEqualTo(Duration.ofSeconds(1));
        assertThat(Faults.NONE.hang()).isEqualTo(Duration.ofSeconds(30));
        assertThat(Faults.NONE.spike()).isEqualTo(Duration.ofSeconds(2));
        assertThat(Faults.NONE.from()).isZero();
        assertThat(Faults.NONE.until()).isEqualTo(Faults.NO_END);
        assertThat(Faults.NONE.activeAt(Duration.ofDays(3650))).isTrue();
    }

    @Test
    void anyRateMakesAny() {
        assertThat(Faults.builder().latencySpike(0.01).build().any()).isTrue();
        assertThat(Faults.builder().hostile(0.01).build().any()).isTrue();
        assertThat(Faults.builder().hang(Duration.ofSeconds(1)).build().any()).isFalse();
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of((UnaryOperator<Faults.Builder>) b -> b.rateLimited(1.5), "rateLimited", "from 0 to 1"),
                Arguments.of((UnaryOperator<Faults.Builder>) b -> b.serverError(-0.1), "serverError", "from 0 to 1"),
                Arguments.of((UnaryOperator<Faults.Builder>) b -> b.hostile(Double.NaN), "hostile", "NaN"),
                Arguments.of((UnaryOperator<Faults.Builder>) b -> b.latencySpike(2), "latencySpike", "from 0 to 1"),
                Arguments.of((UnaryOperator<Faults.Builder>) b -> b.rateLimited(0.5).timeout(0.3).malformed(0.3),
                        "add up to 1.1", "at most 1"),
                Arguments.of((UnaryOperator<Faults.Builder>) b -> b.hang(Duration.ofSeconds(-1)), "hang", "negative"),
                Arguments.of((UnaryOperator<Faults.Builder>) b -> b.retryAfter(Duration.ofMillis(-1)), "retryAfter",
                        "negative"),
                Arguments.of((UnaryOperator<Faults.Builder>) b -> b.from(Duration.ofMinutes(2)).until(Duration.ofMinutes(1)),
                        "until", "after"),
                Arguments.of((UnaryOperator<Faults.Builder>) b -> b.until(Duration.ZERO), "until", "after"));
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void refusesInvalidFaultsWithAClearMessage(UnaryOperator<Faults.Builder> faults, String names, String says) {
        assertThatThrownBy(() -> faults.apply(Faults.builder()).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(names)
                .hasMessageContaining(says);
    }

    @Test
    void latencySpikesDoNotCountTowardsTheExclusiveSum() {
        Faults faults = Faults.builder().rateLimited(0.5).serverError(0.5).latencySpike(1).build();
        assertThat(faults.any()).isTrue();
        assertThat(Faults.builder().rateLimited(0.1).rateLimitedNoRetryAfter(0.2).serverError(0.7).build().serverError())
                .isEqualTo(0.7);
    }

    @Test
    void theWindowIncludesItsStartAndExcludesItsEnd() {
        Faults faults = Faults.builder().rateLimited(1).from(Duration.ofSeconds(10)).until(Duration.ofSeconds(20)).build();
        assertThat(faults.activeAt(Duration.ofMillis(9_999))).isFalse();
        assertThat(faults.activeAt(Duration.ofSeconds(10))).isTrue();
        assertThat(faults.activeAt(Duration.ofMillis(19_999))).isTrue();
        assertThat(faults.activeAt(Duration.ofSeconds(20))).isFalse();
    }

    @Test
    void theSimulatedSpecKeepsItsFiveParameterConstructorAndDescribesItsFaults() {
        ModelSpec.Simulated plain = new ModelSpec.Simulated("tools", 2, Duration.ZERO, 42, 128_000);
        assertThat(plain.faults()).isEqualTo(Faults.NONE);
        assertThat(plain).isEqualTo(ModelSpec.Simulated.DEFAULT);
        assertThat(new ModelSpec.Simulated("tools", 2, Duration.ZERO, 42, 128_000, null)).isEqualTo(plain);
        assertThat(plain.describe()).isEqualTo("sim (simulated model, scenario tools)");

        ModelSpec.Simulated stormy = plain.withFaults(Faults.builder().rateLimited(0.5).timeout(0.125)
                .hang(Duration.ofMillis(1500)).until(Duration.ofMinutes(1)).build());
        assertThat(stormy.describe()).isEqualTo("sim (simulated model, scenario tools, faults: 429 50% (Retry-After 1s),"
                + " timeout 12.5% (hang 1500ms), from 0s until 1m)");
    }
}
