package io.myriad.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelException.Kind;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelRequest.ToolChoice;
import io.myriad.core.model.ModelResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The lean HTTP/1.1 client, alone and under the provider, against servers that control every byte. */
class LeanHttpIT {
    private static final ModelRequest REQUEST = new ModelRequest(
            "", List.of(new Message.User("Hello!")), List.of(), ToolChoice.AUTO, null, 0, null, "run-1", 5);
    private static final String OK = Wire.text("chat-response-plain.json");
    private static final String OK_CONTENT = "\n\nHello there, how may I assist you today?";
    private static final String[] NONE = {};

    @Test
    void sendsTheRequestLineAndEveryHeaderTheProviderSends() throws Exception {
        try (RawServer server = new RawServer(keepAnswering(OK));
                OpenAiChatProvider provider = provider(server, "sk-test", Duration.ofSeconds(5))) {
            provider.complete(REQUEST);

            RawServer.Request seen = server.last();
            assertThat(seen.line()).isEqualTo("POST /v1/chat/completions HTTP/1.1");
            assertThat(seen.headers())
                    .containsEntry("host", URI.create(server.baseUrl()).getAuthority())
                    .containsEntry("content-type", "application/json")
                    .containsEntry("accept", "application/json")
                    .containsEntry("authorization", "Bearer sk-test")
                    .containsEntry("x-myriad-run", "run-1")
                    .containsEntry("x-myriad-step", "5")
                    .containsEntry("content-length",
                            Integer.toString(seen.body().getBytes(StandardCharsets.UTF_8).length));
            assertThat(Wire.parse(seen.body()).get("messages").get(0).get("content").asText()).isEqualTo("Hello!");
        }
    }

