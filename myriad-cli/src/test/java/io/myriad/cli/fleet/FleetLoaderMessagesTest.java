package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.MessagingSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet key {@code messages}: declared message types and the schemas of their bodies. */
class FleetLoaderMessagesTest {
    private static final String HEAD = """
            fleet: talk
            agents:
              a: {instructions: hi}
            tasks: [go]
            """;

    @TempDir
    Path dir;

    private Path write(String yaml) throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void typesAreReadWithTheirSchemas() throws IOException {
        FleetSpec spec = FleetLoader.load(write(HEAD + """
                messages:
                  types:
                    finding: {schema: {type: object, required: [text]}}
                    note: {}
                    ping:
                """), FleetLoaderTest.TOOLS);
        assertThat(spec.messaging().types()).containsOnlyKeys("finding", "note", "ping");
        assertThat(spec.messaging().schema("finding").orElseThrow().path("required").get(0).asText()).isEqualTo("text");
        assertThat(spec.messaging().schema("note").orElseThrow()).isEmpty();
        assertThat(spec.messaging().typed()).isTrue();
        assertThat(FleetLoader.load(write(HEAD), FleetLoaderTest.TOOLS).messaging()).isEqualTo(MessagingSpec.NONE);
    }

    @Test
    void badTypesAreReportedWithTheirLines() throws IOException {
        Path file = write(HEAD + """
                messages:
                  types:
                    "9lives": {}
                    finding: {schema: [not, a, mapping], colour: red}
                """);
        FleetFileException e = catchThrowableOfType(FleetFileException.class, () -> FleetLoader.load(file, FleetLoaderTest.TOOLS));
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains(":7:").contains("expected a message type name")
                .contains("colour").contains(":8:");
        Path empty = write(HEAD + "messages: {types: {}}\n");
        assertThat(catchThrowableOfType(FleetFileException.class, () -> FleetLoader.load(empty, FleetLoaderTest.TOOLS))
                .getMessage()).contains("at least one message type");
    }
}
