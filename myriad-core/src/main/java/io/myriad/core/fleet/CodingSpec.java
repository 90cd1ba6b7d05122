package io.myriad.core.fleet;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The fleet file's {@code coding} key: the fleet is a fleet of software engineers working on
 * coding tasks, each run in its own checkout, its submissions verified by the platform.
 *
 * @param agent          the agent that takes every coding task
 * @param tasksFile      the JSONL file of coding tasks, when the fleet names one
 * @param samples        how many generated sample tasks to run instead (0 with a tasks file)
 * @param testSlots      sandboxed test commands at once (the agents' and the platform's checks)
 * @param keepWorkspaces keep each run's checkout when it ends (up to {@code maxWorkspaces})
 * @param maxWorkspaces  the most checkouts on disk at once, kept ones included
 * @param maxDiffBytes   the largest diff the platform accepts for verification
 * @param maxSubmissions how often a run may submit before its last verdict stands
 * @param testTimeout    the longest one test command may take
 * @param caches         host folders shown read-only in every sandbox at the same place:
 *                       dependency caches shared by all workspaces (a pip wheel folder, a Maven
 *                       repository used offline)
 */
public record CodingSpec(String agent, Optional<Path> tasksFile, int samples, int testSlots,
        boolean keepWorkspaces, int maxWorkspaces, long maxDiffBytes, int maxSubmissions,
        Duration testTimeout, java.util.List<Path> caches) {

    public static final long DEFAULT_MAX_DIFF_BYTES = 256 * 1024;
    public static final int DEFAULT_MAX_SUBMISSIONS = 3;
    public static final Duration DEFAULT_TEST_TIMEOUT = Duration.ofMinutes(5);

    public CodingSpec {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(tasksFile, "tasksFile");
        Objects.requireNonNull(testTimeout, "testTimeout");
        caches = java.util.List.copyOf(caches);
        if (caches.stream().anyMatch(p -> !p.isAbsolute())) {
            throw new IllegalArgumentException("cache folders must be absolute paths: " + caches);
        }
        if (tasksFile.isPresent() == samples > 0) {
            throw new IllegalArgumentException("a coding fleet names a tasks file or a number of samples, not both");
        }
        if (testSlots < 1 || maxWorkspaces < 1 || maxDiffBytes < 1 || maxSubmissions < 1) {
            throw new IllegalArgumentException("test slots, workspaces, diff size and submissions must be positive");
        }
    }
}
