package io.myriad.tools.sandbox;

import java.time.Duration;
import java.util.Objects;

/**
 * What became of one command.
 *
 * @param exitCode        the shell's exit status; 128 + n when killed by signal n; -1 when
 *                        Myriad killed it at the time limit
 * @param duration        wall time from start to the end of its output
 * @param stdout          the kept part of standard output (UTF-8, malformed bytes replaced)
 * @param stderr          the kept part of standard error
 * @param stdoutDropped   bytes of standard output read and thrown away over the cap
 * @param stderrDropped   bytes of standard error read and thrown away over the cap
 * @param timedOut        true when the command was killed at its time limit
 */
public record Outcome(int exitCode, Duration duration, String stdout, String stderr,
        long stdoutDropped, long stderrDropped, boolean timedOut) {
    public Outcome {
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
    }
}
