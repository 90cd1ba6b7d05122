package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.myriad.core.fleet.A2aSpec;
import io.myriad.core.fleet.FleetSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet key {@code a2a}: exposing a fleet, its card, and the agents its {@code a2a} tool may ask. */
class FleetLoaderA2aTest {
    private static final Set<String> TOOLS = Set.of("fs.read", "a2a");

    @TempDir
    Path dir;

    private FleetSpec load(String yaml) throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, yaml);
        return FleetLoader.load(file, TOOLS);
    }

    private String problems(String yaml) throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, yaml);
        FleetFileException e = catchThrowableOfType(FleetFileException.class, () -> FleetLoader.load(file, TOOLS));
        assertThat(e).as("expected problems in:\n" + yaml).isNotNull();
        return e.getMessage();
    }

    @Test
    void anExposedOpenFleetHasItsCardAndAgents() throws IOException {
        FleetSpec spec = load("""
                fleet: helpdesk
                intake: open
                secrets: {BILLING: "env:BILLING_TOKEN"}
                a2a:
                  expose: true
                  name: Helpdesk
                  description: Answers questions about orders.
                  skills: [{id: orders, name: Orders, tags: [orders], examples: ["Where is 42?"]}]
                  agents:
                    billing: {url: "https://billing.example.com/a2a", token_secret: BILLING}
                agents:
                  a: {instructions: hi, tools: [a2a]}
                """);
        A2aSpec a2a = spec.a2a();
        assertThat(a2a.expose()).isTrue();
        assertThat(a2a.name()).contains("Helpdesk");
        assertThat(a2a.skills()).singleElement().satisfies(s -> {
            assertThat(s.id()).isEqualTo("orders");
            assertThat(s.examples()).containsExactly("Where is 42?");
        });
        assertThat(a2a.agents().get("billing").url().getHost()).isEqualTo("billing.example.com");
        assertThat(a2a.agents().get("billing").tokenSecret()).contains("BILLING");
        assertThat(load("fleet: plain\nagents:\n  a: {instructions: hi}\ntasks: [go]\n").a2a()).isEqualTo(A2aSpec.NONE);
    }

    @Test
    void mistakesAreReportedWithTheirPlace() throws IOException {
        assertThat(problems("""
                fleet: closed
                a2a: {expose: true}
                agents:
                  a: {instructions: hi}
                tasks: [go]
                """)).contains("fleet.yaml:2:").contains("add 'intake: open'");
        String many = problems("""
                fleet: bad
                intake: open
                a2a:
                  expose: yes please
                  colour: blue
                  skills: [{name: No id}]
                  agents:
                    x: {url: "ftp://files.example.com"}
                    y: {url: "https://y.example.com", token_secret: NOPE}
                agents:
                  a: {instructions: hi}
                """);
        assertThat(many).contains("expected true or false").contains("unknown key 'colour'")
                .contains("missing the required key 'id'").contains("http(s) URL")
                .contains("names secret 'NOPE', which the fleet does not declare");
        assertThat(problems("""
                fleet: lonely
                agents:
                  a: {instructions: hi, tools: [a2a]}
                tasks: [go]
                """)).contains("lists the a2a tool").contains("a2a: {agents:");
    }
}
