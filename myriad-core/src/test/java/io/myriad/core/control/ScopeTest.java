package io.myriad.core.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Which runs a control covers, and the stored form of scopes. */
class ScopeTest {

    @Test
    void eachScopeCoversExactlyItsRuns() {
        assertThat(new Scope.Run("f-1:t1").covers("acme", "f", "f-1:t1")).isTrue();
        assertThat(new Scope.Run("f-1:t1").covers("acme", "f", "f-1:t10")).isFalse();
        assertThat(new Scope.Run("f-1:t1").coversFleet("acme", "f")).isFalse();

        assertThat(new Scope.Fleet("acme", "f").covers("acme", "f", "f-1:t1")).isTrue();
        assertThat(new Scope.Fleet("acme", "f").covers("other", "f", "f-1:t1")).as("same fleet name, other tenant").isFalse();
        assertThat(new Scope.Fleet("acme", "f").covers("acme", "g", "g-1:t1")).isFalse();

        assertThat(new Scope.Tenant("acme").covers("acme", "anything", "x")).isTrue();
        assertThat(new Scope.Tenant("acme").covers("acme2", "anything", "x")).isFalse();

        assertThat(new Scope.All().covers("any", "fleet", "x")).isTrue();
    }

    @Test
    void scopesRoundTripThroughTheirStoredForm() {
        for (Scope s : new Scope[] {new Scope.Run("r"), new Scope.Fleet("t", "f"), new Scope.Tenant("t"), new Scope.All()}) {
            String tenant = s instanceof Scope.Fleet f ? f.tenant() : "*";
            assertThat(Scope.of(s.kind(), s.value(), tenant)).isEqualTo(s);
        }
        assertThatThrownBy(() -> Scope.of("galaxy", "x", "t")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("run, fleet, tenant, all");
        assertThatThrownBy(() -> new Scope.Fleet("t", " ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCancelReasonNamesTheActorAndTheReason() {
        assertThat(new Control(1, 0, "local:alice", Action.KILL, new Scope.All(), "").cancelReason())
                .isEqualTo("killed by local:alice");
        assertThat(new Control(1, 0, "local:alice", Action.KILL, new Scope.All(), "runaway").cancelReason())
                .isEqualTo("killed by local:alice: runaway");
        assertThat(Action.of("pause").auditAction()).isEqualTo("control.pause");
    }
}
