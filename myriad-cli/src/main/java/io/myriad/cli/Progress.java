package io.myriad.cli;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A progress bar on the terminal, redrawn a few times a second by one daemon thread; silent
 * when the output is not a terminal (logs and CI keep only the summary).
 */
final class Progress {
    private final PrintWriter err;
    private final int total;
    private final AtomicInteger done = new AtomicInteger();
    private final AtomicInteger bad = new AtomicInteger();
    private final long begin = System.nanoTime();
    private final Thread painter;
    private volatile boolean running = true;

    private Progress(PrintWriter err, int total, boolean interactive) {
        this.err = err;
        this.total = total;
        this.painter = interactive ? Thread.ofPlatform().daemon(true).name("myriad-progress").start(this::paintLoop) : null;
    }

    static Progress start(PrintWriter err, int total, boolean interactive) {
        return new Progress(err, total, interactive);
    }

    void finished(String state) {
        done.incrementAndGet();
        if (!"succeeded".equals(state)) {
            bad.incrementAndGet();
        }
    }

    private void paintLoop() {
        while (running) {
            paint();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void paint() {
        int d = done.get();
        int width = 30;
        int filled = total == 0 ? width : (int) ((long) d * width / total);
        double secs = (System.nanoTime() - begin) / 1e9;
        err.print(String.format("\r[%s%s] %d/%d tasks  %d not succeeded  %.1fs ",
                "#".repeat(filled), ".".repeat(width - filled), d, total, bad.get(), secs));
        err.flush();
    }

    void stop() {
        running = false;
        if (painter != null) {
            painter.interrupt();
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
