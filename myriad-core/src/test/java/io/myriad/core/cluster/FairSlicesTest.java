package io.myriad.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** Water-filling targets and the step a held slice takes. */
class FairSlicesTest {

    @Test
    void threeBusyNodesShareTwelveEqually() {
        assertThat(FairSlices.targets(12, Map.of("a", 50, "b", 50, "c", 50))).containsExactlyEntriesOf(
                new java.util.TreeMap<>(Map.of("a", 4, "b", 4, "c", 4)));
    }

    @Test
    void aNodeWithoutDemandGetsNothingAndWhatASmallDemandLeavesGoesToTheOthers() {
        assertThat(FairSlices.targets(12, Map.of("a", 0, "b", 50, "c", 50))).containsEntry("a", 0)
                .containsEntry("b", 6).containsEntry("c", 6);
        assertThat(FairSlices.targets(12, Map.of("a", 1, "b", 50, "c", 50))).containsEntry("a", 1)
                .containsEntry("b", 5).containsEntry("c", 6);
        assertThat(FairSlices.targets(12, Map.of("a", 2, "b", 3))).containsEntry("a", 2).containsEntry("b", 3);
    }

    @Test
    void everyNodeWithDemandGetsOneWhenThereIsOneForEach() {
        assertThat(FairSlices.targets(3, Map.of("a", 100, "b", 1, "c", 7))).containsValues(1, 1, 1);
        assertThat(FairSlices.targets(2, Map.of("a", 100, "b", 1, "c", 7)).values().stream().mapToInt(i -> i).sum())
                .isEqualTo(2);
    }

    @Test
    void aLoweringWaitsForTheCallsInFlightAndARaiseForRoom() {
        assertThat(FairSlices.step(3, 6, 6, 6)).isEqualTo(new FairSlices.Step(3, 6));
        assertThat(FairSlices.step(3, 6, 6, 4)).isEqualTo(new FairSlices.Step(3, 4));
        assertThat(FairSlices.step(3, 6, 6, 3)).isEqualTo(new FairSlices.Step(3, 3));
        assertThat(FairSlices.step(6, 2, 0, 0)).isEqualTo(new FairSlices.Step(2, 2));
        // Never holds more than it held to cover what it says is in use.
        assertThat(FairSlices.step(0, 0, 2, 9)).isEqualTo(new FairSlices.Step(0, 2));
    }

    @Property
    void targetsAreWithinTheLimitAndTheDemandsWorkConservingAndMaxMinFair(
            @ForAll @IntRange(max = 200) int limit,
            @ForAll @Size(max = 8) List<@IntRange(max = 60) Integer> demandList) {
        Map<String, Integer> demands = new HashMap<>();
        for (int i = 0; i < demandList.size(); i++) {
            demands.put("n" + i, demandList.get(i));
        }
        Map<String, Integer> targets = FairSlices.targets(limit, demands);
        int sum = targets.values().stream().mapToInt(i -> i).sum();
        int wanted = demands.values().stream().mapToInt(i -> i).sum();
        assertThat(sum).isEqualTo(Math.min(limit, wanted));
        long withDemand = demands.values().stream().filter(d -> d > 0).count();
        demands.forEach((id, d) -> {
            int t = targets.get(id);
            assertThat(t).isBetween(0, d);
            if (d > 0 && limit >= withDemand) {
                assertThat(t).isGreaterThanOrEqualTo(1);
            }
            if (t < d) {
                // A node short of its demand has no less than any other, give or take the rounding unit.
                targets.values().forEach(other -> assertThat(other).isLessThanOrEqualTo(t + 1));
            }
        });
    }
}
