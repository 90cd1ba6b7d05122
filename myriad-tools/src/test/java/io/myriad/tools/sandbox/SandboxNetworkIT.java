package io.myriad.tools.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without network the sandbox's namespace has only a loopback device; with
 * {@code network(true)} it sees the host's devices. Needs bubblewrap and a host with a network
 * device besides {@code lo}.
 */
class SandboxNetworkIT {
    private static final Duration T = Duration.ofSeconds(30);

    @TempDir
    Path ws;

    /** The interface names in {@code /proc/net/dev}, as the sandbox sees them. */
    private List<String> devices(Sandbox sandbox) {
        assertThat(sandbox.unavailable()).as("bubblewrap must be installed").isEmpty();
        Outcome o = sandbox.run(ws, "tail -n +3 /proc/net/dev | cut -d: -f1", T);
        assertThat(o.exitCode()).as(o.stderr()).isZero();
        return Arrays.stream(o.stdout().split("\n")).map(String::strip)
                .filter(s -> !s.isEmpty()).toList();
    }

    @Test
    void withoutNetworkOnlyLoopback() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            assertThat(devices(sandbox)).containsExactly("lo");
        }
    }

    @Test
    void withNetworkTheHostsDevicesAndResolvConf() {
        try (Sandbox sandbox = Sandbox.builder().network(true).build()) {
            assertThat(devices(sandbox)).contains("lo").hasSizeGreaterThan(1);
            assertThat(sandbox.run(ws, "test -r /etc/resolv.conf && echo yes", T).stdout())
                    .isEqualTo("yes\n");
            assertThat(sandbox.run(ws, "echo x > /etc/resolv.conf", T).stderr())
                    .contains("Read-only file system");
        }
    }
}
