package io.myriad.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.gateway.ModelGatewayTest.ManualProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The concurrency limit changed at runtime, as a node's slice of a cluster-wide limit changes. */
class ModelGatewayLimitTest {
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    ModelGateway gateway(ManualProvider provider, int slots) {
        return ModelGateway.builder().provider(provider).maxConcurrency(slots).executor(Runnable::run).timer(timer).build();
    }

    static List<CompletableFuture<ModelGateway.Outcome>> submit(ModelGateway g, int n) {
        List<CompletableFuture<ModelGateway.Outcome>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = "r" + i;
            out.add(g.submit(new ModelGateway.Call("t", "f", 0, 1, () -> ModelGatewayTest.request(id))));
        }
        return out;
    }

    @Test
    void raisingTheLimitAdmitsWaitingCallsAtOnce() {
        ManualProvider p = new ManualProvider();
        ModelGateway g = gateway(p, 2);
        submit(g, 10);
        assertThat(g.inFlight()).isEqualTo(2);
        assertThat(g.queued()).isEqualTo(8);

        g.maxConcurrency(7);

        assertThat(g.maxConcurrency()).isEqualTo(7);
        assertThat(g.inFlight()).isEqualTo(7);
        assertThat(p.arrived).hasSize(7);
        assertThat(g.queued()).isEqualTo(3);
    }

    @Test
    void aLimitOfZeroSendsNothingUntilRaised() {
        ManualProvider p = new ManualProvider();
        ModelGateway g = gateway(p, 0);
        submit(g, 5);
        assertThat(p.arrived).isEmpty();
        assertThat(g.queued()).isEqualTo(5);

        g.maxConcurrency(1);
        assertThat(p.arrived).hasSize(1);
        g.maxConcurrency(0);
        p.answerOne();
        assertThat(p.arrived).hasSize(1);
        assertThat(g.inFlight()).isZero();
        assertThat(g.queued()).isEqualTo(4);
    }

    @Test
    void loweringLetsCallsInFlightFinishAndAdmitsNoMoreUntilTheyFitUnderTheNewLimit() {
        ManualProvider p = new ManualProvider();
        ModelGateway g = gateway(p, 8);
        List<CompletableFuture<ModelGateway.Outcome>> outcomes = submit(g, 40);
        assertThat(g.inFlight()).isEqualTo(8);

        g.maxConcurrency(3);

        // Nothing is interrupted: all eight are still open.
        assertThat(p.open).hasSize(8);
        assertThat(outcomes.stream().filter(CompletableFuture::isDone)).isEmpty();
        // Five answers drain to three in flight without admitting anything new.
        for (int i = 0; i < 5; i++) {
            p.answerOne();
            assertThat(p.arrived).hasSize(8);
        }
        assertThat(g.inFlight()).isEqualTo(3);
        // From here each answer admits one, and never more than three are in flight.
        p.maxInFlight.set(0);
        while (p.answerOne()) {
            assertThat(g.inFlight()).isLessThanOrEqualTo(3);
        }
        assertThat(p.maxInFlight.get()).isEqualTo(3);
        assertThat(outcomes).allSatisfy(o -> assertThat(o).isCompleted());
    }

    @Test
    void underRandomChangesTheCallsInFlightNeverExceedTheLimitOnceTheyDrainedUnderIt() {
        Random random = new Random(42);
        ManualProvider p = new ManualProvider();
        ModelGateway g = gateway(p, 4);
        List<CompletableFuture<ModelGateway.Outcome>> outcomes = submit(g, 2_000);
        // The most calls that may be in flight: the limit, or more only while calls admitted under
        // an earlier, higher limit drain (and then never more than before the change).
        int bound = 4;
        for (int step = 0; step < 5_000 && !p.open.isEmpty(); step++) {
            if (random.nextInt(10) == 0) {
                int limit = random.nextInt(10);
                g.maxConcurrency(limit);
                bound = Math.max(limit, g.inFlight());
            } else {
                p.answerOne();
                bound = Math.max(g.maxConcurrency(), Math.min(bound, g.inFlight()));
            }
            assertThat(g.inFlight()).isLessThanOrEqualTo(bound);
            assertThat(p.inFlight.get()).isEqualTo(g.inFlight());
            if (g.inFlight() == 0 && g.maxConcurrency() == 0) {
                g.maxConcurrency(1 + random.nextInt(5));
            }
        }
        g.maxConcurrency(16);
        while (p.answerOne()) {
            assertThat(g.inFlight()).isLessThanOrEqualTo(16);
        }
        assertThat(outcomes).allSatisfy(o -> assertThat(o).isCompleted());
    }

    @Test
    void rejectsANegativeLimit() {
        ModelGateway g = gateway(new ManualProvider(), 1);
        assertThatThrownBy(() -> g.maxConcurrency(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ModelGateway.builder().maxConcurrency(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(g.maxConcurrency()).isEqualTo(1);
    }
}
