package io.myriad.models;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.model.ToolDefinition;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Whatever tools are offered, their wire names are valid and distinct, and each maps back to its tool. */
class ToolNamesProperties {

    @Property(tries = 500)
    void wireNamesAreValidDistinctAndMapBack(@ForAll("toolNames") List<String> offered) {
        List<ToolDefinition> tools = ToolNamesTest.tools(offered.toArray(String[]::new));
        ToolNames names = ToolNames.of(tools);

        Set<String> wire = new HashSet<>();
        for (String name : new HashSet<>(offered)) {
            String wireName = names.toWire(name);
            assertThat(wireName).matches("[a-zA-Z0-9_-]{1,64}");
            assertThat(wire.add(wireName)).as("%s shares its wire name %s", name, wireName).isTrue();
            assertThat(names.fromWire(wireName)).isEqualTo(name);
        }
        List<ToolDefinition> reversed = new ArrayList<>(tools).reversed();
        for (String name : offered) {
            assertThat(ToolNames.of(reversed).fromWire(names.toWire(name))).isEqualTo(name);
        }
    }

    @Provide
    Arbitrary<List<String>> toolNames() {
        Arbitrary<String> similar = Arbitraries.strings().withChars("ab._-/é").ofMinLength(0).ofMaxLength(6);
        Arbitrary<String> long_ = Arbitraries.strings().withChars("a.").ofMinLength(60).ofMaxLength(80);
        return Arbitraries.oneOf(similar, long_).list().ofMaxSize(12);
    }
}
