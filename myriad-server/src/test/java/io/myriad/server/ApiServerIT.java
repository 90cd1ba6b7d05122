package io.myriad.server;

import static io.myriad.server.ApiFixture.code;
import static io.myriad.server.ApiFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's edges: authentication, bad bodies, the body limit, the rate limit, a client leaving a stream. */
class ApiServerIT {
    @TempDir
    Path dir;

    @Test
    void withKeysARequestWithoutOneIsUnauthenticated() {
        try (ApiFixture f = new ApiFixture(dir)) {
            var r = f.get(null, "/v1/runs");
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(code(r)).isEqualTo("unauthenticated");
            assertThat(f.get("myr_not_a_key", "/v1/runs").statusCode()).isEqualTo(401);
            assertThat(f.get(null, "/health").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void badJsonAndUnknownFieldsAreRefused() {
        try (ApiFixture f = new ApiFixture(dir)) {
            var bad = f.post(f.admin, "/v1/tenants", "{\"name\": ");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(code(bad)).isEqualTo("bad_request");
            assertThat(code(f.post(f.admin, "/v1/tenants", "[1, 2]"))).isEqualTo("bad_request");
            var unknown = f.post(f.admin, "/v1/tenants", "{\"name\": \"gamma\", \"nmae\": \"x\"}");
            assertThat(unknown.statusCode()).isEqualTo(400);
            assertThat(code(unknown)).isEqualTo("unknown_field");
            assertThat(json(unknown).path("error").path("message").asText()).contains("nmae");
        }
    }

    @Test
    void anOversizedBodyIsRefused() {
        try (ApiFixture f = new ApiFixture(dir, b -> b.maxBodyBytes(1_000))) {
            var r = f.post(f.admin, "/v1/tenants", "{\"name\": \"" + "x".repeat(5_000) + "\"}");
            assertThat(r.statusCode()).isEqualTo(413);
            assertThat(code(r)).isEqualTo("payload_too_large");
            assertThat(f.get(f.admin, "/v1/tenants").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aCallerBeyondItsRateIsToldToRetryLater() {
        try (ApiFixture f = new ApiFixture(dir, b -> b.requestsPerSecond(3))) {
            List<HttpResponse<String>> answers = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                answers.add(f.get(f.alphaViewer, "/v1/runs"));
            }
            HttpResponse<String> limited = answers.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
            assertThat(code(limited)).isEqualTo("rate_limited");
            assertThat(limited.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(answers.getFirst().statusCode()).isEqualTo(200);
            // Another caller has its own bucket.
            assertThat(f.get(f.admin, "/v1/runs").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aClientLeavingAStreamEndsItsThreadAndTheServerGoesOn() throws Exception {
        try (ApiFixture f = new ApiFixture(dir)) {
            int before = RunsResource.OPEN_STREAMS.get();
            try (Socket s = new Socket("127.0.0.1", f.server.port())) {
                OutputStream out = s.getOutputStream();
                out.write(("GET /v1/runs/fa-1:t2/stream HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
                        + "Authorization: Bearer " + f.alphaViewer + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                assertThat(in.readLine()).contains("200");
                String line;
                boolean event = false;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("data:") && line.contains("run_started")) {
                        event = true;
                        break;
                    }
                }
                assertThat(event).isTrue();
                assertThat(RunsResource.OPEN_STREAMS.get()).isGreaterThan(before);
            }
            // The run awaits an approval: no new event would ever make the stream write again; the heartbeat does.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (RunsResource.OPEN_STREAMS.get() > before && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(RunsResource.OPEN_STREAMS.get()).isEqualTo(before);
            for (int i = 0; i < 20; i++) {
                assertThat(f.get(f.alphaViewer, "/v1/runs/fa-1:t2").statusCode()).isEqualTo(200);
            }
            // Asked without Accept: text/event-stream, a stream says so instead of an empty 200.
            var plain = f.get(f.alphaViewer, "/v1/runs/fa-1:t2/stream");
            assertThat(plain.statusCode()).isEqualTo(406);
            assertThat(plain.body()).contains("\"code\":\"not_acceptable\"");
            // Another tenant's run: not found, as for a run that does not exist.
            try (Socket s = new Socket("127.0.0.1", f.server.port())) {
                s.getOutputStream().write(("GET /v1/runs/fb-1:t1/stream HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
                        + "Authorization: Bearer " + f.alphaViewer + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                assertThat(status).contains("404");
            }
        }
    }
}
