package io.myriad.tools.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tries to break out of the sandbox, and checks that ordinary work still works. Needs bubblewrap
 * ({@code test.sh} installs it).
 */
class SandboxIT {
    private static final Duration T = Duration.ofSeconds(30);
    private static Sandbox sandbox;

    @TempDir
    Path ws;

    @BeforeAll
    static void start() {
        sandbox = Sandbox.builder().build();
        assertThat(sandbox.unavailable()).as("bubblewrap must be installed: apt-get install "
                + "bubblewrap").isEmpty();
    }

    @AfterAll
    static void stop() {
        sandbox.close();
    }

    @Test
    void writesAndReadsTheWorkspaceAndReportsExitCodesAndStderr() throws IOException {
        Outcome o = sandbox.run(ws, "echo hello > notes.txt && cat notes.txt && pwd "
                + "&& echo oops >&2 && exit 3", T);
        assertThat(o.exitCode()).isEqualTo(3);
        assertThat(o.stdout()).isEqualTo("hello\n/workspace\n");
        assertThat(o.stderr()).isEqualTo("oops\n");
        assertThat(o.timedOut()).isFalse();
        assertThat(Files.readString(ws.resolve("notes.txt"))).isEqualTo("hello\n");

        Files.writeString(ws.resolve("in.txt"), "from the host");
        assertThat(sandbox.run(ws, "cat in.txt; mkdir -p a/b && echo z > a/b/c", T).stdout())
                .isEqualTo("from the host");
        assertThat(ws.resolve("a/b/c")).hasContent("z");
        assertThat(sandbox.run(ws, "true", T).exitCode()).isZero();
    }

    @Test
    void cannotWriteOutsideTheWorkspace() throws IOException {
        Path workspace = Files.createDirectory(ws.resolve("workspace"));
        Path sibling = ws.resolve("sibling");
        Outcome o = sandbox.run(workspace, "echo x > /etc/x; echo x > /work/x; touch ../x; "
                + "echo x > " + sibling + "; echo x > /usr/x; echo x > /x; echo x > /proc/x", T);
        assertThat(o.stderr()).contains("Read-only file system");
        assertThat(Path.of("/etc/x")).doesNotExist();
        assertThat(Path.of("/work/x")).doesNotExist();
        assertThat(ws.resolve("x")).doesNotExist();
        assertThat(sibling).doesNotExist();
        assertThat(Path.of("/usr/x")).doesNotExist();
        assertThat(Path.of("/x")).doesNotExist();
    }

    @Test
    void cannotReadFilesOutsideTheAllowedMounts(@TempDir Path elsewhere) throws IOException {
        Path secret = Files.writeString(elsewhere.resolve("secret.txt"), "s3cr3t-tmp");
        Path target = Path.of("target").toAbsolutePath().resolve("sandbox-it-" + UUID.randomUUID());
        Files.createDirectories(target);
        Path secret2 = Files.writeString(target.resolve("secret.txt"), "s3cr3t-work");
        try {
            Outcome o = sandbox.run(ws, "cat " + secret + "; cat " + secret2
                    + "; cat /etc/shadow; ls /root /home /work /var", T);
            assertThat(o.stdout()).doesNotContain("s3cr3t").doesNotContain("root:");
            assertThat(o.stderr()).contains("No such file or directory");
            assertThat(o.exitCode()).isNotZero();
        } finally {
            Files.delete(secret2);
            Files.delete(target);
        }
    }

