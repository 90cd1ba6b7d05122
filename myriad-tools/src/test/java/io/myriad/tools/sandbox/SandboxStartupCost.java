package io.myriad.tools.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * Measures what the sandbox adds to one command: the median wall time of {@code true} run
 * through {@link Sandbox} with bubblewrap and with {@code sandbox: none}, over {@code args[0]}
 * runs (default 50) after 10 warm-up runs each. Run once by hand (see README); not a test.
 */
public final class SandboxStartupCost {
    private SandboxStartupCost() {}

    public static void main(String[] args) throws IOException {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        Path ws = Files.createTempDirectory("myriad-startup-");
        try (Sandbox bwrap = Sandbox.builder().build();
                Sandbox none = Sandbox.builder().mode(Sandbox.Mode.NONE).build()) {
            double sandboxed = median(bwrap, ws, runs);
            double plain = median(none, ws, runs);
            System.out.printf(Locale.ROOT,
                    "median of %d runs of `true`: bubblewrap %.2f ms, none %.2f ms, "
                            + "sandbox cost %.2f ms%n", runs, sandboxed, plain, sandboxed - plain);
        } finally {
            Files.deleteIfExists(ws);
        }
    }

    private static double median(Sandbox sandbox, Path ws, int runs) {
        for (int i = 0; i < 10; i++) {
            sandbox.run(ws, "true", Duration.ofSeconds(30));
        }
        long[] nanos = new long[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            Outcome o = sandbox.run(ws, "true", Duration.ofSeconds(30));
            nanos[i] = System.nanoTime() - start;
            if (o.exitCode() != 0) {
                throw new IllegalStateException("`true` failed in the sandbox: " + o.stderr());
            }
        }
        Arrays.sort(nanos);
        return nanos[runs / 2] / 1e6;
    }
}
