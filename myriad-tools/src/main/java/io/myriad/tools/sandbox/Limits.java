package io.myriad.tools.sandbox;

import java.time.Duration;
import java.util.Objects;

/**
 * What one sandboxed command may use.
 *
 * @param wallTime       the longest a command may run before it and every process it started are
 *                       killed; a caller may ask for less, never more
 * @param cpuTime        CPU time per process ({@code RLIMIT_CPU})
 * @param maxProcesses   processes and threads alive at once (a cgroup's {@code pids.max} when
 *                       running as root, {@code RLIMIT_NPROC} otherwise)
 * @param maxOpenFiles   open files per process ({@code RLIMIT_NOFILE})
 * @param maxFileBytes   the largest file a process may write ({@code RLIMIT_FSIZE})
 * @param maxTmpBytes    the size of the sandbox's private {@code /tmp}
 * @param maxOutputBytes stdout and stderr kept together; the rest is drained and counted
 */
public record Limits(Duration wallTime, Duration cpuTime, int maxProcesses, int maxOpenFiles,
        long maxFileBytes, long maxTmpBytes, int maxOutputBytes) {

    /**
     * Ten minutes of wall time and of CPU per process, 256 processes, 1,024 open files, 1 GiB
     * files, a 256 MiB {@code /tmp}, 64 KiB of output.
     */
    public static final Limits DEFAULTS = new Limits(Duration.ofMinutes(10), Duration.ofMinutes(10),
            256, 1024, 1L << 30, 256L << 20, 64 * 1024);

    /**
     * Checks the limits.
     *
     * @throws IllegalArgumentException when a duration is shorter than a second or a count or
     *                                  size is not positive
     */
    public Limits {
        Objects.requireNonNull(wallTime, "wallTime");
        Objects.requireNonNull(cpuTime, "cpuTime");
        atLeastASecond("wallTime", wallTime);
        atLeastASecond("cpuTime", cpuTime);
        positive("maxProcesses", maxProcesses);
        positive("maxOpenFiles", maxOpenFiles);
        positive("maxFileBytes", maxFileBytes);
        positive("maxTmpBytes", maxTmpBytes);
        if (maxOutputBytes < 2) {
            throw new IllegalArgumentException("maxOutputBytes must be at least 2, got "
                    + maxOutputBytes);
        }
    }

    /** These limits with another wall time. */
    public Limits withWallTime(Duration wall) {
        return new Limits(wall, cpuTime, maxProcesses, maxOpenFiles, maxFileBytes, maxTmpBytes,
                maxOutputBytes);
    }

    /** These limits with another process count. */
    public Limits withMaxProcesses(int processes) {
        return new Limits(wallTime, cpuTime, processes, maxOpenFiles, maxFileBytes, maxTmpBytes,
                maxOutputBytes);
    }

    /** These limits with another output cap. */
    public Limits withMaxOutputBytes(int bytes) {
        return new Limits(wallTime, cpuTime, maxProcesses, maxOpenFiles, maxFileBytes, maxTmpBytes,
                bytes);
    }

    private static void atLeastASecond(String name, Duration d) {
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException(name + " must be at least 1 second, got " + d);
        }
    }

    private static void positive(String name, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
