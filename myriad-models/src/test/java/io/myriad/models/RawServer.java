package io.myriad.models;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny HTTP/1.1 server on a bare {@link ServerSocket} for tests that need control of the bytes
 * on the wire: each accepted connection runs the given script on its own virtual thread, which
 * reads requests and writes whatever it likes. It counts connections and requests.
 */
final class RawServer implements AutoCloseable {
    /** What the server does with one connection. */
    @FunctionalInterface
    interface Script {
        void serve(Connection connection) throws IOException, InterruptedException;
    }

    /** A request as the server read it; header names in lower case. */
    record Request(String line, Map<String, String> headers, String body) {}

    private final ServerSocket socket;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final ConcurrentLinkedQueue<Request> seen = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Socket> open = new ConcurrentLinkedQueue<>();

    RawServer(Script script) throws IOException {
        socket = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        executor.execute(() -> {
            while (!socket.isClosed()) {
                Socket accepted;
                try {
                    accepted = socket.accept();
                } catch (IOException e) {
                    return;
                }
                connections.incrementAndGet();
                open.add(accepted);
                executor.execute(() -> {
                    try (accepted) {
                        script.serve(new Connection(accepted));
                    } catch (IOException | InterruptedException ignored) {
                        // the client went away, or the test ended
                    }
                });
            }
        });
    }

    /** The base URL of the server, ending with {@code /v1}. */
    String baseUrl() {
        return "http://127.0.0.1:" + socket.getLocalPort() + "/v1";
    }

    int connections() {
        return connections.get();
    }

    int requests() {
        return requests.get();
    }

    /** The last request read. */
    Request last() {
        Request last = null;
        for (Request request : seen) {
            last = request;
        }
        return last;
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket s : open) {
            s.close();
        }
        executor.shutdownNow();
    }

    /** One accepted connection. */
    final class Connection {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        /** The next request, body included (by its Content-Length); null when the client closed the connection. */
        Request read() throws IOException {
            String line = line();
            if (line == null) {
                return null;
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (String header = line(); header != null && !header.isEmpty(); header = line()) {
                int colon = header.indexOf(':');
                headers.put(header.substring(0, colon).strip().toLowerCase(Locale.ROOT), header.substring(colon + 1).strip());
            }
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
            Request request = new Request(line, headers, body);
            requests.incrementAndGet();
            seen.add(request);
            return request;
        }

        private String line() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1 && b != '\n') {
                line.write(b);
            }
            if (b == -1 && line.size() == 0) {
                return null;
            }
            String text = line.toString(StandardCharsets.ISO_8859_1);
            return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
        }

        /** Writes text as is (ISO-8859-1), line ends included. */
        void write(String text) throws IOException {
            write(text.getBytes(StandardCharsets.ISO_8859_1));
        }

        void write(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        /** Writes a complete response with a Content-Length and the given extra header lines. */
        void respond(int status, String body, String... headerLines) throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder("HTTP/1.1 " + status + " Whatever\r\n");
            for (String header : headerLines) {
                head.append(header).append("\r\n");
            }
            head.append("Content-Type: application/json\r\nContent-Length: ").append(bytes.length).append("\r\n\r\n");
            write(head.toString());
            write(bytes);
        }

        /** Closes the connection. */
        void close() throws IOException {
            socket.close();
        }
    }
}
