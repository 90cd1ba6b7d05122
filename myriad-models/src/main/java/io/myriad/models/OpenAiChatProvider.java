package io.myriad.models;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A model behind any endpoint that speaks the OpenAI Chat Completions protocol: OpenAI itself,
 * vLLM, Ollama, llama.cpp server, LM Studio, or Myriad's own {@link SimServer}.
 *
 * <p>One call is one HTTP/1.1 exchange, bounded by the configured timeout from the first byte
 * sent to the last byte received. The provider never retries: every failure becomes a
 * {@link ModelException} whose {@link ModelException#kind() kind} lets the model gateway decide
 * whether to retry, back off (honouring {@link ModelException#retryAfterMillis()}) or give up.
 * (A request is sent a second time only when the kept-alive connection it went out on turns out
 * to have been closed by the server before a byte of the answer came.)
 *
 * <p>Instances are thread-safe and meant to be shared by all runs that use the same endpoint;
 * callers block their (virtual) thread for the duration of a call. Plain {@code http://}
 * endpoints (a local server, a simulator) are reached through a lean HTTP/1.1 client with a pool
 * of keep-alive connections, {@code https://} ones through the JDK's client.
 */
public final class OpenAiChatProvider implements ModelProvider {
    /** The {@code owned_by} value by which {@link SimServer} announces itself in {@code /models}. */
    static final String SIMULATED_OWNER = "myriad-simulated";
    private static final String[] NO_FIELDS = {};

    private final String baseUrl;
    private final URI endpoint;
    private final String model;
    private final String apiKey;
    private final Duration timeout;
    private final boolean simulated;
    private final Clock clock;
    private final String url;
    /** The lean client, for {@code http://} endpoints; null for {@code https://} ones. */
    private final LeanHttp leanClient;
    private final LeanHttp.Endpoint lean;
    /** The JDK's client, for {@code https://} endpoints, where TLS matters more than raw speed; null for {@code http://}. */
    private final HttpClient client;
    private final ChatCompletionsCodec codec = new ChatCompletionsCodec();

    private OpenAiChatProvider(Builder builder) {
        this.baseUrl = builder.baseUrl;
        this.endpoint = URI.create(baseUrl + "/chat/completions");
        this.url = endpoint.toString();
        this.model = builder.model;
        this.apiKey = builder.apiKey;
        this.timeout = builder.timeout;
        this.simulated = builder.simulated;
        this.clock = builder.clock;
        if ("http".equals(endpoint.getScheme())) {
            this.client = null;
            this.leanClient = LeanHttp.create(builder.connectTimeout);
            this.lean = apiKey.isEmpty()
                    ? leanClient.endpoint(endpoint, "Content-Type", "application/json", "Accept", "application/json")
                    : leanClient.endpoint(endpoint, "Content-Type", "application/json", "Accept", "application/json",
                            "Authorization", "Bearer " + apiKey);
        } else {
            this.leanClient = null;
            this.lean = null;
            this.client = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(builder.connectTimeout)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
        }
    }

    /** Starts the configuration of a provider; {@code baseUrl} and {@code model} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Asks the endpoint for the next message.
     *
     * <p>The model sent is the request's {@link ModelRequest#model()} when it is not empty, and the
     * configured model otherwise. When the request carries a run id, the headers
     * {@code X-Myriad-Run}, {@code X-Myriad-Step} and {@code X-Myriad-Attempt} say which run, step
     * and attempt the call belongs to; a retry without a run id carries {@code X-Myriad-Attempt}.
     *
     * <p>Tool names travel as wire-safe names ({@code fs.read} as {@code fs_read}, see
     * {@link ToolNames}); the calls in the response are named by the offered tools' Myriad names
     * again, and a call to a tool that was not offered keeps the name the model gave it.
     *
     * <p>The rate-limit headers of the answer ({@code x-ratelimit-*}, {@code anthropic-ratelimit-*},
     * Retry-After) are reported in {@link ModelResponse#rateLimits()}, or in
     * {@link ModelException#rateLimits()} when the call failed with an HTTP status.
     *
     * @throws ModelException when no usable response was obtained
     */
    @Override
    public ModelResponse complete(ModelRequest request) {
        Objects.requireNonNull(request, "request");
        ToolNames names = ToolNames.of(request.tools());
        byte[] body = codec.encodeRequestBytes(request, model, names);
        String[] tracing = tracing(request);
        HttpReply reply = lean != null ? leanExchange(body, tracing) : jdkExchange(body, tracing);
        int status = reply.status();
        if (status >= 200 && status < 300) {
            return codec.decodeResponse(reply.body(), url, names, HttpFailures.rateLimits(reply.headers(), clock));
        }
        throw HttpFailures.forStatus(status, reply.text(), reply.headers(), url, clock, codec);
    }

    /**
     * The tracing header fields: run, step and attempt when the request belongs to a run, the
     * attempt alone for a retry outside any run, none otherwise.
     */
    private static String[] tracing(ModelRequest request) {
        if (!request.runId().isEmpty()) {
            return new String[] {"X-Myriad-Run", request.runId(), "X-Myriad-Step", Integer.toString(request.step()),
                    "X-Myriad-Attempt", Integer.toString(request.attempt())};
        }
        return request.isRetry() ? new String[] {"X-Myriad-Attempt", Integer.toString(request.attempt())} : NO_FIELDS;
    }

    /** Sends one request over the lean client; the whole exchange, body included, must end within the timeout. */
    private HttpReply leanExchange(byte[] body, String[] tracing) {
        if (Thread.currentThread().isInterrupted()) {
            throw HttpFailures.interrupted(url, new InterruptedException());
        }
        try {
            return lean.send("POST", tracing, body, System.nanoTime() + timeout.toNanos());
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                InterruptedException interrupted = new InterruptedException();
                interrupted.initCause(e);
                throw HttpFailures.interrupted(url, interrupted);
            }
            throw HttpFailures.forIo(e, url, timeout);
        }
    }

    /** Sends one request over the JDK's client; the whole exchange, body included, must end within the timeout. */
    private HttpReply jdkExchange(byte[] body, String[] tracing) {
        HttpRequest.Builder http = HttpRequest.newBuilder(endpoint)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (!apiKey.isEmpty()) {
            http.header("Authorization", "Bearer " + apiKey);
        }
        for (int i = 0; i < tracing.length; i += 2) {
            http.header(tracing[i], tracing[i + 1]);
        }
        CompletableFuture<HttpResponse<byte[]>> future =
                client.sendAsync(http.build(), HttpResponse.BodyHandlers.ofByteArray());
        try {
            HttpResponse<byte[]> response = future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return HttpReply.of(response.statusCode(), response.headers(), response.body());
        } catch (TimeoutException e) {
            future.cancel(true);
            throw HttpFailures.timeout(url, timeout, e);
        } catch (InterruptedException e) {
            future.cancel(true);
            throw HttpFailures.interrupted(url, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw HttpFailures.forIo(io, url, timeout);
            }
            throw new ModelException(ModelException.Kind.UNREACHABLE,
                    "The call to the model server at " + endpoint + " failed: " + e.getCause()
                            + ". Check that the server is running and that the base URL is right.",
                    -1, e.getCause());
        }
    }

    /** The model name and base URL, marked when the endpoint is a simulator. */
    @Override
    public String describe() {
        return model + " @ " + baseUrl + (simulated ? " (simulated model)" : "");
    }

    @Override
    public boolean simulated() {
        return simulated;
    }

    /** Abandons calls in flight and releases the connection pool. */
    @Override
    public void close() {
        if (leanClient != null) {
            leanClient.close();
        } else {
            client.shutdownNow();
        }
    }

    /**
     * Tells whether the endpoint is Myriad's simulated model server: true when {@code GET
     * {baseUrl}/models} lists a model owned by {@code myriad-simulated}, false when it does not or
     * when the endpoint cannot be asked (any error, including a timeout).
     */
    public static boolean detectSimulated(String baseUrl, Duration timeout) {
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(timeout, "timeout");
        ChatCompletionsCodec codec = new ChatCompletionsCodec();
        try {
            URI models = URI.create(Builder.normalise(baseUrl) + "/models");
            byte[] body = "http".equals(models.getScheme()) ? leanGet(models, timeout) : jdkGet(models, timeout);
            if (body == null) {
                return false;
            }
            for (JsonNode entry : codec.json().readTree(body).path("data")) {
                if (SIMULATED_OWNER.equals(entry.path("owned_by").asText())) {
                    return true;
                }
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The body of a 200 answer to a GET, or null for any other status. */
    private static byte[] leanGet(URI uri, Duration timeout) throws IOException {
        try (LeanHttp http = LeanHttp.create(timeout, Duration.ZERO, 0)) {
            HttpReply reply = http.endpoint(uri, "Accept", "application/json")
                    .send("GET", NO_FIELDS, null, System.nanoTime() + timeout.toNanos());
            return reply.status() == 200 ? reply.body() : null;
        }
    }

    private static byte[] jdkGet(URI uri, Duration timeout) throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .build()) {
            HttpRequest request = HttpRequest.newBuilder(uri)
                    .timeout(timeout)
                    .header("Accept", "application/json")
                    .GET()
                    .build();
            HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return response.statusCode() == 200 ? response.body() : null;
        }
    }

    /** Configuration of an {@link OpenAiChatProvider}; not thread-safe. */
    public static final class Builder {
        private String baseUrl;
        private String model;
        private String apiKey = "";
        private Duration timeout = Duration.ofSeconds(120);
        private Duration connectTimeout;
        private boolean simulated;
        private Clock clock = Clock.systemUTC();

        private Builder() {}

        /** The endpoint up to and including {@code /v1}; a trailing slash is tolerated. */
        public Builder baseUrl(String baseUrl) {
            this.baseUrl = normalise(Objects.requireNonNull(baseUrl, "baseUrl"));
            return this;
        }

        /** The model name sent when a request names none. */
        public Builder model(String model) {
            this.model = Objects.requireNonNull(model, "model");
            return this;
        }

        /** The API key; empty (the default) sends no {@code Authorization} header. */
        public Builder apiKey(String apiKey) {
            this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
            return this;
        }

        /** The longest one call may take, from the first byte sent to the last received; 120 s by default. */
        public Builder timeout(Duration timeout) {
            this.timeout = positive(timeout, "timeout");
            return this;
        }

        /** The longest establishing a connection may take; the lesser of 10 s and the timeout by default. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = positive(connectTimeout, "connectTimeout");
            return this;
        }

        /** Marks the endpoint as a simulator, for {@link #describe()} and {@link #simulated()}. */
        public Builder simulated(boolean simulated) {
            this.simulated = simulated;
            return this;
        }

        /** The clock against which {@code Retry-After} dates and rate-limit reset timestamps become delays; tests only. */
        Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Builds the provider.
         *
         * @throws IllegalStateException when the base URL or the model is missing
         */
        public OpenAiChatProvider build() {
            if (baseUrl == null) {
                throw new IllegalStateException("A base URL is required, such as http://localhost:8000/v1.");
            }
            if (model == null || model.isBlank()) {
                throw new IllegalStateException("A model name is required.");
            }
            if (apiKey.chars().anyMatch(c -> (c < ' ' && c != '\t') || c == 0x7f || c > 0xff)) {
                throw new IllegalStateException("The API key contains a line break or another character that cannot"
                        + " travel in an HTTP header; check the environment variable that holds it.");
            }
            if (connectTimeout == null) {
                connectTimeout = timeout.compareTo(Duration.ofSeconds(10)) < 0 ? timeout : Duration.ofSeconds(10);
            }
            return new OpenAiChatProvider(this);
        }

        static String normalise(String baseUrl) {
            String url = baseUrl.strip();
            while (url.endsWith("/")) {
                url = url.substring(0, url.length() - 1);
            }
            URI uri;
            try {
                uri = URI.create(url);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("The base URL '" + baseUrl + "' is not a valid URL.", e);
            }
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException(
                        "The base URL '" + baseUrl + "' must be an http or https URL such as http://localhost:8000/v1.");
            }
            return url;
        }

        private static Duration positive(Duration duration, String name) {
            Objects.requireNonNull(duration, name);
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, not " + duration + ".");
            }
            return duration;
        }
    }
}