    @Test
    void reusesKeepAliveConnections() throws Exception {
        try (RawServer server = new RawServer(keepAnswering(OK));
                OpenAiChatProvider provider = provider(server, "", Duration.ofSeconds(5))) {
            for (int i = 0; i < 20; i++) {
                assertThat(provider.complete(REQUEST).message().content()).isEqualTo(OK_CONTENT);
            }
            assertThat(server.connections()).as("one caller at a time needs one connection").isEqualTo(1);

            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> calls = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    calls.add(callers.submit(() -> {
                        for (int i = 0; i < 25; i++) {
                            provider.complete(REQUEST);
                        }
                        return null;
                    }));
                }
                for (Future<?> call : calls) {
                    call.get(30, TimeUnit.SECONDS);
                }
            }
            assertThat(server.requests()).isEqualTo(220);
            assertThat(server.connections()).as("at most one connection per concurrent caller").isLessThanOrEqualTo(9);
        }
    }

    @Test
    void readsChunkedResponsesAndKeepsTheConnection() throws Exception {
        RawServer.Script chunked = connection -> {
            while (connection.read() != null) {
                connection.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
                byte[] body = OK.getBytes(StandardCharsets.UTF_8);
                for (int i = 0; i < body.length; i += 7) {
                    int n = Math.min(7, body.length - i);
                    connection.write(Integer.toHexString(n) + (i == 0 ? ";name=value" : "") + "\r\n");
                    connection.write(new String(body, i, n, StandardCharsets.ISO_8859_1) + "\r\n");
                }
                connection.write("0\r\nX-Trailer: ignored\r\n\r\n");
            }
        };
        try (RawServer server = new RawServer(chunked);
                OpenAiChatProvider provider = provider(server, "", Duration.ofSeconds(5))) {
            assertThat(provider.complete(REQUEST).message().content()).isEqualTo(OK_CONTENT);
            assertThat(provider.complete(REQUEST).message().content()).isEqualTo(OK_CONTENT);
            assertThat(server.connections()).isEqualTo(1);
        }
    }

    @Test
    void honoursConnectionClose() throws Exception {
        // The server would go on reading, so only the client's honouring the header makes new connections.
        try (RawServer server = new RawServer(keepAnswering(OK, "Connection: close"));
                OpenAiChatProvider provider = provider(server, "", Duration.ofSeconds(5))) {
            for (int i = 0; i < 3; i++) {
                assertThat(provider.complete(REQUEST).message().content()).isEqualTo(OK_CONTENT);
            }
            assertThat(server.connections()).isEqualTo(3);
        }
    }

    @Test
    void sendsTheRequestAgainWhenTheServerHadClosedTheIdleConnection() throws Exception {
        RawServer.Script oneAndDone = connection -> {
            if (connection.read() != null) {
                connection.respond(200, OK);
            }
            connection.close(); // as a server whose keep-alive timeout is shorter than the client's
        };
        try (RawServer server = new RawServer(oneAndDone);
                OpenAiChatProvider provider = provider(server, "", Duration.ofSeconds(5))) {
            for (int i = 0; i < 3; i++) {
                assertThat(provider.complete(REQUEST).message().content()).isEqualTo(OK_CONTENT);
                Thread.sleep(100);
            }
            assertThat(server.connections()).isEqualTo(3);
            assertThat(server.requests()).isEqualTo(3);
        }
    }

    @Test
    void doesNotSendTheRequestAgainOnceTheAnswerHasBegun() throws Exception {
        RawServer.Script breaksOnSecond = connection -> {
            if (connection.read() == null) {
                return;
            }
            connection.respond(200, OK);
            if (connection.read() != null) {
                connection.write("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"cho");
                connection.close();
            }
        };
        try (RawServer server = new RawServer(breaksOnSecond);
                OpenAiChatProvider provider = provider(server, "", Duration.ofSeconds(5))) {
            provider.complete(REQUEST);
            ModelException cut = failure(provider);

            assertThat(cut.kind()).isEqualTo(Kind.UNREACHABLE);
            assertThat(cut.getMessage()).contains("5 of the 500 bytes");
            assertThat(server.requests()).as("the request was not sent again").isEqualTo(2);
            assertThat(server.connections()).isEqualTo(1);
        }
    }

    @Test
    void readsResponsesLargerThanTheBuffer() throws Exception {
        String content = "x".repeat(300_000);
        String big = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"" + content
                + "\"},\"finish_reason\":\"stop\"}]}";
        String hugeHeader = "X-Padding: " + "p".repeat(40_000);
        try (RawServer server = new RawServer(keepAnswering(big, hugeHeader));
                OpenAiChatProvider provider = provider(server, "", Duration.ofSeconds(5))) {
            assertThat(provider.complete(REQUEST).message().content()).isEqualTo(content);
            assertThat(provider.complete(REQUEST).message().content()).isEqualTo(content);
            assertThat(server.connections()).isEqualTo(1);
        }

        byte[] random = new byte[1_000_000];
        new Random(7).nextBytes(random);
        RawServer.Script chunks = connection -> {
            while (connection.read() != null) {
                connection.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                for (int i = 0; i < random.length; i += 100_000) {
                    connection.write(Integer.toHexString(100_000) + "\r\n");
                    connection.write(Arrays.copyOfRange(random, i, i + 100_000));
                    connection.write("\r\n");
                }
                connection.write("0\r\n\r\n");
            }
        };
        try (RawServer server = new RawServer(chunks); LeanHttp http = LeanHttp.create(Duration.ofSeconds(2))) {
            HttpReply reply = http.endpoint(URI.create(server.baseUrl() + "/blob")).send("GET", NONE, null, deadline());
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.body()).isEqualTo(random);
        }
    }

    @Test
    void aBodyCutShortIsUnreachable() throws Exception {
        RawServer.Script fixedCut = connection -> {
            if (connection.read() != null) {
                connection.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"choices\":");
            }
        };
        RawServer.Script chunkCut = connection -> {
            if (connection.read() != null) {
                connection.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n{\"choices\":");
            }
        };
        RawServer.Script headCut = connection -> {
            if (connection.read() != null) {
                connection.write("HTTP/1.1 200 OK\r\nContent-Ty");
            }
        };
        RawServer.Script silentClose = connection -> connection.read();
        for (RawServer.Script script : List.of(fixedCut, chunkCut, headCut, silentClose)) {
            try (RawServer server = new RawServer(script);
                    OpenAiChatProvider provider = provider(server, "", Duration.ofSeconds(5))) {
                ModelException cut = failure(provider);

                assertThat(cut.kind()).isEqualTo(Kind.UNREACHABLE);
                assertThat(cut.retriable()).isTrue();
                assertThat(server.requests()).as("a fresh connection is never tried twice").isEqualTo(1);
            }
        }
    }

    @Test
    void readsABodyThatEndsWithTheConnection() throws Exception {
        RawServer.Script untilClose = connection -> {
            if (connection.read() != null) {
                connection.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + OK);
            }
        };
        try (RawServer server = new RawServer(untilClose);
                OpenAiChatProvider provider = provider(server, "", Duration.ofSeconds(5))) {
            assertThat(provider.complete(REQUEST).message().content()).isEqualTo(OK_CONTENT);
            assertThat(provider.complete(REQUEST).message().content()).isEqualTo(OK_CONTENT);
            assertThat(server.connections()).isEqualTo(2);
        }
    }

    @Test
    void skipsInterimResponsesAndReadsHeadersWhateverTheirCase() throws Exception {
        RawServer.Script limited = connection -> {
            while (connection.read() != null) {
                connection.write("HTTP/1.1 100 Continue\r\n\r\n");
                connection.respond(429, "{\"error\":{\"message\":\"Slow down\"}}",
                        "RETRY-AFTER: 3", "X-RateLimit-Remaining-Requests:7", "x-ratelimit-limit-requests:   60  ");
            }
        };
        try (RawServer server = new RawServer(limited);
                OpenAiChatProvider provider = provider(server, "", Duration.ofSeconds(5))) {
            ModelException limit = failure(provider);

            assertThat(limit.kind()).isEqualTo(Kind.RATE_LIMITED);
            assertThat(limit.retryAfterMillis()).isEqualTo(3000);
            assertThat(limit.rateLimits().remainingRequests()).isEqualTo(7);
            assertThat(limit.rateLimits().limitRequests()).isEqualTo(60);
            assertThat(limit.getMessage()).contains("Slow down");
        }
    }

    @Test
    void closesConnectionsIdleLongerThanTheIdleTimeout() throws Exception {
        CountDownLatch clientClosed = new CountDownLatch(1);
        RawServer.Script answerThenNotice = connection -> {
            while (connection.read() != null) {
                connection.respond(200, "{}");
            }
            clientClosed.countDown();
        };
        try (RawServer server = new RawServer(answerThenNotice);
                LeanHttp http = LeanHttp.create(Duration.ofSeconds(2), Duration.ofMillis(100), 16)) {
            LeanHttp.Endpoint endpoint = http.endpoint(URI.create(server.baseUrl() + "/ping"));
            assertThat(endpoint.send("GET", NONE, null, deadline()).status()).isEqualTo(200);

            assertThat(clientClosed.await(5, TimeUnit.SECONDS)).as("the idle connection was closed").isTrue();
            assertThat(endpoint.send("GET", NONE, null, deadline()).status()).isEqualTo(200);
            assertThat(server.connections()).isEqualTo(2);
        }
    }

    @Test
    void keepsNoMoreIdleConnectionsThanItsBound() throws Exception {
        try (RawServer server = new RawServer(keepAnswering("{}"));
                LeanHttp http = LeanHttp.create(Duration.ofSeconds(2), Duration.ofSeconds(30), 0)) {
            LeanHttp.Endpoint endpoint = http.endpoint(URI.create(server.baseUrl() + "/ping"));
            for (int i = 0; i < 3; i++) {
                assertThat(endpoint.send("GET", NONE, null, deadline()).status()).isEqualTo(200);
            }
            assertThat(server.connections()).isEqualTo(3);
        }
    }

    @Test
    void closingTheProviderAbandonsCallsInFlight() throws Exception {
        RawServer.Script stall = connection -> {
            connection.read();
            Thread.sleep(30_000);
        };
        try (RawServer server = new RawServer(stall)) {
            OpenAiChatProvider provider = provider(server, "", Duration.ofSeconds(60));
            CompletableFuture<ModelResponse> call = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    call.complete(provider.complete(REQUEST));
                } catch (RuntimeException e) {
                    call.completeExceptionally(e);
                }
            });
            while (server.requests() == 0) {
                Thread.sleep(10);
            }
            provider.close();

            Throwable thrown = catchThrowable(() -> call.get(5, TimeUnit.SECONDS));
            assertThat(thrown).hasCauseInstanceOf(ModelException.class);
            assertThat(((ModelException) thrown.getCause()).kind()).isEqualTo(Kind.UNREACHABLE);
        }
    }

    @Test
    void anUnknownHostIsUnreachable() {
        try (OpenAiChatProvider provider = OpenAiChatProvider.builder().baseUrl("http://no-such-host.invalid/v1")
                .model("m").timeout(Duration.ofSeconds(5)).build()) {
            ModelException unknown = failure(provider);

            assertThat(unknown.kind()).isEqualTo(Kind.UNREACHABLE);
            assertThat(unknown.getMessage()).contains("unknown host");
        }
    }

    @Test
    void aConnectionThatIsNotAcceptedInTimeTimesOut() throws Exception {
        // A listener whose accept queue is full drops further connection attempts unanswered.
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> queued = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    Socket socket = new Socket();
                    queued.add(socket);
                    try {
                        socket.connect(full.getLocalSocketAddress(), 200);
                    } catch (IOException expected) {
                        break; // the queue is full
                    }
                }
                try (OpenAiChatProvider provider = OpenAiChatProvider.builder()
                        .baseUrl("http://127.0.0.1:" + full.getLocalPort() + "/v1").model("m")
                        .timeout(Duration.ofSeconds(5)).connectTimeout(Duration.ofMillis(300)).build()) {
                    long start = System.nanoTime();
                    ModelException timeout = failure(provider);

                    assertThat(timeout.kind()).isEqualTo(Kind.TIMEOUT);
                    assertThat(timeout.getMessage()).contains("No connection");
                    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
                }
            } finally {
                for (Socket socket : queued) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void anInterruptedCallIsAbandoned() throws Exception {
        RawServer.Script stall = connection -> {
            connection.read();
            Thread.sleep(30_000);
        };
        try (RawServer server = new RawServer(stall);
                OpenAiChatProvider provider = provider(server, "", Duration.ofSeconds(60))) {
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread caller = Thread.ofVirtual().start(() -> outcome.complete(catchThrowable(() -> provider.complete(REQUEST))));
            while (server.requests() == 0) {
                Thread.sleep(10);
            }
            caller.interrupt();

            Throwable thrown = outcome.get(5, TimeUnit.SECONDS);
            assertThat(thrown).isInstanceOf(ModelException.class);
            assertThat(((ModelException) thrown).kind()).isEqualTo(Kind.TIMEOUT);
            assertThat(thrown.getMessage()).contains("interrupted");
        }
    }

    @Test
    void rejectsHeaderValuesThatWouldSplitTheRequest() throws Exception {
        try (RawServer server = new RawServer(keepAnswering(OK));
                OpenAiChatProvider provider = provider(server, "", Duration.ofSeconds(5))) {
            ModelRequest sneaky = new ModelRequest("", List.of(new Message.User("Hi")), List.of(), ToolChoice.AUTO,
                    null, 0, null, "run-1\r\nX-Evil: 1", 1);
            assertThatThrownBy(() -> provider.complete(sneaky)).isInstanceOf(IllegalArgumentException.class);
            assertThat(server.requests()).isZero();
        }
        assertThatThrownBy(() -> OpenAiChatProvider.builder().baseUrl("http://127.0.0.1:1/v1").model("m")
                .apiKey("sk-test\n").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("API key");
    }

    private static RawServer.Script keepAnswering(String body, String... headerLines) {
        return connection -> {
            while (connection.read() != null) {
                connection.respond(200, body, headerLines);
            }
        };
    }

    private static OpenAiChatProvider provider(RawServer server, String key, Duration timeout) {
        return OpenAiChatProvider.builder().baseUrl(server.baseUrl()).model("test-model").apiKey(key).timeout(timeout)
                .build();
    }

    private static ModelException failure(OpenAiChatProvider provider) {
        Throwable thrown = catchThrowable(() -> provider.complete(REQUEST));
        assertThat(thrown).isInstanceOf(ModelException.class);
        return (ModelException) thrown;
    }

    private static long deadline() {
        return System.nanoTime() + Duration.ofSeconds(5).toNanos();
    }
}
