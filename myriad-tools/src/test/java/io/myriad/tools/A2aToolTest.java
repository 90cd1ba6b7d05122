package io.myriad.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.fleet.A2aSpec;
import io.myriad.core.secret.Secrets;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code a2a} tool's refusals before anything is sent; the conversation itself is in the CLI's A2aIT. */
class A2aToolTest {
    @TempDir
    Path dir;

    private final A2aSpec.Agent local = new A2aSpec.Agent("local", URI.create("http://127.0.0.1:9/a2a/default/x"),
            Optional.of("TOKEN"));

    private ToolContext context() {
        return new ToolContext("run-1", "c1", "e/t/m1/c0", dir);
    }

    @Test
    void itNamesTheAgentsItMayAskAndIsIrreversible() {
        A2aTool tool = new A2aTool(Map.of("local", local), AddressGuard.of(false), Secrets.none());
        assertThat(tool.effect()).isEqualTo(Effect.IRREVERSIBLE);
        assertThat(tool.definition().description()).contains("local");
        assertThat(tool.definition().parameters().path("properties").path("agent").path("enum").toString()).contains("local");
    }

    @Test
    void unknownAgentsPrivateAddressesAndMissingSecretsAreRefused() {
        A2aTool guarded = new A2aTool(Map.of("local", local), AddressGuard.of(false), Secrets.none());
        assertThatThrownBy(() -> guarded.invoke(Json.parse("{\"agent\":\"other\",\"message\":\"hi\"}"), context()))
                .isInstanceOf(ToolException.class).hasMessageContaining("unknown A2A agent 'other'").hasMessageContaining("local");
        assertThatThrownBy(() -> guarded.invoke(Json.parse("{\"agent\":\"local\",\"message\":\"hi\"}"), context()))
                .isInstanceOf(ToolException.class).hasMessageContaining("allow_private");
        A2aTool open = new A2aTool(Map.of("local", local), AddressGuard.of(true), Secrets.none());
        assertThatThrownBy(() -> open.invoke(Json.parse("{\"agent\":\"local\",\"message\":\"hi\"}"), context()))
                .isInstanceOf(ToolException.class).hasMessageContaining("needs secret TOKEN");
        A2aTool none = new A2aTool(Map.of(), AddressGuard.of(true), Secrets.none());
        assertThatThrownBy(() -> none.invoke(Json.parse("{\"agent\":\"local\",\"message\":\"hi\"}"), context()))
                .isInstanceOf(ToolException.class).hasMessageContaining("declare them under a2a.agents");
    }
}
