package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.McpServerSpec;
import io.myriad.core.fleet.SecretSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code secrets} key and {@code secret:NAME} in MCP server environments, with problems at their positions. */
class FleetLoaderSecretsTest {
    @TempDir
    Path dir;

    private Path write(String yaml) throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private List<String> problems(String yaml) throws IOException {
        Path file = write(yaml);
        FleetFileException e = catchThrowableOfType(FleetFileException.class, () -> FleetLoader.load(file, FleetLoaderTest.TOOLS));
        assertThat(e).as("expected the fleet file to be rejected").isNotNull();
        return e.problems().stream().map(p -> p.line() + ":" + p.column() + ": " + p.message()).toList();
    }

    @Test
    void reads_env_and_file_references_in_file_order() throws IOException {
        FleetSpec fleet = FleetLoader.load(write("""
                fleet: f
                tasks: [go]
                agents:
                  a: {instructions: hi}
                secrets:
                  CRM_TOKEN: env:CRM_TOKEN_VAR
                  DB_PASS: file:/etc/myriad/secrets
                  DEFAULT_ONE: "file:"
                mcp:
                  db: {command: [db-server], env: {DB_PASSWORD: "secret:DB_PASS", LEVEL: debug}}
                """), FleetLoaderTest.TOOLS);
        assertThat(fleet.secrets()).containsExactly(
                java.util.Map.entry("CRM_TOKEN", new SecretSpec("CRM_TOKEN", SecretSpec.Source.ENV, "CRM_TOKEN_VAR")),
                java.util.Map.entry("DB_PASS", new SecretSpec("DB_PASS", SecretSpec.Source.FILE, "/etc/myriad/secrets")),
                java.util.Map.entry("DEFAULT_ONE", new SecretSpec("DEFAULT_ONE", SecretSpec.Source.FILE, "")));
        assertThat(fleet.secrets().get("DEFAULT_ONE").file()).isEmpty();
        // The reference stays a reference in the spec; the value is set only when the server starts.
        assertThat(((McpServerSpec.Transport.Stdio) fleet.mcpServers().get("db").transport()).env())
                .containsEntry("DB_PASSWORD", "secret:DB_PASS");
    }

    @Test
    void a_value_instead_of_a_reference_a_bad_name_and_an_undeclared_mcp_secret_are_reported_at_their_positions()
            throws IOException {
        assertThat(problems("""
                fleet: f
                tasks: [go]
                agents:
                  a: {instructions: hi}
                secrets:
                  CRM_TOKEN: hunter2-plain-value
                  9BAD: env:X
                  EMPTY_ENV: "env:"
                mcp:
                  db: {command: [db-server], env: {DB_PASSWORD: "secret:DB_PAS"}}
                """)).containsExactly(
                "6:14: expected where secret CRM_TOKEN is read from: env:VAR, file:PATH or file: (the default secrets file "
                        + "~/.config/myriad/secrets); a fleet file never holds a secret's value",
                "7:3: expected a secret name (a letter or '_', then letters, digits or '_'), got '9BAD'",
                "8:14: expected env: followed by an environment variable name, like env:EMPTY_ENV, got 'env:'",
                "10:49: 'secret:DB_PAS' names no secret of this fleet; declared: CRM_TOKEN, EMPTY_ENV");
    }
}
