package io.myriad.models;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One keep-alive HTTP/1.1 connection of {@link LeanHttp}: a blocking socket, meant for virtual
 * threads, that sends a whole request in one write and parses the response by hand.
 *
 * <p>Notes: a connection is used by one exchange at a time (the pool hands it to one caller), so
 * its fields need no lock. Every blocking read is bounded by the exchange's deadline (the socket
 * timeout is set to what remains before each read); a write larger than
 * {@link #WATCHED_WRITE_BYTES}, which could block on a server that does not read, is bounded by a
 * watchdog that closes the socket at the deadline. The response body is read into a byte array
 * of its exact size when the server states the length; otherwise (chunked, or delimited by the
 * end of the connection) it is gathered and copied once. A connection is fit for reuse only when
 * the response was framed, the server did not ask to close, and no byte beyond the response
 * arrived.
 */
final class LeanConnection {
    /** The read buffer's initial size; response heads larger than this make it grow. */
    static final int BUFFER_BYTES = 16 * 1024;
    /** The largest status line and header section accepted. */
    static final int MAX_HEAD_BYTES = 64 * 1024;
    /** The largest response body accepted. */
    static final int MAX_BODY_BYTES = 512 * 1024 * 1024;
    /**
     * Requests larger than this are written under a watchdog; smaller ones fit the socket's
     * initial send buffer, so writing them never blocks.
     */
    static final int WATCHED_WRITE_BYTES = 16 * 1024;

    private static final byte[] NO_BYTES = {};

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private byte[] buffer = new byte[BUFFER_BYTES];
    /** The unread bytes of the buffer are {@code buffer[pos, limit)}. */
    private int pos;
    private int limit;
    /** Bytes of the current response received so far. */
    private long received;
    /** Bytes of the current response's status line and headers consumed so far. */
    private int headBytes;
    private volatile boolean writeTimedOut;

    /** When the connection last went back to its pool, in {@link System#nanoTime()}. */
    volatile long idleSince;

    private LeanConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /**
     * Connects to {@code host:port} within the lesser of {@code connectTimeoutMillis} and the time
     * left before {@code deadline}.
     *
     * @throws HttpConnectTimeoutException when no connection was made in time
     * @throws UnknownHostException when the host name does not resolve
     * @throws IOException when the connection was refused or failed otherwise
     */
    static LeanConnection open(String host, int port, long connectTimeoutMillis, long deadline) throws IOException {
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new UnknownHostException(host);
        }
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        int millis = (int) Math.max(1, Math.min(Math.min(connectTimeoutMillis, left), Integer.MAX_VALUE));
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(address, millis);
            return new LeanConnection(socket);
        } catch (SocketTimeoutException e) {
            closeQuietly(socket);
            HttpConnectTimeoutException timeout = new HttpConnectTimeoutException(
                    "No connection to " + host + ":" + port + " within " + millis + " ms");
            timeout.initCause(e);
            throw timeout;
        } catch (IOException | RuntimeException e) {
            closeQuietly(socket);
            throw e;
        }
    }

    /** Bytes of the current (or last) response received so far; 0 means the server has not begun to answer. */
    long received() {
        return received;
    }

    /**
     * Sends {@code request} (a complete message: head and body) and reads the response.
     *
     * @param bodiless true when the response has no body whatever its headers say (a HEAD request)
     * @throws SocketTimeoutException when the deadline passed
     * @throws IOException when the connection failed or the response is not valid HTTP/1.1
     */
    Exchange exchange(byte[] request, boolean bodiless, long deadline) throws IOException {
        received = 0;
        headBytes = 0;
        write(request, deadline);
        return readResponse(bodiless, deadline);
    }

    /** A response and whether the connection may serve another exchange. */
    record Exchange(HttpReply reply, boolean keepAlive) {}

    void close() {
        closeQuietly(socket);
    }

    // ---------------------------------------------------------------- writing

    private void write(byte[] request, long deadline) throws IOException {
        if (request.length <= WATCHED_WRITE_BYTES) {
            out.write(request);
            return;
        }
        Thread watchdog = Thread.ofVirtual().name("myriad-http-write-deadline").start(() -> {
            long wait;
            while ((wait = deadline - System.nanoTime()) > 0 && !Thread.currentThread().isInterrupted()) {
                LockSupport.parkNanos(this, wait);
            }
            if (!Thread.currentThread().isInterrupted()) {
                writeTimedOut = true;
                close();
            }
        });
        try {
            out.write(request);
        } catch (IOException e) {
            if (writeTimedOut) {
                SocketTimeoutException timeout = new SocketTimeoutException("Write timed out");
                timeout.initCause(e);
                throw timeout;
            }
            throw e;
        } finally {
            watchdog.interrupt();
        }
    }

    // ---------------------------------------------------------------- reading

    private Exchange readResponse(boolean bodiless, long deadline) throws IOException {
        while (true) {
            String statusLine = readLine(deadline);
            if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12 || statusLine.charAt(8) != ' ') {
                throw new ProtocolException("The server's answer does not start with an HTTP/1.x status line: "
                        + ChatCompletionsCodec.excerpt(statusLine));
            }
            boolean http11 = statusLine.charAt(7) != '0';
            int status = parseStatus(statusLine);
            HttpReply.Fields fields = readFields(deadline);
            if (status >= 100 && status < 200) {
                if (status == 101) {
                    throw new ProtocolException("The server switched protocols (HTTP 101), which this client does not speak.");
                }
                headBytes = 0;
                continue; // an interim response (100 Continue, 103 Early Hints): the real one follows
            }
            boolean keepAlive = http11
                    ? !fields.hasToken("connection", "close")
                    : fields.hasToken("connection", "keep-alive");
            byte[] body;
            if (bodiless || status == 204 || status == 304) {
                body = NO_BYTES;
            } else if (fields.firstValue("transfer-encoding").isPresent()) {
                if (fields.lastToken("transfer-encoding").equals("chunked")) {
                    body = readChunked(deadline);
                } else {
                    body = readToEnd(deadline);
                    keepAlive = false;
                }
            } else {
                String[] lengths = fields.all("content-length");
                if (lengths.length > 0) {
                    body = readFixed(contentLength(lengths), deadline);
                } else {
                    body = readToEnd(deadline);
                    keepAlive = false;
                }
            }
            if (pos != limit) {
                keepAlive = false; // bytes beyond the response: the connection's state is unknown
            }
            return new Exchange(new HttpReply(status, fields, body), keepAlive);
        }
    }

    private static int parseStatus(String line) throws ProtocolException {
        int status = 0;
        for (int i = 9; i < 12; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                throw new ProtocolException("The server's status line has no three-digit status: "
                        + ChatCompletionsCodec.excerpt(line));
            }
            status = status * 10 + (c - '0');
        }
        if (line.length() > 12 && line.charAt(12) != ' ') {
            throw new ProtocolException("The server's status line has no three-digit status: "
                    + ChatCompletionsCodec.excerpt(line));
        }
        return status;
    }

    private HttpReply.Fields readFields(long deadline) throws IOException {
        HttpReply.Fields fields = new HttpReply.Fields();
        while (true) {
            int newline = lineEnd(deadline);
            int end = newline > pos && buffer[newline - 1] == '\r' ? newline - 1 : newline;
            int start = pos;
            pos = newline + 1;
            if (end == start) {
                return fields;
            }
            if (buffer[start] == ' ' || buffer[start] == '\t') {
                continue; // obsolete line folding: ignored
            }
            int colon = start;
            while (colon < end && buffer[colon] != ':') {
                colon++;
            }
            if (colon == start || colon == end) {
                throw new ProtocolException("The server sent a malformed header line: " + ChatCompletionsCodec.excerpt(
                        new String(buffer, start, end - start, StandardCharsets.ISO_8859_1)));
            }
            int valueStart = colon + 1;
            while (valueStart < end && (buffer[valueStart] == ' ' || buffer[valueStart] == '\t')) {
                valueStart++;
            }
            int valueEnd = end;
            while (valueEnd > valueStart && (buffer[valueEnd - 1] == ' ' || buffer[valueEnd - 1] == '\t')) {
                valueEnd--;
            }
            fields.add(new String(buffer, start, colon - start, StandardCharsets.ISO_8859_1).strip(),
                    new String(buffer, valueStart, valueEnd - valueStart, StandardCharsets.ISO_8859_1));
        }
    }

    private static int contentLength(String[] values) throws ProtocolException {
        long length = -1;
        for (String value : values) {
            for (String part : value.split(",")) {
                long parsed = parseDecimal(part.strip());
                if (parsed < 0 || (length >= 0 && parsed != length)) {
                    throw new ProtocolException("The server sent an invalid Content-Length: " + String.join(", ", values));
                }
                length = parsed;
            }
        }
        if (length > MAX_BODY_BYTES) {
            throw new ProtocolException("The server's response body of " + length + " bytes is larger than the "
                    + MAX_BODY_BYTES + " bytes this client accepts.");
        }
        return (int) length;
    }

    /** A non-negative decimal of at most 18 digits, or -1. */
    private static long parseDecimal(String text) {
        if (text.isEmpty() || text.length() > 18) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private byte[] readFixed(int length, long deadline) throws IOException {
        byte[] body = new byte[length];
        int got = readExact(body, 0, length, deadline);
        if (got < length) {
            throw new EOFException("The server closed the connection after " + got + " of the " + length
                    + " bytes of the response body.");
        }
        return body;
    }

    private byte[] readChunked(long deadline) throws IOException {
        byte[] body = new byte[Math.max(limit - pos, 1024)];
        int size = 0;
        while (true) {
            String line = readLine(deadline);
            int semicolon = line.indexOf(';');
            long chunk = parseHex((semicolon < 0 ? line : line.substring(0, semicolon)).strip());
            if (chunk < 0) {
                throw new ProtocolException("The server sent a malformed chunk size: " + ChatCompletionsCodec.excerpt(line));
            }
            if (chunk == 0) {
                while (!readLine(deadline).isEmpty()) {
                    headBytes = 0; // trailer fields: read and ignored
                }
                return Arrays.copyOf(body, size);
            }
            if (size + chunk > MAX_BODY_BYTES) {
                throw new ProtocolException("The server's chunked response body is larger than the "
                        + MAX_BODY_BYTES + " bytes this client accepts.");
            }
            int n = (int) chunk;
            if (body.length - size < n) {
                body = Arrays.copyOf(body, Math.max(size + n, Math.min(MAX_BODY_BYTES, body.length * 2)));
            }
            int got = readExact(body, size, n, deadline);
            if (got < n) {
                throw new EOFException("The server closed the connection in the middle of a chunk of the response body.");
            }
            size += n;
            if (!readLine(deadline).isEmpty()) {
                throw new ProtocolException("The server sent a chunk longer than its stated size.");
            }
            headBytes = 0;
        }
    }

    /** A hexadecimal chunk size of at most 15 digits, or -1. */
    private static long parseHex(String text) {
        if (text.isEmpty() || text.length() > 15) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < text.length(); i++) {
            int digit = Character.digit(text.charAt(i), 16);
            if (digit < 0) {
                return -1;
            }
            value = value * 16 + digit;
        }
        return value;
    }

    /** A body delimited by the end of the connection. */
    private byte[] readToEnd(long deadline) throws IOException {
        byte[] body = new byte[Math.max(limit - pos, BUFFER_BYTES)];
        int size = 0;
        while (true) {
            if (size == body.length) {
                if (size >= MAX_BODY_BYTES) {
                    throw new ProtocolException("The server's response body is larger than the "
                            + MAX_BODY_BYTES + " bytes this client accepts.");
                }
                body = Arrays.copyOf(body, (int) Math.min(MAX_BODY_BYTES, 2L * size));
            }
            int got = readExact(body, size, body.length - size, deadline);
            size += got;
            if (size < body.length) {
                return Arrays.copyOf(body, size);
            }
        }
    }

    /**
     * Reads {@code length} bytes into {@code target}: first what the buffer holds, then straight
     * from the socket. Returns how many were read, fewer only when the connection ended.
     */
    private int readExact(byte[] target, int offset, int length, long deadline) throws IOException {
        int buffered = Math.min(limit - pos, length);
        System.arraycopy(buffer, pos, target, offset, buffered);
        pos += buffered;
        int got = buffered;
        while (got < length) {
            setTimeout(deadline);
            int n = in.read(target, offset + got, length - got);
            if (n < 0) {
                break;
            }
            received += n;
            got += n;
        }
        return got;
    }

    /**
     * The next line of the head, without its line end (CRLF, or a bare LF), decoded as ISO-8859-1.
     *
     * @throws EOFException when the connection ends first
     */
    private String readLine(long deadline) throws IOException {
        int newline = lineEnd(deadline);
        int end = newline > pos && buffer[newline - 1] == '\r' ? newline - 1 : newline;
        String line = new String(buffer, pos, end - pos, StandardCharsets.ISO_8859_1);
        pos = newline + 1;
        return line;
    }

    /**
     * The index in the buffer of the LF that ends the line starting at {@code pos}, reading until
     * there is one; counts the line in the head's size.
     *
     * @throws EOFException when the connection ends first
     */
    private int lineEnd(long deadline) throws IOException {
        int scanned = pos;
        while (true) {
            for (int i = scanned; i < limit; i++) {
                if (buffer[i] == '\n') {
                    headBytes += i + 1 - pos;
                    return i;
                }
            }
            if (headBytes + (limit - pos) > MAX_HEAD_BYTES) {
                throw new ProtocolException("The server's response head is larger than the "
                        + MAX_HEAD_BYTES + " bytes this client accepts.");
            }
            scanned = limit - pos;
            if (fill(deadline) < 0) {
                throw new EOFException(received == 0
                        ? "The server closed the connection without answering."
                        : "The server closed the connection in the middle of the response head.");
            }
            scanned += pos;
        }
    }

    /** Reads more bytes into the buffer, compacting or growing it first when it is full; -1 at the end of the stream. */
    private int fill(long deadline) throws IOException {
        if (pos > 0 && (pos == limit || limit == buffer.length)) {
            System.arraycopy(buffer, pos, buffer, 0, limit - pos);
            limit -= pos;
            pos = 0;
        }
        if (limit == buffer.length) {
            buffer = Arrays.copyOf(buffer, buffer.length * 2);
        }
        setTimeout(deadline);
        int n = in.read(buffer, limit, buffer.length - limit);
        if (n > 0) {
            limit += n;
            received += n;
        }
        return n;
    }

    /** Bounds the next read by the time left before {@code deadline}. */
    private void setTimeout(long deadline) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("Read timed out");
        }
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left))));
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing more can go wrong with a socket that is being dropped
        }
    }
}
