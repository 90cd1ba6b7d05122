package io.myriad.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.tool.Effect;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import io.myriad.tools.sandbox.Limits;
import io.myriad.tools.sandbox.Sandbox;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShellToolIT {
    @TempDir
    Path ws;

    private ToolContext context() {
        return new ToolContext("run-1", "call-1", "x/t/m1/c0", ws);
    }

    @Test
    void reportsExitCodeDurationAndBothStreams() {
        ShellTool tool = new ShellTool(ShellTool.Settings.DEFAULTS);
        assertThat(tool.name()).isEqualTo("shell");
        assertThat(tool.effect()).isEqualTo(Effect.IRREVERSIBLE);
        ToolResult ok = tool.invoke(Json.parse("""
                {"command": "echo hi > a.txt && cat a.txt"}"""), context());
        assertThat(ok.error()).isFalse();
        assertThat(ok.content()).startsWith("exit code: 0\nduration: ")
                .endsWith("stdout:\nhi\nstderr: (empty)\n");
        ToolResult failed = tool.invoke(Json.parse("""
                {"command": "echo bad >&2; exit 2"}"""), context());
        assertThat(failed.error()).isTrue();
        assertThat(failed.content()).startsWith("exit code: 2\n")
                .endsWith("stdout: (empty)\nstderr:\nbad\n");
    }

    @Test
    void marksTruncatedOutputAndTimeouts() {
        ShellTool tool = new ShellTool(new ShellTool.Settings(Sandbox.Mode.BUBBLEWRAP,
                Limits.DEFAULTS.withMaxOutputBytes(100).withWallTime(Duration.ofSeconds(2)),
                Duration.ofSeconds(1)));
        ToolResult big = tool.invoke(Json.parse("""
                {"command": "head -c 1000 /dev/zero | tr '\\\\0' a"}"""), context());
        assertThat(big.content()).contains("a".repeat(100) + "\n[output truncated: 900 more bytes]");
        ToolResult slow = tool.invoke(Json.parse("""
                {"command": "sleep 100", "timeout_s": 50}"""), context());
        assertThat(slow.error()).isTrue();
        assertThat(slow.content()).startsWith("timed out after 2 s")
                .contains("(timeout_s lowered to the limit of 2 s)");
    }

    @Test
    void refusesWithoutBubblewrapAndSaysHowToInstallIt() {
        ShellTool tool = new ShellTool(ShellTool.Settings.DEFAULTS,
                Sandbox.builder().bwrap(Path.of("/nonexistent/bwrap")).build());
        assertThatThrownBy(() -> tool.invoke(Json.parse("{\"command\": \"true\"}"), context()))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("apt-get install bubblewrap")
                .hasMessageContaining("sandbox: none");
    }

    @Test
    void codingGuardsRefuseBeforeTheSandboxRunsAnything() throws Exception {
        ShellTool tool = new ShellTool(ShellTool.Settings.DEFAULTS.withGuard(
                io.myriad.tools.coding.CodingGuards.forCoding(false)));
        java.nio.file.Files.writeString(ws.resolve("keep.txt"), "work");
        assertThatThrownBy(() -> tool.invoke(Json.parse("""
                {"command": "touch ran && rm -rf ."}"""), context()))
                .isInstanceOf(ToolException.class)
                .hasMessageStartingWith("the command was refused, so nothing was run: ")
                .hasMessageContaining("would delete the whole workspace");
        assertThatThrownBy(() -> tool.invoke(Json.parse("""
                {"command": "touch ran; curl -sS http://example.org"}"""), context()))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("the sandbox has no network for this task");
        assertThat(ws.resolve("ran")).doesNotExist();
        assertThat(ws.resolve("keep.txt")).hasContent("work");
        assertThat(tool.invoke(Json.parse("""
                {"command": "rm -rf build && cat keep.txt"}"""), context()).content())
                .contains("stdout:\nwork");
    }

    @Test
    void parsesTheSandboxSetting() {
        assertThat(ShellTool.Settings.parseMode("none")).isEqualTo(Sandbox.Mode.NONE);
        assertThat(ShellTool.Settings.parseMode("bubblewrap")).isEqualTo(Sandbox.Mode.BUBBLEWRAP);
        assertThatThrownBy(() -> ShellTool.Settings.parseMode("docker"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("none");
        assertThatThrownBy(() -> new ShellTool.Settings(Sandbox.Mode.NONE, Limits.DEFAULTS,
                Duration.ofHours(1))).isInstanceOf(IllegalArgumentException.class);
    }
}
