package io.myriad.tools.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bubblewrap command line, built against a fake host root. */
class BwrapArgsTest {
    @TempDir
    Path host;
    private Path workspace;

    @BeforeEach
    void setUp() throws IOException {
        Files.createDirectories(host.resolve("usr"));
        Files.createDirectories(host.resolve("etc/ssl"));
        Files.writeString(host.resolve("etc/resolv.conf"), "nameserver 10.0.0.1\n");
        Files.writeString(host.resolve("etc/hosts"), "127.0.0.1 localhost\n");
        workspace = Files.createDirectories(host.resolve("ws"));
    }

    private List<String> args(boolean network) {
        return BwrapArgs.of(Path.of("/usr/bin/bwrap"), host, workspace, List.of(), 1024, network);
    }

    private static boolean binds(List<String> a, String option, String from, String to) {
        return Collections.indexOfSubList(a, List.of(option, from, to)) >= 0;
    }

    @Test
    void withoutNetworkTheNamespaceStaysEmptyAndResolvConfHidden() {
        List<String> a = args(false);
        assertThat(a).contains("--unshare-all").doesNotContain("--share-net");
        assertThat(binds(a, "--ro-bind-try", host + "/etc/resolv.conf", "/etc/resolv.conf"))
                .isFalse();
        assertThat(a.getLast()).isEqualTo("--");
    }

    @Test
    void withNetworkSharesItAfterUnshareAllAndShowsWhatLookupsNeed() {
        List<String> a = args(true);
        assertThat(a.indexOf("--share-net")).isEqualTo(a.indexOf("--unshare-all") + 1);
        for (String name : List.of("resolv.conf", "hosts", "nsswitch.conf", "ssl",
                "ca-certificates")) {
            assertThat(binds(a, "--ro-bind-try", host + "/etc/" + name, "/etc/" + name))
                    .as(name).isTrue();
            assertThat(Collections.frequency(a, "/etc/" + name)).as(name).isEqualTo(1);
        }
        // read-only, and the workspace stays the one writable bind
        assertThat(Collections.frequency(a, "--bind")).isEqualTo(1);
        assertThat(a.getLast()).isEqualTo("--");
    }

    @Test
    void theBuilderDefaultsToNoNetwork() {
        try (Sandbox off = Sandbox.builder().build();
                Sandbox on = Sandbox.builder().network(true).build()) {
            assertThat(off.network()).isFalse();
            assertThat(on.network()).isTrue();
        }
    }
}
