package io.myriad.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.model.ToolDefinition;
import java.util.List;
import org.junit.jupiter.api.Test;

class ToolNamesTest {
    private static final String VALID = "[a-zA-Z0-9_-]{1,64}";

    @Test
    void replacesEveryCharacterOutsideTheAllowedSetWithAnUnderscore() {
        ToolNames names = ToolNames.of(tools("fs.read", "mcp.crm.lookup", "web search/v2", "ok_name-1"));

        assertThat(names.toWire("fs.read")).isEqualTo("fs_read");
        assertThat(names.toWire("mcp.crm.lookup")).isEqualTo("mcp_crm_lookup");
        assertThat(names.toWire("web search/v2")).isEqualTo("web_search_v2");
        assertThat(names.toWire("ok_name-1")).isEqualTo("ok_name-1");
        assertThat(names.fromWire("fs_read")).isEqualTo("fs.read");
        assertThat(names.fromWire("web_search_v2")).isEqualTo("web search/v2");
    }

    @Test
    void replacesACharacterOutsideTheBasicPlaneWithOneUnderscore() {
        ToolNames names = ToolNames.of(tools("notes.\uD83D\uDCDD.add", "ok"));

        assertThat(names.toWire("notes.\uD83D\uDCDD.add")).isEqualTo("notes___add");
        assertThat(names.toWire("ok")).isEqualTo("ok");
        assertThat(names.fromWire("notes___add")).isEqualTo("notes.\uD83D\uDCDD.add");
    }

    @Test
    void aValidNameKeepsItAndTheNameThatWouldCollideWithItGetsAHash() {
        ToolNames names = ToolNames.of(tools("a.b", "a_b", "a/b"));

        assertThat(names.toWire("a_b")).isEqualTo("a_b");
        assertThat(names.toWire("a.b")).matches("a_b_[0-9a-f]{8}");
        assertThat(names.toWire("a/b")).matches("a_b_[0-9a-f]{8}").isNotEqualTo(names.toWire("a.b"));
        for (String name : List.of("a.b", "a_b", "a/b")) {
            assertThat(names.fromWire(names.toWire(name))).isEqualTo(name);
        }
        assertThat(ToolNames.of(tools("a_b", "a/b", "a.b")).toWire("a.b"))
                .as("the order of the offered tools does not matter").isEqualTo(names.toWire("a.b"));
    }

    @Test
    void cutsLongNamesToSixtyFourCharactersKeepingThemApart() {
        String prefix = "mcp.server." + "x".repeat(60);
        ToolNames names = ToolNames.of(tools(prefix + ".read", prefix + ".write", "y".repeat(65)));

        for (String name : List.of(prefix + ".read", prefix + ".write", "y".repeat(65))) {
            assertThat(names.toWire(name)).matches(VALID).hasSize(ToolNames.MAX_LENGTH);
            assertThat(names.fromWire(names.toWire(name))).isEqualTo(name);
        }
        assertThat(names.toWire(prefix + ".read")).startsWith("mcp_server_xxx").isNotEqualTo(names.toWire(prefix + ".write"));
        assertThat(ToolNames.of(tools("z".repeat(64))).toWire("z".repeat(64))).isEqualTo("z".repeat(64));
    }

    @Test
    void namesThatWereNotOfferedAreMadeSafeButNeverTakeAnOfferedToolsWireName() {
        ToolNames names = ToolNames.of(tools("fs.read"));

        assertThat(names.toWire("no.such.tool")).isEqualTo("no_such_tool");
        assertThat(names.toWire("fs_read")).as("would pass for fs.read").matches("fs_read_[0-9a-f]{8}");
        assertThat(names.toWire("")).matches("_[0-9a-f]{8}");
        assertThat(names.fromWire("no_such_tool")).isEqualTo("no_such_tool");
        assertThat(names.fromWire(names.toWire("fs_read"))).as("not mapped back").isEqualTo(names.toWire("fs_read"));
    }

    @Test
    void offeringATwiceIsOfferingItOnce() {
        ToolNames names = ToolNames.of(tools("fs.read", "fs.read"));

        assertThat(names.toWire("fs.read")).isEqualTo("fs_read");
        assertThat(names.fromWire("fs_read")).isEqualTo("fs.read");
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> ToolNames.of(null)).isInstanceOf(NullPointerException.class);
        ToolNames names = ToolNames.of(List.of());
        assertThatThrownBy(() -> names.toWire(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> names.fromWire(null)).isInstanceOf(NullPointerException.class);
    }

    static List<ToolDefinition> tools(String... names) {
        return java.util.Arrays.stream(names)
                .map(name -> new ToolDefinition(name, "", Wire.parse("{\"type\":\"object\"}")))
                .toList();
    }
}
