package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Canary secrets, end to end through the CLI: the model writes only {@code {{secret:NAME}}}, the
 * HTTP tool sends the value, a local server echoes it back (raw and Base64), and afterwards the
 * value is nowhere in the journal's bytes, the CLI's output or any transcript, while the marker
 * {@code [secret:NAME]} is.
 */
class SecretsFleetIT {
    private static final String TOKEN = "canary-7Hq2-Zx91-token";
    private static final String TOKEN_B64 = Base64.getEncoder().encodeToString(TOKEN.getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path dir;

    private HttpServer server;
    private final List<String> received = new ArrayList<>();

    @BeforeEach
    void echoServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/echo", exchange -> {
            String auth = String.valueOf(exchange.getRequestHeaders().getFirst("Authorization"));
            synchronized (received) {
                received.add(auth);
            }
            String token = auth.startsWith("Bearer ") ? auth.substring(7) : auth;
            byte[] body = ("you sent: " + auth + "\nencoded: "
                    + Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8)) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private Path fleet(String secrets) throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, """
                fleet: canary
                model: sim:script
                tasks:
                  - id: echo
                    input:
                      script:
                        - {tool: http_request, args: {method: GET, url: "http://127.0.0.1:%d/echo", headers: {Authorization: "Bearer {{secret:CRM_TOKEN}}"}}}
                        - {answer: echoed}
                agents:
                  caller:
                    instructions: Call the echo service.
                    tools: [http_request]
                http:
                  allow_hosts: [127.0.0.1]
                  allow_private: true
                secrets:
                %s
                """.formatted(server.getAddress().getPort(), secrets));
        return file;
    }

    private void secretsFile(String content) throws IOException {
        Path file = dir.resolve("secrets");
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void a_secret_echoed_back_by_a_tool_never_reaches_the_journal_the_output_or_the_transcripts() throws IOException {
        secretsFile("CRM_TOKEN=" + TOKEN + "\nPIN=1234\n");
        Path file = fleet("  CRM_TOKEN: file:secrets\n  PIN: file:secrets");
        String data = dir.resolve("data").toString();

        Cli.Result run = Cli.run("run", file.toString(), "--data", data, "--json");
        assertThat(run.exit()).as(run.err() + run.out()).isZero();
        // The value really left the process, at the tool's edge.
        assertThat(received).containsExactly("Bearer " + TOKEN);
        assertThat(run.err()).contains("warning: secret PIN is shorter than 6 characters").doesNotContain("1234");

        Cli.Result show = Cli.run("runs", "show", "canary-1:echo", "--data", data);
        Cli.Result json = Cli.run("runs", "show", "canary-1:echo", "--data", data, "--json");
        assertThat(show.exit()).isZero();
        assertThat(json.exit()).isZero();
        assertThat(show.out()).contains("you sent: Bearer [secret:CRM_TOKEN]").contains("encoded: [secret:CRM_TOKEN]")
                .contains("{{secret:CRM_TOKEN}}");
        assertThat(json.out()).contains("[secret:CRM_TOKEN]");
        for (Cli.Result r : List.of(run, show, json)) {
            assertThat(r.out() + r.err()).doesNotContain(TOKEN).doesNotContain(TOKEN_B64);
        }

        // Not in any byte the journal wrote (database, WAL), nor anywhere else under the data folder.
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir.resolve("data"))) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files).anySatisfy(f -> assertThat(f.getFileName().toString()).isEqualTo("myriad.db"));
        byte[] marker = "[secret:CRM_TOKEN]".getBytes(StandardCharsets.UTF_8);
        boolean markerFound = false;
        for (Path f : files) {
            String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
            assertThat(bytes).as(f.toString()).doesNotContain(TOKEN).doesNotContain(TOKEN_B64);
            markerFound |= bytes.contains(new String(marker, StandardCharsets.ISO_8859_1));
        }
        assertThat(markerFound).as("the marker is journaled in place of the value").isTrue();
    }

    @Test
    void a_missing_secret_stops_the_run_before_anything_runs() throws IOException {
        secretsFile("OTHER=something-long\n");
        Path file = fleet("  CRM_TOKEN: file:secrets");
        Cli.Result run = Cli.run("run", file.toString(), "--data", dir.resolve("data").toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("secret CRM_TOKEN was not found: looked for a line CRM_TOKEN=... in secrets file "
                + dir.resolve("secrets")).contains("nothing was run");
        assertThat(received).isEmpty();
        assertThat(dir.resolve("data/myriad.db")).doesNotExist();
    }

    @Test
    void a_secrets_file_others_can_read_is_refused() throws IOException {
        secretsFile("CRM_TOKEN=" + TOKEN + "\n");
        Files.setPosixFilePermissions(dir.resolve("secrets"), PosixFilePermissions.fromString("rw-r--r--"));
        Path file = fleet("  CRM_TOKEN: file:secrets");
        Cli.Result run = Cli.run("run", file.toString(), "--data", dir.resolve("data").toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("chmod 600 " + dir.resolve("secrets")).doesNotContain(TOKEN);
        assertThat(dir.resolve("data/myriad.db")).doesNotExist();
    }

    @Test
    void an_mcp_server_gets_the_value_in_its_environment_and_its_stderr_is_redacted() throws IOException {
        secretsFile("CRM_TOKEN=" + TOKEN + "\n");
        Path file = dir.resolve("mcp.yaml");
        // The server prints the variable it was given (raw and Base64) and exits: the start fails
        // with its last output in the message, which must show the marker, not the value.
        Files.writeString(file, """
                fleet: canary-mcp
                model: sim:answer
                tasks: [go]
                agents:
                  a: {instructions: hi, tools: [mcp.leaky.*]}
                secrets:
                  CRM_TOKEN: file:secrets
                mcp:
                  leaky:
                    command: [node, -e, "console.error('token ' + process.env.TOKEN + ' b64 ' + Buffer.from(process.env.TOKEN).toString('base64')); process.exit(1)"]
                    env: {TOKEN: "secret:CRM_TOKEN"}
                    timeout: 10s
                """);
        Cli.Result run = Cli.run("run", file.toString(), "--data", dir.resolve("data").toString());
        assertThat(run.exit()).as(run.err()).isEqualTo(3);
        assertThat(run.err()).contains("token [secret:CRM_TOKEN] b64 [secret:CRM_TOKEN]")
                .doesNotContain(TOKEN).doesNotContain(TOKEN_B64);
    }
}
