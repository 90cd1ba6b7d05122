package io.myriad.tools.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Drains one output stream of a process to its end, keeping the first {@code cap} bytes and
 * counting the rest, so that a child printing without end never blocks on a full pipe and never
 * fills the heap.
 *
 * <p>Thread-safety: one reader thread writes; {@link #kept()} and {@link #total()} are read after
 * that thread has been joined.
 */
final class CappedOutput implements Runnable {
    private final InputStream in;
    private final int cap;
    private final ByteArrayOutputStream kept;
    private long total;

    CappedOutput(InputStream in, int cap) {
        this.in = in;
        this.cap = cap;
        this.kept = new ByteArrayOutputStream(Math.min(cap, 8192));
    }

    @Override
    public void run() {
        byte[] buffer = new byte[16384];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                int room = cap - kept.size();
                if (room > 0) {
                    kept.write(buffer, 0, Math.min(room, n));
                }
                total += n;
            }
        } catch (IOException e) {
            // the stream was closed under us (the process was killed): keep what was read
        }
    }

    byte[] kept() {
        return kept.toByteArray();
    }

    long total() {
        return total;
    }

    /**
     * How many bytes each of two streams may show when together they may show {@code cap}: each
     * gets half, and a stream that needs less than its half leaves the rest to the other.
     */
    static int[] share(long first, long second, int cap) {
        int half = cap / 2;
        int a = (int) Math.min(first, half);
        int b = (int) Math.min(second, cap - a);
        a = (int) Math.min(first, cap - b);
        return new int[] {a, b};
    }
}
