package io.myriad.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.MyriadException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The simulated server's request log: one JSON line per chat request, {@code {"run", "step",
 * "at_ms"}}, with {@code "model"} when the request named one, with {@code "fault"} when faults were injected into its answer (such as
 * {@code "rate_limited"} or {@code "malformed,latency_spike"}). Each line is appended before the
 * request is answered and handed to the operating system at once (the stream is unbuffered), so a
 * test that kills a client can count the calls it made.
 */
final class RequestLog implements AutoCloseable {
    private final Path path;
    private final ObjectMapper json;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private final OutputStream out;

    RequestLog(Path path, ObjectMapper json) throws IOException {
        this.path = path;
        this.json = json;
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.out = new FileOutputStream(path.toFile(), true);
    }

    /** Appends one line; throws when it could not be written. */
    void append(String run, int step, long atMillis) {
        append(run, step, atMillis, "");
    }

    /** Appends one line with the faults injected into the answer ({@code fault}, left out when empty). */
    void append(String run, int step, long atMillis, String fault) {
        append(run, step, atMillis, fault, "");
    }

    /** Appends one line with the faults and the model the request named ({@code model}, left out when empty). */
    void append(String run, int step, long atMillis, String fault, String model) {
        ObjectNode entry = json.createObjectNode().put("run", run).put("step", step).put("at_ms", atMillis);
        if (!model.isEmpty()) {
            entry.put("model", model);
        }
        if (!fault.isEmpty()) {
            entry.put("fault", fault);
        }
        byte[] line = (entry + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (lock) {
            try {
                out.write(line);
                out.flush();
            } catch (IOException e) {
                throw new MyriadException("Cannot append to the request log " + path + ": " + e.getMessage()
                        + ". Check the disk space and the permissions of its folder.", true, e);
            }
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (lock) {
            out.close();
        }
    }
}
