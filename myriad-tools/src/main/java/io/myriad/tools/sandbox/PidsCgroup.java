package io.myriad.tools.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A process-count limit that holds for root: one cgroup with {@code pids.max} per command.
 *
 * <p>Why not only {@code RLIMIT_NPROC}: the kernel never applies it to uid 0, and even with
 * every capability dropped a sandbox started by root still runs as uid 0 (a user namespace maps
 * it back to the same user). So when Myriad runs as root (as in CI and containers) a fork bomb
 * is stopped by the pids controller instead. For other users {@code prlimit --nproc} works and
 * no cgroup is needed.
 *
 * <p>Supported layouts: the cgroup v1 pids hierarchy ({@code /sys/fs/cgroup/pids}) and a
 * cgroup v2 root whose {@code cgroup.subtree_control} enables {@code pids}. The command joins
 * its cgroup itself, before it execs the sandbox, so no child is ever born outside it.
 */
final class PidsCgroup {
    private static final AtomicLong SEQ = new AtomicLong();

    private final Path base;

    private PidsCgroup(Path base) {
        this.base = base;
    }

    /** The pids hierarchy this process may create cgroups in, if any. */
    static Optional<PidsCgroup> find(Path cgroupRoot) {
        Path v1 = cgroupRoot.resolve("pids");
        if (Files.isWritable(v1.resolve("cgroup.procs")) && Files.isWritable(v1)) {
            return Optional.of(new PidsCgroup(v1));
        }
        try {
            Path control = cgroupRoot.resolve("cgroup.subtree_control");
            if (Files.isWritable(cgroupRoot) && Files.isReadable(control)
                    && List.of(Files.readString(control).trim().split("\\s+")).contains("pids")) {
                return Optional.of(new PidsCgroup(cgroupRoot));
            }
        } catch (IOException e) {
            // unreadable: no usable hierarchy
        }
        return Optional.empty();
    }

    /** Creates the cgroup of one command, limited to {@code maxProcesses} tasks. */
    Group create(int maxProcesses) {
        Path dir = base.resolve("myriad-sandbox-" + ProcessHandle.current().pid() + "-"
                + SEQ.incrementAndGet());
        try {
            Files.createDirectory(dir);
            Files.writeString(dir.resolve("pids.max"), Integer.toString(maxProcesses));
            return new Group(dir);
        } catch (IOException e) {
            Group partial = new Group(dir);
            partial.remove();
            throw new SandboxException("cannot create a cgroup to limit the command's processes ("
                    + dir + "): " + e.getMessage(), true, e);
        }
    }

    /** One command's cgroup. */
    record Group(Path dir) {
        /** The file a process writes its pid to in order to join. */
        Path procs() {
            return dir.resolve("cgroup.procs");
        }

        /** Kills every process still in the group and removes it if the kernel has reaped them; true when it is gone. */
        boolean tryRemove() {
            if (!Files.exists(dir)) {
                return true;
            }
            killAll();
            try {
                Files.deleteIfExists(dir);
                return true;
            } catch (IOException e) {
                return false; // still busy: the killed tasks are not reaped yet
            }
        }

        /** Kills every process still in the group, then removes it; gives up after a while. */
        void remove() {
            for (int attempt = 0; attempt < 200 && Files.exists(dir); attempt++) {
                killAll();
                try {
                    Files.deleteIfExists(dir);
                    return;
                } catch (IOException e) {
                    // still busy: the killed tasks are not reaped yet
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        /** Kills every process in the group: at once through {@code cgroup.kill} (Linux 5.14+), else one by one. */
        void killAll() {
            Path kill = dir.resolve("cgroup.kill");
            if (Files.exists(kill)) {
                try {
                    Files.writeString(kill, "1");
                    return;
                } catch (IOException e) {
                    // not writable here: kill the members one by one
                }
            }
            try {
                for (String line : Files.readAllLines(procs())) {
                    if (!line.isBlank()) {
                        ProcessHandle.of(Long.parseLong(line.trim()))
                                .ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // gone already
            }
        }
    }
}