    @Test
    void cannotOpenANetworkConnection() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicReference<Socket> accepted = new AtomicReference<>();
            server.setSoTimeout(1000);
            CompletableFuture<Void> acceptor = CompletableFuture.runAsync(() -> {
                try {
                    accepted.set(server.accept());
                } catch (SocketTimeoutException e) {
                    // nobody came: what we want
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            int port = server.getLocalPort();
            Outcome o = sandbox.run(ws, "bash -c 'echo hi > /dev/tcp/127.0.0.1/" + port
                    + "' && echo CONNECTED; getent hosts example.com || echo NO-DNS", T);
            acceptor.join();
            assertThat(o.stdout()).doesNotContain("CONNECTED").contains("NO-DNS");
            assertThat(o.stderr()).containsAnyOf("Connection refused", "Network is unreachable");
            assertThat(accepted.get()).as("the test's server saw a connection").isNull();
        }
    }

    @Test
    void cannotModifyGit() throws Exception {
        Process init = new ProcessBuilder("git", "init", "-q", ws.toString()).inheritIO().start();
        assertThat(init.waitFor()).isZero();
        String config = Files.readString(ws.resolve(".git/config"));
        Outcome o = sandbox.run(ws, "echo '[evil]' >> .git/config; echo x > .git/HEAD; "
                + "rm -rf .git; mv .git moved; git config user.name x; echo done", T);
        assertThat(o.stdout()).contains("done");
        assertThat(o.stderr()).contains("Read-only file system");
        assertThat(ws.resolve(".git/config")).hasContent(config);
        assertThat(ws.resolve(".git/HEAD")).exists();
        assertThat(ws.resolve("moved")).doesNotExist();
        assertThat(sandbox.run(ws, "git status --short && echo ok > file && git status --short",
                T).stdout()).contains("?? file");
    }

    @Test
    void environmentIsEmptyAndCapabilitiesDropped() {
        Outcome o = sandbox.run(ws, "env; grep CapEff /proc/self/status; hostname; ps -e | wc -l",
                T);
        assertThat(o.stdout()).contains("PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/workspace",
                "CapEff:\t0000000000000000", "sandbox")
                .doesNotContain("JAVA_HOME").doesNotContain("MAVEN").doesNotContain("USER=");
    }

    @Test
    void aForkBombEndsAndLeavesNothingBehind() {
        assumeThat(sandbox.enforcesProcessLimit())
                .as("running as root without a pids cgroup: no process limit, no fork bomb")
                .isTrue();
        String marker = marker();
        try (Sandbox small = Sandbox.builder()
                .limits(Limits.DEFAULTS.withMaxProcesses(64).withWallTime(Duration.ofSeconds(10)))
                .build()) {
            Outcome o = small.run(ws, ": " + marker + "; bomb(){ bomb | bomb & }; bomb; "
                    + "sleep 2", T);
            assertThat(o.timedOut() || o.exitCode() == 0).isTrue();
        }
        assertNoProcessLeft(marker);
    }

    @Test
    void aCommandThatNeverEndsIsKilledAtTheTimeoutWithEverythingItStarted() {
        String marker = marker();
        Outcome o = sandbox.run(ws, "(exec -a bg-" + marker + " sleep 1000) & exec -a fg-"
                + marker + " sleep 1000", Duration.ofSeconds(2));
        assertThat(o.timedOut()).isTrue();
        assertThat(o.exitCode()).isEqualTo(-1);
        assertNoProcessLeft(marker);
    }

    @Test
    void backgroundProcessesDieWhenTheCommandEnds() {
        String marker = marker();
        Outcome o = sandbox.run(ws, "(exec -a bg-" + marker + " sleep 1000) & echo started", T);
        assertThat(o.exitCode()).isZero();
        assertThat(o.stdout()).isEqualTo("started\n");
        assertNoProcessLeft(marker);
    }

    @Test
    void aCancelledCommandIsKilled() throws Exception {
        String marker = marker();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread caller = Thread.ofVirtual().start(() -> {
            try {
                sandbox.run(ws, "exec -a fg-" + marker + " sleep 1000", T);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        while (caller.isAlive() && !running(marker)) {
            Thread.sleep(20);
        }
        caller.interrupt();
        caller.join();
        assertThat(failure.get()).isInstanceOf(SandboxException.class)
                .hasMessageContaining("cancelled");
        assertNoProcessLeft(marker);
    }

    @Test
    void theKillHandedToTheCallerStopsTheCommandFromAnotherThread() throws Exception {
        String marker = marker();
        AtomicReference<Runnable> kill = new AtomicReference<>();
        AtomicReference<Outcome> outcome = new AtomicReference<>();
        Thread caller = Thread.ofVirtual().start(() ->
                outcome.set(sandbox.run(ws, "(exec -a bg-" + marker + " sleep 1000) & exec -a fg-" + marker + " sleep 1000",
                        T, kill::set)));
        // Both sleeps themselves, not the outer command line that names them: bubblewrap must be
        // set up (its init dies with the outer process only once it runs).
        while (caller.isAlive() && !(running("^fg-" + marker + " 1000$") && running("^bg-" + marker + " 1000$"))) {
            Thread.sleep(20);
        }
        assertThat(kill.get()).as("the sandbox hands its kill over once the command runs").isNotNull();
        kill.get().run(); // from this thread, without interrupting the caller
        assertNoProcessLeft(marker); // the command and its background process, at once
        // The caller then collects what the command wrote (its readers may wait out their grace).
        caller.join(Duration.ofSeconds(30));
        assertThat(caller.isAlive()).as("the caller returned once the command was killed").isFalse();
        assertThat(outcome.get().exitCode()).isNotZero();
    }

    @Test
    void aGigabyteOfOutputIsCappedAndDrained() {
        Outcome o = sandbox.run(ws, "head -c 1000000000 /dev/zero | tr '\\0' a; echo end >&2", T);
        assertThat(o.exitCode()).isZero();
        assertThat(o.stdout().length() + o.stderr().length())
                .isLessThanOrEqualTo(Limits.DEFAULTS.maxOutputBytes());
        assertThat(o.stdout()).matches("a+");
        assertThat(o.stderr()).isEqualTo("end\n");
        assertThat(o.stdout().length() + o.stdoutDropped()).isEqualTo(1_000_000_000L);
    }

    @Test
    void bigFilesAndATmpFloodAreStopped() {
        try (Sandbox small = Sandbox.builder().limits(new Limits(T, T, 64, 64, 1 << 20, 1 << 20,
                4096)).build()) {
            Outcome o = small.run(ws, "head -c 2000000 /dev/zero > big; wc -c < big; "
                    + "head -c 2000000 /dev/zero > /tmp/a; head -c 900000 /dev/zero > /tmp/b; "
                    + "head -c 900000 /dev/zero > /tmp/c; du -sk /tmp", T);
            assertThat(o.stdout()).startsWith("1048576\n");
            assertThat(o.stderr()).contains("File size limit exceeded").contains("No space left on device");
        }
    }

    @Test
    void withoutBubblewrapItRefusesAndSaysHowToInstallIt() {
        try (Sandbox missing = Sandbox.builder().bwrap(Path.of("/nonexistent/bwrap")).build()) {
            assertThat(missing.unavailable()).get().asString()
                    .contains("apt-get install bubblewrap").contains("sandbox: none");
            assertThatThrownBy(() -> missing.run(ws, "true", T))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageContaining("apt-get install bubblewrap");
        }
        try (Sandbox none = Sandbox.builder().bwrap(Path.of("/nonexistent/bwrap"))
                .mode(Sandbox.Mode.NONE).build()) {
            assertThat(none.unavailable()).isEmpty();
            Outcome o = none.run(ws, "echo $HOME; echo x > f", T);
            assertThat(o.stdout()).isEqualTo(ws.toAbsolutePath() + "\n");
            assertThat(ws.resolve("f")).exists();
        }
    }

    private static String marker() {
        return "myriad-it-" + UUID.randomUUID().toString().replace("-", "");
    }

    private static boolean running(String marker) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("pgrep", "-f", marker).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return !out.isBlank();
    }

    /** Waits for killed processes to be reaped (a few seconds at most), then checks. */
    private static void assertNoProcessLeft(String marker) {
        try {
            for (int i = 0; i < 100 && running(marker); i++) {
                Thread.sleep(50);
            }
            assertThat(running(marker)).as("processes with marker " + marker).isFalse();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
