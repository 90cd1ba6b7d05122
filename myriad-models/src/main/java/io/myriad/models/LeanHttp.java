package io.myriad.models;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A lean HTTP/1.1 client for plain-text ({@code http://}) endpoints, such as a model server on
 * the loopback interface or the local network, where the cost of the JDK's asynchronous client
 * (selector thread, futures, per-request filters) outweighs the exchange itself.
 *
 * <p>Callers block their (virtual) thread for the whole exchange. Each exchange borrows a
 * {@link LeanConnection} from the pool of its host and port, so a pool holds at most as many
 * connections as there have been concurrent callers; idle ones are reused most recent first
 * (the least recently used ones are the likeliest to have been closed by the server) and closed
 * after {@link #DEFAULT_IDLE_TIMEOUT}, shorter than the common server default of 5 s, or when
 * more than the idle bound wait.
 *
 * <p>A pooled connection may have been closed by the server while it sat idle. When an exchange
 * on a pooled connection fails before a single byte of the response arrived (and not by a
 * timeout), the request is sent once more on a fresh connection; never otherwise, since the
 * server may have acted on it.
 *
 * <p>Concurrency: no lock is held, ever, so no caller waits for another and none pins its carrier
 * thread. Each pool's idle connections sit in a lock-free deque (most recently used first) from
 * which exactly one caller can take a given connection; a connection in use belongs to that
 * caller alone. The set of open connections, which {@link #close()} closes, changes only when a
 * connection opens or closes. A connection that goes back to a pool being closed is closed by
 * whichever of the two comes second.
 */
final class LeanHttp implements AutoCloseable {
    /** How long an unused connection stays open. */
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(4);
    /** How many unused connections each pool keeps at most. */
    static final int DEFAULT_MAX_IDLE = 1024;

    private final long connectTimeoutMillis;
    private final long idleTimeoutNanos;
    private final int maxIdle;
    private final ConcurrentHashMap<String, Pool> pools = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private LeanHttp(Duration connectTimeout, Duration idleTimeout, int maxIdle) {
        this.connectTimeoutMillis = Math.max(1, connectTimeout.toMillis());
        this.idleTimeoutNanos = idleTimeout.toNanos();
        this.maxIdle = maxIdle;
    }

    /** A client with the default idle timeout and bound. */
    static LeanHttp create(Duration connectTimeout) {
        return create(connectTimeout, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_IDLE);
    }

    static LeanHttp create(Duration connectTimeout, Duration idleTimeout, int maxIdle) {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (connectTimeout.isNegative() || connectTimeout.isZero() || idleTimeout.isNegative() || maxIdle < 0) {
            throw new IllegalArgumentException("The connect timeout must be positive, the idle timeout and the idle bound"
                    + " not negative.");
        }
        return new LeanHttp(connectTimeout, idleTimeout, maxIdle);
    }

    /**
     * The target of requests to {@code uri}, an {@code http} URI, with header fields (name, value
     * pairs) sent with each of them besides {@code Host}.
     *
     * @throws IllegalArgumentException when the URI is not an {@code http} URI with a host, or a
     *                                  header field is not valid
     */
    Endpoint endpoint(URI uri, String... fields) {
        Objects.requireNonNull(uri, "uri");
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("Not an http URI with a host: " + uri);
        }
        String host = uri.getHost();
        String connectHost = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        int port = uri.getPort() == -1 ? 80 : uri.getPort();
        Pool pool = pools.computeIfAbsent(connectHost + ":" + port, key -> new Pool(connectHost, port));
        StringBuilder head = new StringBuilder(128);
        head.append("Host: ").append(host);
        if (uri.getPort() != -1) {
            head.append(':').append(port);
        }
        head.append("\r\n");
        appendFields(head, fields);
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String target = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        return new Endpoint(pool, target, latin1(head));
    }

    /** Closes every connection, idle or in use: exchanges in flight fail. */
    @Override
    public void close() {
        closed = true;
        pools.values().forEach(Pool::close);
    }

    /** Requests to one URI. Thread-safe. */
    final class Endpoint {
        private final Pool pool;
        private final String target;
        /** The header fields every request carries, each line ended by CRLF, as bytes. */
        private final byte[] fixedFields;

        private Endpoint(Pool pool, String target, byte[] fixedFields) {
            this.pool = pool;
            this.target = target;
            this.fixedFields = fixedFields;
        }

        /**
         * Sends a request and returns the complete response, whatever its status.
         *
         * @param method   the request method, such as {@code POST}
         * @param fields   more header fields for this request, as name, value pairs
         * @param body     the body, sent with its {@code Content-Length}; null for none
         * @param deadline the {@link System#nanoTime()} by which the whole exchange must end
         * @throws java.net.http.HttpConnectTimeoutException when no connection could be made in time
         * @throws SocketTimeoutException                    when the answer did not come in time
         * @throws IOException                               when the exchange failed otherwise
         * @throws IllegalArgumentException                  when a header field is not valid
         */
        HttpReply send(String method, String[] fields, byte[] body, long deadline) throws IOException {
            byte[] message = message(method, fields, body);
            boolean bodiless = method.equals("HEAD");
            LeanConnection connection = pool.acquire();
            if (connection != null) {
                try {
                    return pool.exchange(connection, message, bodiless, deadline);
                } catch (IOException e) {
                    if (connection.received() > 0 || e instanceof SocketTimeoutException || closed
                            || Thread.currentThread().isInterrupted()) {
                        throw e;
                    }
                    // The server closed the idle connection before it saw the request: send it again.
                }
            }
            return pool.exchange(pool.connect(deadline), message, bodiless, deadline);
        }

        private byte[] message(String method, String[] fields, byte[] body) {
            StringBuilder head = new StringBuilder(256);
            head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            appendFields(head, fields);
            if (body != null) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            int headLength = head.length();
            int bodyLength = body == null ? 0 : body.length;
            byte[] message = new byte[headLength + fixedFields.length + bodyLength];
            int requestLineEnd = head.indexOf("\r\n") + 2;
            copyLatin1(head, 0, requestLineEnd, message, 0);
            System.arraycopy(fixedFields, 0, message, requestLineEnd, fixedFields.length);
            copyLatin1(head, requestLineEnd, headLength, message, requestLineEnd + fixedFields.length);
            if (body != null) {
                System.arraycopy(body, 0, message, headLength + fixedFields.length, bodyLength);
            }
            return message;
        }
    }

    private static void appendFields(StringBuilder head, String[] fields) {
        if (fields.length % 2 != 0) {
            throw new IllegalArgumentException("Header fields come in name, value pairs.");
        }
        for (int i = 0; i < fields.length; i += 2) {
            String name = fields[i];
            String value = fields[i + 1];
            if (name.isEmpty() || !isToken(name)) {
                throw new IllegalArgumentException("Invalid header name: '" + name + "'");
            }
            if (!isFieldValue(value)) {
                throw new IllegalArgumentException("Invalid value for header " + name + ": '" + value + "'");
            }
            head.append(name).append(": ").append(value).append("\r\n");
        }
    }

    private static boolean isToken(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Visible ISO-8859-1 characters, spaces and tabs: no line breaks, no other control characters. */
    private static boolean isFieldValue(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < ' ' && c != '\t') || c == 0x7f || c > 0xff) {
                return false;
            }
        }
        return true;
    }

    private static byte[] latin1(CharSequence text) {
        byte[] bytes = new byte[text.length()];
        copyLatin1(text, 0, text.length(), bytes, 0);
        return bytes;
    }

    private static void copyLatin1(CharSequence text, int from, int to, byte[] target, int offset) {
        for (int i = from; i < to; i++) {
            target[offset++] = (byte) text.charAt(i);
        }
    }

    /** The connections to one host and port. */
    private final class Pool {
        private final String host;
        private final int port;
        /** Unused connections, the most recently used first. */
        private final ConcurrentLinkedDeque<LeanConnection> idle = new ConcurrentLinkedDeque<>();
        /** About how many connections {@code idle} holds (updated just after it). */
        private final AtomicInteger idleCount = new AtomicInteger();
        /** Every open connection, idle or in use. */
        private final Set<LeanConnection> open = ConcurrentHashMap.newKeySet();
        /** Whether a thread is closing the connections idle too long; there is one while any is idle. */
        private final AtomicBoolean reaping = new AtomicBoolean();
        private volatile Thread reaper;
        private volatile boolean poolClosed;

        Pool(String host, int port) {
            this.host = host;
            this.port = port;
        }

        /** The most recently used idle connection, or null when there is none that is fresh enough. */
        LeanConnection acquire() throws IOException {
            if (poolClosed) {
                throw new IOException("The HTTP client is closed.");
            }
            LeanConnection newest;
            while ((newest = idle.pollFirst()) != null) {
                idleCount.decrementAndGet();
                if (System.nanoTime() - newest.idleSince < idleTimeoutNanos) {
                    return newest;
                }
                drop(newest); // expired, and so are all the older ones that follow
            }
            return null;
        }

        /** A new connection, registered as open. */
        LeanConnection connect(long deadline) throws IOException {
            LeanConnection connection = LeanConnection.open(host, port, connectTimeoutMillis, deadline);
            open.add(connection);
            if (poolClosed) {
                drop(connection);
                throw new IOException("The HTTP client is closed.");
            }
            return connection;
        }

        /** One exchange on {@code connection}, which goes back to the pool or is closed afterwards. */
        HttpReply exchange(LeanConnection connection, byte[] message, boolean bodiless, long deadline) throws IOException {
            LeanConnection.Exchange exchange;
            try {
                exchange = connection.exchange(message, bodiless, deadline);
            } catch (IOException | RuntimeException | Error e) {
                drop(connection);
                throw e;
            }
            release(connection, exchange.keepAlive());
            return exchange.reply();
        }

        private void release(LeanConnection connection, boolean keepAlive) {
            if (!keepAlive || poolClosed || maxIdle == 0) {
                drop(connection);
                return;
            }
            connection.idleSince = System.nanoTime();
            idle.offerFirst(connection);
            if (idleCount.incrementAndGet() > maxIdle) {
                LeanConnection oldest = idle.pollLast();
                if (oldest != null) {
                    idleCount.decrementAndGet();
                    drop(oldest);
                }
            }
            if (poolClosed) {
                dropIdle(); // close() ran while the connection went back
            } else if (reaping.compareAndSet(false, true)) {
                reaper = Thread.ofVirtual().name("myriad-http-idle-" + host + ":" + port).start(this::reap);
            }
        }

        private void drop(LeanConnection connection) {
            open.remove(connection);
            connection.close();
        }

        private void dropIdle() {
            LeanConnection connection;
            while ((connection = idle.pollFirst()) != null) {
                idleCount.decrementAndGet();
                drop(connection);
            }
        }

        /** Closes idle connections as they expire; ends when none is left idle. */
        private void reap() {
            while (!poolClosed) {
                LeanConnection oldest = idle.peekLast();
                if (oldest == null) {
                    reaping.set(false);
                    // A connection that went back meanwhile may have found the reaper still running.
                    if (idle.isEmpty() || !reaping.compareAndSet(false, true)) {
                        return;
                    }
                    continue;
                }
                long wait = oldest.idleSince + idleTimeoutNanos - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(this, wait);
                } else if (idle.removeLastOccurrence(oldest)) {
                    idleCount.decrementAndGet();
                    drop(oldest);
                }
            }
            reaping.set(false);
        }

        void close() {
            poolClosed = true;
            dropIdle();
            for (LeanConnection connection : open) {
                drop(connection);
            }
            Thread thread = reaper;
            if (thread != null) {
                LockSupport.unpark(thread);
            }
        }
    }
}
