package io.myriad.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.tools.sandbox.Limits;
import io.myriad.tools.sandbox.Sandbox;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shell tool asks its guard before anything else, and runs nothing it refuses. */
class ShellToolGuardTest {
    @TempDir
    Path ws;

    @Test
    void settingsKeepTheirGuardAndDefaultToNone() {
        assertThat(ShellTool.Settings.DEFAULTS.guard()).isSameAs(CommandGuard.NONE);
        assertThat(new ShellTool.Settings(Sandbox.Mode.NONE, Limits.DEFAULTS,
                Duration.ofSeconds(5)).guard()).isSameAs(CommandGuard.NONE);
        CommandGuard g = (c, ctx) -> Optional.empty();
        ShellTool.Settings s = ShellTool.Settings.DEFAULTS.withGuard(g);
        assertThat(s.guard()).isSameAs(g);
        assertThat(s.withSandbox(Sandbox.Mode.NONE).guard()).isSameAs(g);
        assertThat(s.withSandbox(Sandbox.Mode.NONE).sandbox()).isEqualTo(Sandbox.Mode.NONE);
        assertThatThrownBy(() -> ShellTool.Settings.DEFAULTS.withGuard(null))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void aRefusedCommandFailsTheCallWithTheReasonAndIsNotRun() {
        List<String> asked = new ArrayList<>();
        CommandGuard guard = (command, context) -> {
            asked.add(command + " in " + context.runId());
            return command.contains("rm") ? Optional.of("no removals here") : Optional.empty();
        };
        // a sandbox that cannot run anything: the guard answers before it is needed
        ShellTool tool = new ShellTool(ShellTool.Settings.DEFAULTS.withGuard(guard),
                Sandbox.builder().bwrap(Path.of("/nonexistent/bwrap")).build());
        ToolContext context = new ToolContext("run-7", "call-1", "key-1", ws);
        assertThatThrownBy(() -> tool.invoke(Json.parse("{\"command\": \"rm -rf .\"}"), context))
                .isInstanceOf(ToolException.class)
                .hasMessage("the command was refused, so nothing was run: no removals here");
        assertThatThrownBy(() -> tool.invoke(Json.parse("{\"command\": \"ls\"}"), context))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("bubblewrap");
        assertThat(asked).containsExactly("rm -rf . in run-7", "ls in run-7");
    }
}
