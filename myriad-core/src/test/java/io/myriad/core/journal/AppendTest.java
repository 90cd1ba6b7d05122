package io.myriad.core.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.cluster.Claim;
import io.myriad.core.run.RunState;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AppendTest {
    private static final RunStatus STATUS = new RunStatus(RunState.NEW, 0, 0, 0, 0, 1, "");
    private static final List<RunEvent> EVENTS = List.of(new RunEvent.RunCancelled(1, "test"));

    @Test
    void anAppendWithoutAnOwnerIsFencedBySequenceOnly() {
        var append = new Journal.Append("r", 0, EVENTS, STATUS);
        assertThat(append.owner()).isEmpty();
        var owned = append.ownedBy(new Journal.Owner("n", 3));
        assertThat(owned.owner()).contains(new Journal.Owner("n", 3));
        assertThat(owned.runId()).isEqualTo("r");
        assertThat(owned.events()).isEqualTo(EVENTS);
    }

    @Test
    void badOwnersAndClaimsAreRefused() {
        assertThatThrownBy(() -> new Journal.Append("r", 0, EVENTS, STATUS, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new Journal.Owner(" ", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Journal.Owner("n", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Claim("r", "n", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new Claim("r", "n", 2).owner()).isEqualTo(new Journal.Owner("n", 2));
        assertThat(new Journal.Append("r", 0, EVENTS, STATUS, Optional.empty())).isEqualTo(new Journal.Append("r", 0, EVENTS, STATUS));
    }
}
