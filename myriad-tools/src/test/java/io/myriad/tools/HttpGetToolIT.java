package io.myriad.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * http_get and http_request against a real HTTP server on the loopback interface; the SSRF
 * guard is off (allow_private) or exempts loopback, except where a test checks the guard.
 */
class HttpGetToolIT {
    @TempDir
    Path workspace;
    private HttpServer server;
    private ExecutorService executor;
    private String base;
    private final AtomicInteger hits = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);
    private final Map<String, String> lastHeaders = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        int port = server.getAddress().getPort();
        base = "http://127.0.0.1:" + port;
        route("/hello", x -> reply(x, 200, "text/plain; charset=utf-8", "héllo".getBytes(
                StandardCharsets.UTF_8)));
        route("/latin1", x -> reply(x, 200, "text/plain; charset=ISO-8859-1",
                "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1)));
        route("/missing", x -> reply(x, 404, "application/json", "{\"error\":\"nope\"}"
                .getBytes(StandardCharsets.UTF_8)));
        route("/big", x -> reply(x, 200, "text/plain", "a".repeat(10_000)
                .getBytes(StandardCharsets.UTF_8)));
        route("/endless", x -> {
            x.getResponseHeaders().add("Content-Type", "text/plain");
            x.sendResponseHeaders(200, 0); // chunked, no length
            try (OutputStream out = x.getResponseBody()) {
                byte[] chunk = "b".repeat(1024).getBytes(StandardCharsets.UTF_8);
                for (int i = 0; i < 10_000; i++) {
                    out.write(chunk);
                }
            } catch (IOException e) {
                // the client hung up once it had enough: expected
            }
        });
        route("/binary", x -> reply(x, 200, "image/png", new byte[] {(byte) 0x89, 'P', 0, 1}));
        route("/slow", x -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            reply(x, 200, "text/plain", new byte[0]);
        });
        route("/to-hello", x -> redirect(x, "/hello"));
        route("/to-localhost", x -> redirect(x, "http://localhost:" + port + "/headers"));
        route("/to-elsewhere", x -> redirect(x, "http://example.org/"));
        route("/to-file", x -> redirect(x, "file:///etc/passwd"));
        route("/loop", x -> redirect(x, "/loop"));
        route("/to-private", x -> redirect(x, "http://10.1.2.3/"));
        route("/to-metadata", x -> redirect(x, "http://169.254.169.254/latest/meta-data/"));
        route("/to-mapped", x -> redirect(x, "http://[::ffff:192.168.0.1]/"));
        route("/echo", x -> reply(x, 200, "text/plain", (x.getRequestMethod() + " "
                + new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8)));
        route("/see-other", x -> {
            x.getRequestBody().readAllBytes();
            x.getResponseHeaders().add("Location", "/echo");
            x.sendResponseHeaders(303, -1);
        });
        route("/temporary", x -> {
            x.getRequestBody().readAllBytes();
            x.getResponseHeaders().add("Location", "/echo");
            x.sendResponseHeaders(307, -1);
        });
        route("/headers", x -> reply(x, 200, "text/plain", ("auth="
                + x.getRequestHeaders().getFirst("Authorization") + " accept="
                + x.getRequestHeaders().getFirst("Accept")).getBytes(StandardCharsets.UTF_8)));
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
        executor.close();
    }

    private interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    private void route(String path, Handler handler) {
        server.createContext(path, exchange -> {
            hits.incrementAndGet();
            exchange.getRequestHeaders().forEach((k, v) -> lastHeaders.put(k, v.getFirst()));
            try (exchange) {
                handler.handle(exchange);
            }
        });
    }

    private static void reply(HttpExchange x, int status, String type, byte[] body)
            throws IOException {
        x.getResponseHeaders().add("Content-Type", type);
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            x.getResponseBody().write(body);
        }
    }

    private static void redirect(HttpExchange x, String location) throws IOException {
        x.getResponseHeaders().add("Location", location);
        x.sendResponseHeaders(302, -1);
    }

    private static Tool tool(List<String> allow, int maxBytes, Duration timeout) {
        return HttpGetTool.get(HostAllowList.of(allow), AddressGuard.of(true), timeout, maxBytes);
    }

    private static Tool tool(String... allow) {
        return tool(List.of(allow), 1000, Duration.ofSeconds(10));
    }

    private ToolContext context() {
        return new ToolContext("run-1", "call-1", "key-1", workspace);
    }

    private String get(Tool tool, String path) {
        return tool.invoke(JsonNodeFactory.instance.objectNode().put("url", base + path),
                context()).content();
    }

    @Test
    void fetchesFromAnAllowedHost() {
        assertThat(get(tool("127.0.0.1"), "/hello"))
                .isEqualTo("HTTP 200\ntext/plain; charset=utf-8\n\nhéllo");
        assertThat(get(tool("127.0.0.1"), "/latin1")).endsWith("\n\ncafé");
        assertThat(lastHeaders).containsEntry("User-agent", "Myriad-http_get");
    }

    @Test
    void worksWhenWiredThroughBuiltinTools() {
        Tool http = BuiltinTools.create(BuiltinTools.Settings.DEFAULTS
                        .withHttpAllowHosts(List.of("127.0.0.1")).withHttpAllowPrivate(true)).stream()
                .filter(t -> t.name().equals("http_get")).findFirst().orElseThrow();
        assertThat(get(http, "/hello")).startsWith("HTTP 200\n");
    }

    @Test
    void returnsErrorStatusesAsText() {
        assertThat(get(tool("127.0.0.1"), "/missing"))
                .isEqualTo("HTTP 404\napplication/json\n\n{\"error\":\"nope\"}");
    }

    @Test
    void refusesHostsNotAllowedBeforeConnecting() {
        assertThatThrownBy(() -> get(tool("example.com", "*.127.0.0.1"), "/hello"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("host '127.0.0.1' is not allowed")
                .hasMessageContaining("example.com, *.127.0.0.1")
                .hasMessageContaining("`http.allow_hosts` in the fleet file");
        assertThatThrownBy(() -> get(tool(), "/hello"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("allows http_get to reach no hosts")
                .hasMessageContaining("`http.allow_hosts` in the fleet file");
        assertThat(hits).hasValue(0);
    }

    @Test
    void followsRedirectsToAllowedHostsOnly() {
        assertThat(get(tool("127.0.0.1"), "/to-hello")).endsWith("\n\nhéllo");
        hits.set(0);
        assertThatThrownBy(() -> get(tool("127.0.0.1"), "/to-localhost"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("redirect from " + base + "/to-localhost")
                .hasMessageContaining("host 'localhost' is not allowed");
        assertThat(hits).as("only the redirecting request reached the server").hasValue(1);
        assertThatThrownBy(() -> get(tool("127.0.0.1"), "/to-elsewhere"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("host 'example.org' is not allowed");
        assertThatThrownBy(() -> get(tool("127.0.0.1"), "/to-file"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("only http and https");
        assertThatThrownBy(() -> get(tool("127.0.0.1"), "/loop"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("too many redirects");
    }

    @Test
    void dropsCredentialsWhenARedirectChangesHost() {
        ObjectNode args = JsonNodeFactory.instance.objectNode().put("url", base + "/to-localhost");
        args.putObject("headers").put("Authorization", "Bearer s3cret").put("Accept", "text/*");
        String out = tool("127.0.0.1", "LOCALHOST").invoke(args, context()).content();
        assertThat(out).endsWith("\n\nauth=null accept=text/*");
        args.put("url", base + "/headers");
        assertThat(tool("127.0.0.1").invoke(args, context()).content())
                .endsWith("\n\nauth=Bearer s3cret accept=text/*");
    }

    @Test
    void capsTheBody() {
        assertThat(get(tool("127.0.0.1"), "/big"))
                .isEqualTo("HTTP 200\ntext/plain\n\n" + "a".repeat(1000)
                        + "\n[truncated: 9000 more bytes]");
        assertThat(get(tool("127.0.0.1"), "/endless"))
                .isEqualTo("HTTP 200\ntext/plain\n\n" + "b".repeat(1000)
                        + "\n[truncated: the body is longer than 1000 bytes]");
        assertThat(get(tool("127.0.0.1"), "/binary"))
                .isEqualTo("HTTP 200\nimage/png\n\n[binary body not shown: 4 bytes]");
    }

    @Test
    void timesOut() {
        Tool impatient = tool(List.of("127.0.0.1"), 1000, Duration.ofMillis(300));
        long start = System.nanoTime();
        assertThatThrownBy(() -> get(impatient, "/slow"))
                .isInstanceOf(ToolException.class).hasMessageContaining("timed out after 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void explainsBadUrlsAndHeaders() {
        Tool http = tool("127.0.0.1");
        assertThatThrownBy(() -> http.invoke(JsonNodeFactory.instance.objectNode()
                .put("url", "ftp://127.0.0.1/x"), context()))
                .isInstanceOf(ToolException.class).hasMessageContaining("only http and https");
        assertThatThrownBy(() -> http.invoke(JsonNodeFactory.instance.objectNode()
                .put("url", "not a url"), context()))
                .isInstanceOf(ToolException.class).hasMessageContaining("not a valid URL");
        assertThatThrownBy(() -> http.invoke(JsonNodeFactory.instance.objectNode()
                .put("url", "http://user:pw@127.0.0.1/"), context()))
                .isInstanceOf(ToolException.class).hasMessageContaining("Authorization header");
        ObjectNode badHeader = JsonNodeFactory.instance.objectNode().put("url", base + "/hello");
        badHeader.putObject("headers").put("Host", "evil.example");
        assertThatThrownBy(() -> http.invoke(badHeader, context()))
                .isInstanceOf(ToolException.class).hasMessageContaining("header 'Host'");
    }

    @Test
    void explainsConnectionFailures() throws IOException {
        int closedPort;
        try (var socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        assertThatThrownBy(() -> tool("127.0.0.1").invoke(JsonNodeFactory.instance.objectNode()
                .put("url", "http://127.0.0.1:" + closedPort + "/"), context()))
                .isInstanceOf(ToolException.class).hasMessageContaining("could not fetch");
    }

    private static Tool request(AddressGuard guard, String... allow) {
        return HttpGetTool.request(HostAllowList.of(List.of(allow)), guard, Duration.ofSeconds(10),
                1000);
    }

    private String send(Tool tool, String method, String path, String body) {
        ObjectNode args = JsonNodeFactory.instance.objectNode().put("method", method)
                .put("url", base + path);
        if (body != null) {
            args.put("body", body);
        }
        return tool.invoke(args, context()).content();
    }

    @Test
    void theGuardRefusesLoopbackUnlessPrivateAddressesAreAllowed() {
        Tool guarded = HttpGetTool.get(HostAllowList.of(List.of("127.0.0.1")),
                AddressGuard.of(false), Duration.ofSeconds(10), 1000);
        assertThatThrownBy(() -> get(guarded, "/hello"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("resolves to 127.0.0.1, a loopback address")
                .hasMessageContaining("`http.allow_private: true`");
        assertThatThrownBy(() -> send(request(AddressGuard.of(false), "127.0.0.1"), "POST",
                "/echo", "x"))
                .isInstanceOf(ToolException.class).hasMessageContaining("loopback");
        Tool wired = BuiltinTools.create(BuiltinTools.Settings.DEFAULTS
                        .withHttpAllowHosts(List.of("127.0.0.1"))).stream()
                .filter(t -> t.name().equals("http_get")).findFirst().orElseThrow();
        assertThatThrownBy(() -> get(wired, "/hello")).isInstanceOf(ToolException.class)
                .hasMessageContaining("loopback");
        assertThat(hits).as("no request reached the server").hasValue(0);
    }

    @Test
    void theGuardChecksEveryRedirect() {
        AddressGuard loopbackOnly = AddressGuard.exempting(InetAddress::isLoopbackAddress);
        Tool http = HttpGetTool.get(HostAllowList.of(List.of("127.0.0.1", "10.1.2.3",
                "169.254.169.254", "::ffff:192.168.0.1")), loopbackOnly, Duration.ofSeconds(10),
                1000);
        assertThatThrownBy(() -> get(http, "/to-private"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("redirect from " + base + "/to-private")
                .hasMessageContaining("10.1.2.3, a private address");
        assertThatThrownBy(() -> get(http, "/to-metadata"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("169.254.169.254, a link-local address");
        assertThatThrownBy(() -> get(http, "/to-mapped"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("a private address");
        assertThat(hits).as("only the redirecting requests reached the server").hasValue(3);
    }

    @Test
    void httpRequestSendsMethodsAndBodies() {
        Tool http = request(AddressGuard.of(true), "127.0.0.1");
        assertThat(http.effect()).isEqualTo(io.myriad.core.tool.Effect.IRREVERSIBLE);
        assertThat(send(http, "POST", "/echo", "{\"a\":1}")).endsWith("\n\nPOST {\"a\":1}");
        assertThat(send(http, "PUT", "/echo", "put")).endsWith("\n\nPUT put");
        assertThat(send(http, "PATCH", "/echo", "p")).endsWith("\n\nPATCH p");
        assertThat(send(http, "DELETE", "/echo", null)).endsWith("\n\nDELETE ");
        assertThat(send(http, "GET", "/echo", null)).endsWith("\n\nGET ");
        assertThat(send(http, "HEAD", "/hello", null)).startsWith("HTTP 200\n");
        assertThat(send(http, "POST", "/see-other", "once")).endsWith("\n\nGET ");
        assertThat(send(http, "POST", "/temporary", "again")).endsWith("\n\nPOST again");
        assertThatThrownBy(() -> send(http, "GET", "/echo", "body"))
                .isInstanceOf(ToolException.class).hasMessageContaining("cannot have a body");
        assertThatThrownBy(() -> send(http, "post", "/echo", null))
                .isInstanceOf(ToolException.class).hasMessageContaining("in capitals");
    }
}
