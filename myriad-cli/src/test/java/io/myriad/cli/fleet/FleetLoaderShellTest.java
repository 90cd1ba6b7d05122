package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.fleet.FleetSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code shell} section: bubblewrap by default, {@code none} only when the file says so. */
class FleetLoaderShellTest {
    private static final Set<String> TOOLS = Set.of("shell");

    @TempDir
    Path dir;

    private FleetSpec load(String extra) throws IOException {
        Path file = dir.resolve("f.yaml");
        Files.writeString(file, "fleet: f\nagents: {a: {instructions: A, tools: [shell]}}\ntasks: [go]\n" + extra);
        return FleetLoader.load(file, TOOLS);
    }

    @Test
    void theShellIsSandboxedUnlessTheFileOptsOut() throws IOException {
        assertThat(load("").shellSandbox()).isEqualTo("bubblewrap");
        assertThat(load("shell: {sandbox: bubblewrap}\n").shellSandbox()).isEqualTo("bubblewrap");
        assertThat(load("shell: {sandbox: none}\n").shellSandbox()).isEqualTo("none");
    }

    @Test
    void anUnknownSandboxIsAnErrorWithItsPosition() {
        assertThatThrownBy(() -> load("shell: {sandbox: nonee}\n"))
                .isInstanceOf(FleetFileException.class)
                .hasMessageContaining("4:18")
                .hasMessageContaining("unknown sandbox 'nonee'")
                .hasMessageContaining("did you mean 'none'");
        assertThatThrownBy(() -> load("shell: {sandbx: none}\n"))
                .isInstanceOf(FleetFileException.class)
                .hasMessageContaining("did you mean 'sandbox'");
    }
}
