package io.myriad.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostAllowListTest {
    private final HostAllowList list = HostAllowList.of(
            List.of("api.example.com", "*.Internal.Example", "127.0.0.1", "[::1]", "docs.io."));

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "api.example.com, true",
        "API.Example.COM, true",
        "api.example.com., true",
        "example.com, false",
        "v2.api.example.com, false",
        "xapi.example.com, false",
        "a.internal.example, true",
        "a.b.internal.example, true",
        "internal.example, false",
        "evilinternal.example, false",
        "internal.example.evil.com, false",
        "127.0.0.1, true",
        "127.0.0.2, false",
        "[::1], true",
        "::1, true",
        "docs.io, true",
        "'', false",
    })
    void matchesExactHostsAndSubdomainWildcards(String host, boolean allowed) {
        assertThat(list.allows(host)).isEqualTo(allowed);
    }

    @ParameterizedTest
    @CsvSource({"''", "'http://a.com'", "'a.com/path'", "'*'", "'*.'", "'a b.com'", "'user@a.com'"})
    void rejectsMalformedEntries(String entry) {
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> HostAllowList.of(List.of(entry)))
                .withMessageContaining("is not a host name");
    }
}
