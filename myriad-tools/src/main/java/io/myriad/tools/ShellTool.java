package io.myriad.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import io.myriad.tools.sandbox.Limits;
import io.myriad.tools.sandbox.Outcome;
import io.myriad.tools.sandbox.Sandbox;
import io.myriad.tools.sandbox.SandboxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code shell}: runs a command in the run's workspace, inside a {@link Sandbox}.
 *
 * <p>Its effect is {@link Effect#IRREVERSIBLE}: a command may delete or rewrite any file of the
 * workspace, append to logs, commit, and Myriad cannot tell which; running it again after a crash
 * could do the work twice (or undo it). So a call whose outcome was lost waits for a person
 * instead of being retried blindly. The sandbox bounds what "anything" means, not whether it
 * can be repeated.
 */
public final class ShellTool implements Tool {
    static final String NAME = "shell";

    /**
     * How the shell tool runs commands.
     *
     * @param sandbox        {@link Sandbox.Mode#BUBBLEWRAP} (the default) or
     *                       {@link Sandbox.Mode#NONE}, the fleet file's {@code sandbox: none}:
     *                       commands then run unconfined, as the user running Myriad
     * @param limits         what one command may use; {@link Limits#wallTime()} is the longest
     *                       {@code timeout_s} allowed
     * @param defaultTimeout the time limit of a call that names none
     * @param guard          asked before each command runs; a refused command is not run
     */
    public record Settings(Sandbox.Mode sandbox, Limits limits, Duration defaultTimeout,
            CommandGuard guard) {
        /** In bubblewrap, default limits, two minutes per command unless the call says. */
        public static final Settings DEFAULTS = new Settings(Sandbox.Mode.BUBBLEWRAP,
                Limits.DEFAULTS, Duration.ofMinutes(2));

        /**
         * Checks the settings.
         *
         * @throws IllegalArgumentException when the default timeout is under a second or over
         *                                  the limits' wall time
         */
        public Settings {
            Objects.requireNonNull(sandbox, "sandbox");
            Objects.requireNonNull(limits, "limits");
            Objects.requireNonNull(defaultTimeout, "defaultTimeout");
            Objects.requireNonNull(guard, "guard");
            if (defaultTimeout.compareTo(Duration.ofSeconds(1)) < 0
                    || defaultTimeout.compareTo(limits.wallTime()) > 0) {
                throw new IllegalArgumentException("defaultTimeout must be between 1 second and "
                        + "the wall time limit (" + limits.wallTime() + "), got " + defaultTimeout);
            }
        }

        /** Settings that refuse no command ({@link CommandGuard#NONE}). */
        public Settings(Sandbox.Mode sandbox, Limits limits, Duration defaultTimeout) {
            this(sandbox, limits, defaultTimeout, CommandGuard.NONE);
        }

        /** These settings with another sandbox mode. */
        public Settings withSandbox(Sandbox.Mode mode) {
            return new Settings(mode, limits, defaultTimeout, guard);
        }

        /** These settings with another guard, asked before each command. */
        public Settings withGuard(CommandGuard commandGuard) {
            return new Settings(sandbox, limits, defaultTimeout, commandGuard);
        }

        /** The setting as written in a fleet file: {@code bubblewrap} or {@code none}. */
        public static Sandbox.Mode parseMode(String value) {
            Objects.requireNonNull(value, "value");
            return switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "bubblewrap", "bwrap" -> Sandbox.Mode.BUBBLEWRAP;
                case "none" -> Sandbox.Mode.NONE;
                default -> throw new IllegalArgumentException("sandbox must be bubblewrap or "
                        + "none, got '" + value + "'");
            };
        }
    }

    private static final ToolDefinition DEFINITION = new ToolDefinition(NAME, """
            Run a shell command (bash -c) in the run's workspace, which is the current folder \
            (/workspace). Only the workspace is writable (its .git is read-only), there is no \
            network, and the environment is empty apart from PATH, HOME, LANG and TMPDIR. The \
            result gives the exit code, the duration, and stdout and stderr (together at most \
            64 KiB; the rest is dropped and counted). A command still running at its timeout is \
            killed with everything it started.""", Json.parse("""
            {
              "type": "object",
              "properties": {
                "command": {"type": "string", "minLength": 1, "maxLength": 100000,
                            "description": "The command line, e.g. \\"ls -la && make test\\"."},
                "timeout_s": {"type": "integer", "minimum": 1,
                              "description": "Seconds before the command is killed. Default 120."}
              },
              "required": ["command"],
              "additionalProperties": false
            }"""));

    private final Settings settings;
    private final Sandbox sandbox;

    ShellTool(Settings settings) {
        this(settings, Sandbox.builder().mode(settings.sandbox()).limits(settings.limits())
                .build());
    }

    /** The shell with its own sandbox (one with network, say); {@code sandbox} should match the settings' limits. */
    public static ShellTool create(Settings settings, Sandbox sandbox) {
        return new ShellTool(settings, sandbox);
    }

    ShellTool(Settings settings, Sandbox sandbox) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.sandbox = Objects.requireNonNull(sandbox, "sandbox");
    }

    @Override
    public ToolDefinition definition() {
        return DEFINITION;
    }

    /** The longest command allowed, plus time to start the sandbox and collect its output. */
    @Override
    public Duration timeout() {
        return settings.limits().wallTime().plusSeconds(30);
    }

    @Override
    public Effect effect() {
        return Effect.IRREVERSIBLE;
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(context, "context");
        String command = Args.requiredString(arguments, "command");
        if (command.isBlank()) {
            throw new ToolException("command must not be empty");
        }
        settings.guard().refusal(command, context).ifPresent(reason -> {
            throw new ToolException("the command was refused, so nothing was run: " + reason);
        });
        long max = settings.limits().wallTime().toSeconds();
        long asked = Args.optionalLong(arguments, "timeout_s", 1)
                .orElse(settings.defaultTimeout().toSeconds());
        Duration timeout = Duration.ofSeconds(Math.min(asked, max));
        sandbox.unavailable().ifPresent(reason -> {
            throw new ToolException("the shell tool cannot run: " + reason);
        });
        Outcome outcome;
        try {
            outcome = sandbox.run(context.workspace(), command, timeout, context.cancellation()::onCancel);
        } catch (SandboxException e) {
            throw new ToolException(e.getMessage(), e);
        }
        return new ToolResult(describe(outcome, timeout, asked > max ? max : -1),
                outcome.timedOut() || outcome.exitCode() != 0);
    }

    static String describe(Outcome o, Duration timeout, long cappedTo) {
        StringBuilder s = new StringBuilder();
        if (o.timedOut()) {
            s.append("timed out after ").append(timeout.toSeconds())
                    .append(" s: the command and every process it started were killed\n");
        } else {
            s.append("exit code: ").append(o.exitCode()).append('\n');
        }
        s.append(String.format(Locale.ROOT, "duration: %.3f s%n", o.duration().toNanos() / 1e9));
        if (cappedTo > 0) {
            s.append("(timeout_s lowered to the limit of ").append(cappedTo).append(" s)\n");
        }
        section(s, "stdout", o.stdout(), o.stdoutDropped());
        section(s, "stderr", o.stderr(), o.stderrDropped());
        return s.toString();
    }

    private static void section(StringBuilder s, String name, String text, long dropped) {
        if (text.isEmpty() && dropped == 0) {
            s.append(name).append(": (empty)\n");
            return;
        }
        s.append(name).append(":\n").append(text);
        if (!text.endsWith("\n")) {
            s.append('\n');
        }
        if (dropped > 0) {
            s.append("[output truncated: ").append(dropped).append(" more bytes]\n");
        }
    }
}
