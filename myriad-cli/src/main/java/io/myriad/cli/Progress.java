package io.myriad.cli;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A progress bar on the terminal, redrawn a few times a second by one daemon thread; when the
 * output is not a terminal (logs, CI), one plain line every {@code LOG_EVERY} instead, so a long
 * fleet shows it is alive without flooding the log.
 */
final class Progress {
    private final PrintWriter err;
    private final int total;
    private final AtomicInteger done = new AtomicInteger();
    private final AtomicInteger bad = new AtomicInteger();
    private final long begin = System.nanoTime();
    private final Thread painter;
    private static final long LOG_EVERY_MILLIS = 10_000;
    private final boolean interactive;
    private final java.util.function.Supplier<String> detail;
    private volatile boolean running = true;

    private Progress(PrintWriter err, int total, boolean interactive, java.util.function.Supplier<String> detail) {
        this.err = err;
        this.total = total;
        this.interactive = interactive;
        this.detail = detail;
        this.painter = Thread.ofPlatform().daemon(true).name("myriad-progress").start(this::paintLoop);
    }

    /**
     * @param detail what else to say on each line (runs in progress, waiting for the model)
     */
    static Progress start(PrintWriter err, int total, boolean interactive, java.util.function.Supplier<String> detail) {
        return new Progress(err, total, interactive, detail);
    }

    /** A run ended; the tasks' count leaves out child runs and reducers (counted apart). */
    void finished(String runId, String state) {
        if (runId.indexOf(io.myriad.core.run.RunLoop.CHILD_SEPARATOR) >= 0 || runId.contains(":reduce")) {
            children.incrementAndGet();
            return;
        }
        done.incrementAndGet();
        if (!"succeeded".equals(state)) {
            bad.incrementAndGet();
        }
    }

    private final java.util.concurrent.atomic.AtomicInteger children = new java.util.concurrent.atomic.AtomicInteger();

    private String childrenNote() {
        int c = children.get();
        return c == 0 ? "" : String.format(", %,d child or reduce runs final", c);
    }

    private void paintLoop() {
        while (running) {
            try {
                Thread.sleep(interactive ? 200 : LOG_EVERY_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            if (interactive) {
                paint();
            } else if (running) {
                err.println(String.format("[%5.0fs] %,d/%,d tasks final, %,d not succeeded%s, %s",
                        (System.nanoTime() - begin) / 1e9, done.get(), total, bad.get(), childrenNote(), detail.get()));
                err.flush();
            }
        }
    }

    private void paint() {
        int d = done.get();
        int width = 30;
        int filled = total == 0 ? width : (int) ((long) d * width / total);
        double secs = (System.nanoTime() - begin) / 1e9;
        err.print(String.format("\r[%s%s] %d/%d tasks  %d not succeeded%s  %s  %.1fs ",
                "#".repeat(filled), ".".repeat(width - filled), d, total, bad.get(), childrenNote(), detail.get(), secs));
        err.flush();
    }

    void stop() {
        running = false;
        painter.interrupt();
        if (interactive) {
            try {
                painter.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            paint();
            err.println();
        }
    }
}
