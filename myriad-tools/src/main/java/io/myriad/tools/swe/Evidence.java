package io.myriad.tools.swe;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What the platform ran to check a submission, and what came of it.
 *
 * @param files     the paths the diff touches
 * @param diffBytes the diff's size
 * @param steps     the commands run, in order
 */
public record Evidence(List<String> files, long diffBytes, List<Step> steps) {
    public Evidence {
        files = List.copyOf(files);
        steps = List.copyOf(steps);
    }

    /** When the checks ran on the base before the change, and on it after. */
    public enum Phase { SETUP_BEFORE, TEST_BEFORE, SETUP_AFTER, TEST_AFTER }

    /**
     * One command run in the sandbox.
     *
     * @param outputTail the last lines of its standard output then standard error, at most
     *                   {@link DeliveryVerifier#TAIL_CHARS} characters
     */
    public record Step(Phase phase, String command, int exitCode, Duration duration,
            boolean timedOut, String outputTail) {
        public Step {
            Objects.requireNonNull(phase, "phase");
            Objects.requireNonNull(command, "command");
            Objects.requireNonNull(duration, "duration");
            Objects.requireNonNull(outputTail, "outputTail");
        }

        public boolean passed() {
            return exitCode == 0 && !timedOut;
        }
    }
}
