package io.myriad.tools.sandbox;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs shell commands confined to a workspace, with bubblewrap.
 *
 * <p>Inside: no network (an empty network namespace, unless {@link Builder#network(boolean)}
 * shares the host's), a read-only view of the system's programs and libraries (see {@link BwrapArgs} for exactly what is visible), the workspace on
 * {@code /workspace} as the only writable place apart from a small private {@code /tmp}, its
 * {@code .git} read-only, an empty environment apart from {@code PATH}, {@code HOME},
 * {@code LANG} and {@code TMPDIR}, no capabilities, its own session and PID namespace, and
 * limits on processes, open files, file size and CPU time.
 *
 * <p>Notes (how no process outlives its command):
 * <ul>
 *   <li>The command runs under a bubblewrap init process, PID 1 of a new PID namespace. When it
 *       exits, or is killed, the kernel kills every process left in the namespace: background
 *       jobs, daemons and a fork bomb's children alike.
 *   <li>On timeout or cancel Myriad kills the outer bubblewrap process; {@code --die-with-parent}
 *       makes its init die with it, which tears the namespace down. When running as root the
 *       command's cgroup is also emptied (at once) and removed (by the reaper thread, once the
 *       kernel has reaped its processes, so a cancelled caller returns at once).
 *   <li>{@code --die-with-parent} is tied to the thread that forked bubblewrap, so every
 *       sandbox is forked from one long-lived platform thread ({@link Launcher}), never from the
 *       caller's virtual thread. The sandboxes then die with the JVM, however it ends.
 *   <li>Output is read to its end by two small platform threads whatever its size; only the first
 *       {@link Limits#maxOutputBytes()} are kept, so the child never blocks on a full pipe.
 * </ul>
 *
 * <p>{@link Mode#NONE} runs the command without any of this, for machines where bubblewrap
 * cannot run; only the resource limits and the time limit remain.
 *
 * <p>Thread-safe: many commands may run at once.
 */
public final class Sandbox implements AutoCloseable {
    /** How commands are confined. */
    public enum Mode {
        /** In a bubblewrap sandbox (the default). */
        BUBBLEWRAP,
        /** Not at all: a plain child process in the workspace. Only for trusted agents. */
        NONE
    }

    /**
     * Output readers are platform threads with small stacks, not virtual threads: a read from a
     * pipe blocks its carrier (the JDK compensates with extra carriers, at most 256), so a few
     * hundred commands running at once would leave no carrier for anything else in the engine,
     * including the steps that notice a kill. Measured: 1,000 sandboxed {@code sleep}s starved
     * every step of a {@code myriad run} process.
     */
    private static final Thread.Builder.OfPlatform READERS = Thread.ofPlatform().daemon(true).stackSize(256 * 1024);

    /** How long to wait for the output to end once the command's processes are killed. */
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(5);

    private final Mode mode;
    private final Limits limits;
    private final Optional<Path> bwrap;
    private final List<Path> readOnly;
    private final boolean network;
    private final Optional<PidsCgroup> cgroup;
    private final Path prlimit;
    private final Path shell;
    private final Launcher launcher = new Launcher();
    private final Reaper reaper = new Reaper();

    private Sandbox(Builder b) {
        this.mode = b.mode;
        this.limits = b.limits;
        this.bwrap = b.bwrap != null ? Optional.of(b.bwrap).filter(Files::isExecutable)
                : onPath("bwrap");
        this.readOnly = List.copyOf(b.readOnly);
        this.network = b.network;
        this.cgroup = isRoot() ? PidsCgroup.find(b.cgroupRoot) : Optional.empty();
        this.prlimit = onPath("prlimit").orElse(Path.of("/usr/bin/prlimit"));
        this.shell = Files.isExecutable(Path.of("/bin/bash")) ? Path.of("/bin/bash")
                : Path.of("/bin/sh");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How this sandbox confines commands. */
    public Mode mode() {
        return mode;
    }

    /** The limits every command runs under. */
    public Limits limits() {
        return limits;
    }

    /** Whether commands in bubblewrap share the host's network. */
    public boolean network() {
        return network;
    }

    /**
     * Why commands cannot run here, when they cannot: bubblewrap is required and not installed.
     */
    public Optional<String> unavailable() {
        if (mode == Mode.BUBBLEWRAP && bwrap.isEmpty()) {
            return Optional.of("bubblewrap (bwrap) is not installed, and commands run only "
                    + "inside its sandbox. Install it (Debian, Ubuntu: apt-get install "
                    + "bubblewrap; Fedora: dnf install bubblewrap), or, only for agents you "
                    + "trust with this machine, turn the sandbox off with `sandbox: none`");
        }
        return Optional.empty();
    }

    /**
     * True when the process limit holds: always for a user other than root, and for root only
     * when a pids cgroup could be used (the kernel does not apply {@code RLIMIT_NPROC} to root).
     */
    public boolean enforcesProcessLimit() {
        return !isRoot() || cgroup.isPresent();
    }

    /**
     * Runs {@code command} with the shell ({@code bash -c}, or {@code sh -c} without bash) in
     * {@code workspace}, which is created when missing.
     *
     * @param timeout the most it may take; capped at {@link Limits#wallTime()}
     * @throws SandboxException when the sandbox cannot run here, cannot start, or the calling
     *                          thread is interrupted (then every process of the command is
     *                          killed first and the interrupt is kept)
     */
    public Outcome run(Path workspace, String command, Duration timeout) {
        return run(workspace, command, timeout, kill -> { });
    }

    /**
     * Runs {@code command} as {@link #run(Path, String, Duration)} does, and hands
     * {@code onStarted} a quick, non-blocking action that kills the command and everything it
     * started: a caller that cancels the command calls it from its own thread, at once, without
     * waiting for the thread running the command to wake up.
     */
    public Outcome run(Path workspace, String command, Duration timeout, java.util.function.Consumer<Runnable> onStarted) {
        Objects.requireNonNull(onStarted, "onStarted");
        Objects.requireNonNull(workspace, "workspace");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(timeout, "timeout");
        unavailable().ifPresent(reason -> {
            throw new SandboxException(reason, false);
        });
        Path ws;
        try {
            ws = Files.createDirectories(workspace).toRealPath();
        } catch (IOException e) {
            throw new SandboxException("cannot open the workspace " + workspace + ": "
                    + e.getMessage(), false, e);
        }
        Duration limit = timeout.compareTo(limits.wallTime()) < 0 ? timeout : limits.wallTime();
        Optional<PidsCgroup.Group> group = cgroup.map(c -> c.create(limits.maxProcesses()));
        try {
            return execute(ws, command, limit, group, onStarted);
        } finally {
            group.ifPresent(reaper::remove);
        }
    }

    private Outcome execute(Path ws, String command, Duration limit,
            Optional<PidsCgroup.Group> group, java.util.function.Consumer<Runnable> onStarted) {
        ProcessBuilder builder = new ProcessBuilder(commandLine(ws, command, group));
        Map<String, String> env = builder.environment();
        env.clear();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("LANG", "C.UTF-8");
        if (mode == Mode.NONE) {
            env.put("HOME", ws.toString());
            builder.directory(ws.toFile());
        }
        long started = System.nanoTime();
        Process process;
        try {
            process = launcher.start(builder);
        } catch (IOException e) {
            throw new SandboxException("cannot start the command: " + e.getMessage(), true, e);
        }
        // The outer process only, a signal and nothing else. (Process.destroyForcibly also closes
        // the output streams, and closing one waits for the reader blocked in it, that is, for the
        // command to die: a kill of a thousand runs took 1.9 s in that wait alone.) In bubblewrap
        // the outer process's death takes the PID namespace along; the interrupt that follows a
        // cancel kills the rest as usual.
        ProcessHandle handle = process.toHandle();
        onStarted.accept(handle::destroyForcibly);
        closeStdin(process);
        CappedOutput out = new CappedOutput(process.getInputStream(), limits.maxOutputBytes());
        CappedOutput err = new CappedOutput(process.getErrorStream(), limits.maxOutputBytes());
        Thread outReader = READERS.name("myriad-sandbox-stdout").start(out);
        Thread errReader = READERS.name("myriad-sandbox-stderr").start(err);
        boolean timedOut = false;
        try {
            if (!process.waitFor(limit.toNanos(), TimeUnit.NANOSECONDS)) {
                timedOut = true;
                kill(process, group);
            }
        } catch (InterruptedException e) {
            // Cancelled (a run killed): signal every process and return at once; the reaper
            // removes the cgroup, and the readers end when the pipes close.
            kill(process, group);
            Thread.currentThread().interrupt();
            throw new SandboxException("the command was cancelled; it and every process it "
                    + "started were killed", false);
        }
        if (mode == Mode.NONE) {
            kill(process, group); // background processes: the best a plain process tree allows
        }
        drain(process, outReader, errReader);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        int[] shown = CappedOutput.share(out.kept().length, err.kept().length,
                limits.maxOutputBytes());
        byte[] o = out.kept();
        byte[] e = err.kept();
        return new Outcome(timedOut ? -1 : process.exitValue(), took,
                new String(o, 0, shown[0], StandardCharsets.UTF_8),
                new String(e, 0, shown[1], StandardCharsets.UTF_8),
                out.total() - shown[0], err.total() - shown[1], timedOut);
    }

    List<String> commandLine(Path ws, String command, Optional<PidsCgroup.Group> group) {
        List<String> cmd = new ArrayList<>();
        group.ifPresent(g -> cmd.addAll(List.of("/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
                g.procs().toString())));
        cmd.addAll(List.of(prlimit.toString(),
                "--nproc=" + limits.maxProcesses(),
                "--nofile=" + limits.maxOpenFiles(),
                "--fsize=" + limits.maxFileBytes(),
                "--cpu=" + Math.max(1, limits.cpuTime().toSeconds()),
                "--core=0", "--"));
        if (mode == Mode.BUBBLEWRAP) {
            cmd.addAll(BwrapArgs.of(bwrap.orElseThrow(), Path.of("/"), ws, readOnly,
                    limits.maxTmpBytes(), network));
        }
        cmd.addAll(List.of(shell.toString(), "-c", command));
        return cmd;
    }

    /**
     * Kills the command and everything it started. With a cgroup, its member list is the tree;
     * in bubblewrap, killing the outer process takes the PID namespace down with it. Only an
     * unconfined command needs {@link Process#descendants()}, which scans every process of the
     * machine: a thousand commands killed at once would spend seconds there.
     */
    private void kill(Process process, Optional<PidsCgroup.Group> group) {
        // By handle: a signal only. Process.destroyForcibly also closes the output streams, which
        // loses what the readers have not read yet (an unconfined command's last line, under load)
        // and blocks until the reader blocked in them returns.
        if (group.isPresent()) {
            // bubblewrap's init dies with the outer process and takes its PID namespace along;
            // the reaper kills anything left in the cgroup (no file I/O on the caller's thread).
            process.toHandle().destroyForcibly();
            return;
        }
        List<ProcessHandle> tree = mode == Mode.NONE ? process.descendants().toList() : List.of();
        process.toHandle().destroyForcibly();
        tree.forEach(ProcessHandle::destroyForcibly);
    }

    /** Waits for the end of both outputs; closes them if something still holds them open. */
    private static void drain(Process process, Thread... readers) {
        try {
            for (Thread reader : readers) {
                if (!reader.join(DRAIN_GRACE)) {
                    process.getInputStream().close();
                    process.getErrorStream().close();
                    reader.join(DRAIN_GRACE);
                }
            }
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // closing a pipe: nothing more to do
        }
    }

    private static void closeStdin(Process process) {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // the command reads end-of-file either way
        }
    }

    /** Stops the launcher; commands still running are killed with it. */
    @Override
    public void close() {
        launcher.close();
        reaper.close();
    }

    private static Optional<Path> onPath(String program) {
        String path = System.getenv("PATH");
        return Arrays.stream((path == null ? "/usr/bin:/bin" : path + ":/usr/sbin:/sbin")
                        .split(File.pathSeparator))
                .filter(s -> !s.isEmpty()).map(dir -> Path.of(dir, program))
                .filter(Files::isExecutable).findFirst();
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /** Configures a {@link Sandbox}. */
    public static final class Builder {
        private Mode mode = Mode.BUBBLEWRAP;
        private Limits limits = Limits.DEFAULTS;
        private Path bwrap;
        private final List<Path> readOnly = new ArrayList<>();
        private Path cgroupRoot = Path.of("/sys/fs/cgroup");
        private boolean network;

        private Builder() {}

        /** Bubblewrap (the default) or none. */
        public Builder mode(Mode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** The limits of every command; {@link Limits#DEFAULTS} unless set. */
        public Builder limits(Limits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** The bubblewrap program to use instead of the first {@code bwrap} on the PATH. */
        public Builder bwrap(Path program) {
            this.bwrap = Objects.requireNonNull(program, "program");
            return this;
        }

        /** Shows one more host path, read-only, at the same place (a toolchain in /opt). */
        public Builder readOnly(Path hostPath) {
            Objects.requireNonNull(hostPath, "hostPath");
            if (!hostPath.isAbsolute()) {
                throw new IllegalArgumentException("read-only paths must be absolute, got "
                        + hostPath);
            }
            readOnly.add(hostPath.normalize());
            return this;
        }

        /**
         * Whether commands share the host's network, with what name lookups and TLS need from
         * {@code /etc}. Off by default: the sandbox then has an empty network namespace, with
         * only a loopback device. Without bubblewrap ({@link Mode#NONE}) commands always have
         * the host's network.
         */
        public Builder network(boolean shared) {
            this.network = shared;
            return this;
        }

        Builder cgroupRoot(Path root) {
            this.cgroupRoot = Objects.requireNonNull(root, "root");
            return this;
        }

        public Sandbox build() {
            return new Sandbox(this);
        }
    }
}
