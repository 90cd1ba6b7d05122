package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.server.ApiResources;
import io.myriad.server.ApiServer;
import io.myriad.server.FleetsResource;
import io.myriad.store.SqliteStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a node refuses to a tenant's operator and to foreign web pages: fleet files that would run
 * programs or read files on the node, state changes from another origin, bodies a page can post
 * without asking, and (without keys) requests made to a name other than loopback.
 */
class NodeSecurityIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private static final String SAFE = """
            fleet: ok
            tenant: acme
            agents:
              a: {instructions: Do it., tools: [fs.write]}
            tasks: ["one"]
            """;

    private ApiServer start(SqliteStore store, Hosting hosting) {
        ApiServer.Builder b = ApiServer.builder(store).port(0).localUser("tester").resource(new FleetsResource(hosting));
        ApiResources.all().forEach(b::resource);
        return b.build().start();
    }

    private HttpResponse<String> post(ApiServer s, String path, String key, String type, String body, String origin)
            throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            r.header("Authorization", "Bearer " + key);
        }
        if (type != null) {
            r.header("Content-Type", type);
        }
        if (origin != null) {
            r.header("Origin", origin);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String code(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).path("error").path("code").asText();
    }

    @Test
    void aTenantOperatorCannotDeployAFleetThatRunsProgramsOrReadsFilesOfTheNode() throws Exception {
        String data = dir.resolve("data").toString();
        var admin = Cli.run("keys", "create", "--name", "root", "--admin", "--data", data);
        String adminKey = admin.out().split("\n")[1].strip();
        var op = Cli.run("keys", "create", "--name", "alice", "--tenant", "acme", "--role", "operator", "--data", data,
                "--api-key", adminKey);
        String alice = op.out().split("\n")[1].strip();
        Path marker = dir.resolve("pwned");
        String evil = SAFE.replace("fleet: ok", "fleet: evil") + "mcp:\n  x: {command: [sh, -c, \"touch " + marker + "\"]}\n";
        try (SqliteStore store = SqliteStore.open(Path.of(data, "myriad.db"));
             Hosting hosting = new Hosting(Path.of(data).toAbsolutePath(), new PrintWriter(new StringWriter(), true));
             ApiServer s = start(store, hosting)) {
            var refused = post(s, "/v1/fleets", alice, "application/yaml", evil, null);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
            assertThat(refused.body()).contains("mcp (starts programs on the node)");
            var files = post(s, "/v1/fleets", alice, "application/yaml", SAFE.replace("tasks: [\"one\"]", "tasks: /etc/passwd"),
                    null);
            assertThat(files.statusCode()).isEqualTo(403);
            assertThat(files.body()).contains("tasks as a file path").doesNotContain("root:");
            Thread.sleep(300);
            assertThat(marker).as("nothing ran").doesNotExist();

            var plain = post(s, "/v1/fleets", alice, "text/plain", SAFE, null);
            assertThat(plain.statusCode()).isEqualTo(415);
            assertThat(code(plain)).isEqualTo("unsupported_media_type");
            var foreign = post(s, "/v1/fleets", alice, "application/yaml", SAFE, "http://evil.example");
            assertThat(foreign.statusCode()).isEqualTo(403);
            assertThat(code(foreign)).isEqualTo("cross_origin");
            var kill = post(s, "/v1/kill", alice, "text/plain", "{\"fleet\": \"ok\", \"tenant\": \"acme\"}", null);
            assertThat(kill.statusCode()).as("a JSON body posted as text").isEqualTo(415);

            var ok = post(s, "/v1/fleets", alice, "application/yaml", SAFE, "http://127.0.0.1:" + s.port());
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
            var byAdmin = post(s, "/v1/fleets", adminKey, "application/yaml",
                    evil.replace("touch " + marker, "true").replace("fleet: evil", "fleet: tools"), null);
            assertThat(byAdmin.statusCode()).as("an administrator may: " + byAdmin.body()).isNotEqualTo(403);
        }
    }

    @Test
    void withoutKeysTheNodeAnswersOnlyRequestsMadeToALoopbackName() throws Exception {
        try (SqliteStore store = SqliteStore.open(dir.resolve("myriad.db"));
             Hosting hosting = new Hosting(dir.toAbsolutePath(), new PrintWriter(new StringWriter(), true));
             ApiServer s = start(store, hosting)) {
            for (String host : new String[] {"rebind.evil.example:" + s.port(), "evil.example"}) {
                try (Socket socket = new Socket("127.0.0.1", s.port())) {
                    socket.getOutputStream().write(("GET /v1/runs HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    assertThat(answer).startsWith("HTTP/1.1 403").contains("host_not_allowed");
                }
            }
            var local = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + s.port() + "/v1/runs")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(local.statusCode()).isEqualTo(200);
        }
        assertThat(Files.exists(dir.resolve("myriad.db"))).isTrue();
    }
}
