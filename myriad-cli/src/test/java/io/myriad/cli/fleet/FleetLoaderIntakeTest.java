package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.myriad.core.fleet.FleetSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet key {@code intake}: an open fleet may start without tasks. */
class FleetLoaderIntakeTest {
    private static final String HEAD = """
            fleet: inbox
            agents:
              a: {instructions: hi}
            """;

    @TempDir
    Path dir;

    private FleetSpec load(String yaml) throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, yaml);
        return FleetLoader.load(file, FleetLoaderTest.TOOLS);
    }

    @Test
    void anOpenFleetMayHaveNoTasksOrAnEmptyList() throws IOException {
        assertThat(load(HEAD + "intake: open\n").intakeOpen()).isTrue();
        assertThat(load(HEAD + "intake: open\ntasks: []\n").tasks()).isEmpty();
        FleetSpec some = load(HEAD + "intake: open\ntasks: [go]\n");
        assertThat(some.tasks()).hasSize(1);
        assertThat(load(HEAD + "tasks: [go]\n").intakeOpen()).as("closed by default").isFalse();
        assertThat(load(HEAD + "intake: closed\ntasks: [go]\n").intakeOpen()).isFalse();
    }

    @Test
    void aClosedFleetStillNeedsTasksAndOtherValuesAreRefused() throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, HEAD + "intake: ajar\n");
        FleetFileException e = catchThrowableOfType(FleetFileException.class, () -> FleetLoader.load(file, FleetLoaderTest.TOOLS));
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("expected open (tasks may be submitted while the fleet runs) or closed")
                .contains("missing");
    }
}
