package io.myriad.models;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A tiny HTTP server for tests: each case lives under its own path prefix ({@code /<case>/v1}) and
 * answers with a canned status, headers and body. It remembers the last request of each case.
 */
final class CannedServer implements AutoCloseable {
    /** What a case does with an exchange. */
    @FunctionalInterface
    interface Behaviour {
        void answer(HttpExchange exchange) throws IOException, InterruptedException;
    }

    /** The headers and body of a request as the server saw it. */
    record Seen(Headers headers, String body) {}

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();

    CannedServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.start();
    }

    /** Adds a case; returns its base URL. */
    String add(String name, Behaviour behaviour) {
        server.createContext("/" + name + "/", exchange -> {
            try (exchange) {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                seen.put(name, new Seen(exchange.getRequestHeaders(), body));
                behaviour.answer(exchange);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + name + "/v1";
    }

    /** Adds a case that always answers {@code status} with {@code body} and the given header pairs. */
    String add(String name, int status, String body, String... headers) {
        return add(name, exchange -> respond(exchange, status, body, headers));
    }

    Seen seen(String name) {
        return seen.get(name);
    }

    static void respond(HttpExchange exchange, int status, String body, String... headers) throws IOException {
        for (int i = 0; i < headers.length; i += 2) {
            exchange.getResponseHeaders().add(headers[i], headers[i + 1]);
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
