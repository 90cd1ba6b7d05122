package io.myriad.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.myriad.core.auth.AccessDenied;
import io.myriad.core.auth.Authenticator;
import io.myriad.core.auth.Principal;
import io.myriad.store.Store;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code myriad serve}'s HTTP side: the API under {@code /v1}, its OpenAPI document at
 * {@code /openapi.json}, and whatever else the resources register (the dashboard, metrics).
 *
 * <p>Notes:
 * <ul>
 *   <li>Every {@code /v1} request is authenticated as in the CLI: an API key as
 *       {@code Authorization: Bearer KEY}, or the {@code myriad_key} cookie the dashboard's
 *       sign-in sets ({@code HttpOnly}, {@code SameSite=Strict}); an install without keys
 *       treats every caller as its owner, which is why the server refuses to listen beyond
 *       loopback until a key exists.
 *   <li>Errors have one JSON shape with a stable code ({@link ApiError}); bodies are limited to
 *       {@code maxBodyBytes}; each caller (key, or the local owner) has a token bucket of
 *       {@code requestsPerSecond}, a 429 with {@code Retry-After} beyond it.
 *   <li>JSON bodies refuse unknown fields: a typo is an error, not a silent default.
 * </ul>
 */
public final class ApiServer implements AutoCloseable {
    private static final String PRINCIPAL = "myriad.principal";
    static final String KEY_COOKIE = "myriad_key";

    private final Javalin app;
    private final ApiResource.Api api;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    private ApiServer(Builder b) {
        ObjectMapper mapper = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        Authenticator authenticator = new Authenticator(b.store);
        List<String> routes = Collections.synchronizedList(new ArrayList<>());
        List<ObjectNode> described = Collections.synchronizedList(new ArrayList<>());
        ApiResource.Api api = new ApiResource.Api() {
            @Override
            public Store store() {
                return b.store;
            }

            @Override
            public Principal principal(Context ctx) {
                Principal p = ctx.attribute(PRINCIPAL);
                if (p == null) {
                    throw new ApiError(401, "unauthenticated", "no caller on this request");
                }
                return p;
            }

            @Override
            public void json(Context ctx, Object body) {
                try {
                    ctx.contentType("application/json").result(mapper.writeValueAsString(body));
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException("cannot write JSON", e);
                }
            }

            @Override
            public ObjectNode body(Context ctx, Set<String> allowed) {
                JsonNode node;
                String type = String.valueOf(ctx.contentType()).toLowerCase(java.util.Locale.ROOT);
                if (!ctx.body().isBlank() && !type.startsWith("application/json")) {
                    // A form or text/plain body is what a foreign page can send without asking.
                    throw new ApiError(415, "unsupported_media_type", "send the body as Content-Type: application/json");
                }
                try {
                    String text = ctx.body();
                    node = text.isBlank() ? mapper.createObjectNode() : mapper.readTree(text);
                } catch (JsonProcessingException e) {
                    throw ApiError.badRequest("the body is not valid JSON: " + e.getOriginalMessage());
                }
                if (!(node instanceof ObjectNode o)) {
                    throw ApiError.badRequest("the body must be a JSON object");
                }
                for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                    String f = it.next();
                    if (!allowed.contains(f)) {
                        throw new ApiError(400, "unknown_field", "unknown field '" + f + "'; known fields: "
                                + allowed.stream().sorted().toList());
                    }
                }
                return o;
            }

            @Override
            public ObjectMapper mapper() {
                return mapper;
            }

            @Override
            public List<String> routes() {
                return List.copyOf(routes);
            }

            @Override
            public void describe(String method, String path, String summary) {
                routes.add(method + " " + path);
                described.add(mapper.createObjectNode().put("method", method).put("path", path).put("summary", summary));
            }
        };
        this.api = api;
        this.app = Javalin.create(config -> {
            config.jetty.host = b.host;
            config.jetty.port = b.port;
            config.http.maxRequestSize = b.maxBodyBytes;
            config.startup.showJavalinBanner = false;
            io.javalin.http.Handler guard = ctx -> {
                sameOrigin(ctx);
                if (!b.store.hasActiveKeys()) {
                    localHostOnly(ctx);
                }
                if (ctx.path().equals("/v1/session") && !ctx.method().name().equals("GET")) {
                    return; // signing in presents the key in the body; signing out needs none
                }
                Principal who = authenticate(authenticator, ctx, b.localUser);
                ctx.attribute(PRINCIPAL, who);
                if (!buckets.computeIfAbsent(who.id(), k -> new Bucket(b.requestsPerSecond)).take()) {
                    ctx.header("Retry-After", "1");
                    throw new ApiError(429, "rate_limited", "more than " + b.requestsPerSecond
                            + " requests per second from " + who.name() + "; slow down");
                }
                // An event stream answers only a client that asks for one; Javalin would otherwise
                // answer an empty 200, which looks like a stream that ended at once.
                if ((ctx.path().endsWith("/stream") || ctx.path().endsWith("/progress"))
                        && !String.valueOf(ctx.header("Accept")).contains("text/event-stream")) {
                    throw new ApiError(406, "not_acceptable", ctx.path() + " is a stream of server-sent events: send "
                            + "Accept: text/event-stream");
                }
                String length = ctx.header("Content-Length");
                if (length != null && parse(length) > b.maxBodyBytes) {
                    throw new ApiError(413, "payload_too_large", "the body is " + length + " bytes; the limit is "
                            + b.maxBodyBytes);
                }
            };
            config.routes.before("/v1/*", guard);
            // A2A endpoints are authenticated as the API is; only their agent cards are public.
            config.routes.before("/a2a/*", ctx -> {
                if (!ctx.path().endsWith(A2aResource.CARD_PATH)) {
                    guard.handle(ctx);
                }
            });
            config.routes.exception(ApiError.class, (e, ctx) -> error(ctx, mapper, e.status(), e.code(), e.getMessage()));
            config.routes.exception(AccessDenied.class, (e, ctx) -> error(ctx, mapper,
                    e.getMessage().contains("API key") ? 401 : 403,
                    e.getMessage().contains("API key") ? "unauthenticated" : "forbidden", e.getMessage()));
            config.routes.exception(IllegalArgumentException.class, (e, ctx) ->
                    error(ctx, mapper, 400, "bad_request", e.getMessage()));
            config.routes.exception(Exception.class, (e, ctx) -> error(ctx, mapper, 500, "internal",
                    "internal error: " + e.getClass().getSimpleName()));
            config.routes.error(404, ctx -> {
                String result = ctx.result();
                if (result == null || !result.startsWith("{")) {
                    error(ctx, mapper, 404, "not_found", "no route " + ctx.method() + " " + ctx.path());
                }
            });
            config.routes.error(405, ctx -> error(ctx, mapper, 405, "method_not_allowed",
                    ctx.method() + " is not allowed on " + ctx.path()));
            config.routes.error(413, ctx -> error(ctx, mapper, 413, "payload_too_large",
                    "the body is larger than the limit of " + b.maxBodyBytes + " bytes"));
            for (ApiResource r : b.resources) {
                r.register(config.routes, api);
            }
            api.describe("POST", "/v1/session", "Signs in with an API key ({key}): sets the HttpOnly cookie the dashboard uses");
            config.routes.post("/v1/session", ctx -> {
                String key = api.body(ctx, Set.of("key")).path("key").asText("");
                Principal who = authenticate(authenticator, key.isBlank() ? null : key, b.localUser);
                ctx.res().addHeader("Set-Cookie", KEY_COOKIE + "=" + (key.isBlank() ? "" : key)
                        + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200" + (loopback(b.host) ? "" : "; Secure"));
                api.json(ctx, mapper.createObjectNode().put("id", who.id()).put("name", who.name()));
            });
            api.describe("DELETE", "/v1/session", "Signs out: clears the cookie");
            config.routes.delete("/v1/session", ctx -> {
                ctx.res().addHeader("Set-Cookie", KEY_COOKIE + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
                api.json(ctx, mapper.createObjectNode().put("signed_out", true));
            });
            api.describe("GET", "/openapi.json", "This document: the OpenAPI 3.1 description of the API");
            api.describe("GET", "/health", "Liveness and the journal's health (no key needed)");
            config.routes.get("/openapi.json", ctx -> api.json(ctx, OpenApi.document(mapper, described)));
            config.routes.get("/health", ctx -> api.json(ctx, mapper.createObjectNode().put("status", "ok")
                    .put("journal", b.store.health().ok() ? "ok" : b.store.health().problem())));
        });
    }

    /**
     * A request that changes something and comes from a page of another origin is refused: a
     * browser sends the page's Origin, which must be this server's own (the Host it was asked as).
     */
    private static void sameOrigin(Context ctx) {
        String method = ctx.method().name();
        if (method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")) {
            return;
        }
        String origin = ctx.header("Origin");
        if (origin == null || origin.isBlank()) {
            return; // not a browser's cross-site request (curl, the CLI)
        }
        String host = String.valueOf(ctx.header("Host"));
        String originHost = origin.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "");
        if (!originHost.equalsIgnoreCase(host)) {
            throw new ApiError(403, "cross_origin", "a request from " + origin + " may not change anything here");
        }
    }

    /**
     * Without API keys every caller is the owner, so the server answers only when asked by a
     * loopback name: a page that rebinds its own domain to 127.0.0.1 (DNS rebinding) asks with its
     * domain in Host and is refused.
     */
    private static void localHostOnly(Context ctx) {
        String host = String.valueOf(ctx.header("Host")).toLowerCase(java.util.Locale.ROOT);
        String name = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1) : host.replaceFirst(":\\d+$", "");
        if (!(name.equals("localhost") || name.equals("127.0.0.1") || name.equals("[::1]"))) {
            throw new ApiError(403, "host_not_allowed", "this install has no API keys, so it answers only requests made to "
                    + "localhost, 127.0.0.1 or [::1], not to " + host);
        }
    }

    private static long parse(String number) {
        try {
            return Long.parseLong(number.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Principal authenticate(Authenticator authenticator, String key, String localUser) {
        try {
            return authenticator.authenticate(key, localUser);
        } catch (AccessDenied e) {
            throw new ApiError(401, "unauthenticated", e.getMessage().replace("pass --api-key KEY or set MYRIAD_API_KEY",
                    "send Authorization: Bearer <API key>"));
        }
    }

    private static Principal authenticate(Authenticator authenticator, Context ctx, String localUser) {
        String header = ctx.header("Authorization");
        String key = null;
        if (header != null && !header.isBlank()) {
            if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                throw new ApiError(401, "unauthenticated", "use Authorization: Bearer <API key>");
            }
            key = header.substring(7).strip();
        } else if (ctx.cookie(KEY_COOKIE) != null) {
            key = ctx.cookie(KEY_COOKIE);
            key = key == null || key.isBlank() ? null : key;
        }
        return authenticate(authenticator, key, localUser);
    }

    static void error(Context ctx, ObjectMapper mapper, int status, String code, String message) {
        ObjectNode body = mapper.createObjectNode();
        body.putObject("error").put("code", code).put("message", message).put("status", status);
        ctx.status(status).contentType("application/json").result(body.toString());
    }

    public static Builder builder(Store store) {
        return new Builder(store);
    }

    /** Starts listening; fails when the address is beyond loopback and the install has no API keys. */
    public ApiServer start() {
        app.start();
        return this;
    }

    public int port() {
        return app.port();
    }

    /** The routes the resources declared, "METHOD /path". */
    List<String> declaredRoutes() {
        return api.routes();
    }

    /** The routes the router really answers, "METHOD /path", from Javalin's own table. */
    List<String> answeredRoutes() {
        return app.unsafe.internalRouter.allHttpHandlers().stream().map(e -> e.endpoint)
                .filter(e -> e.method.isHttpMethod()).map(e -> e.method.name() + " " + e.path).toList();
    }

    @Override
    public void close() {
        app.stop();
    }

    /** A caller's requests per second, refilled continuously, bursting to one second's worth. */
    private static final class Bucket {
        private final double rate;
        private double tokens;
        private long last = System.nanoTime();

        Bucket(double rate) {
            this.rate = rate;
            this.tokens = rate;
        }

        synchronized boolean take() {
            long now = System.nanoTime();
            tokens = Math.min(rate, tokens + (now - last) / 1e9 * rate);
            last = now;
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }
    }

    /** Configures an {@link ApiServer}. */
    public static final class Builder {
        private final Store store;
        private String host = "127.0.0.1";
        private int port = 7070;
        private long maxBodyBytes = 1 << 20;
        private double requestsPerSecond = 200;
        private String localUser = "local";
        private final List<ApiResource> resources = new ArrayList<>();

        private Builder(Store store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /** The address to listen on; loopback unless set. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** The port; 0 for any free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder maxBodyBytes(long max) {
            this.maxBodyBytes = max;
            return this;
        }

        public Builder requestsPerSecond(double rate) {
            if (rate <= 0) {
                throw new IllegalArgumentException("requests per second must be positive, got " + rate);
            }
            this.requestsPerSecond = rate;
            return this;
        }

        /** The OS user named as the owner of an install without keys. */
        public Builder localUser(String user) {
            this.localUser = Objects.requireNonNull(user, "user");
            return this;
        }

        public Builder resource(ApiResource resource) {
            resources.add(Objects.requireNonNull(resource, "resource"));
            return this;
        }

        /**
         * @throws IllegalStateException when the address is beyond loopback and the install has no
         *                               API keys: everyone reaching it would be its owner
         */
        public ApiServer build() {
            if (!loopback(host) && !store.hasActiveKeys()) {
                throw new IllegalStateException("refusing to listen on " + host + " without API keys: anyone who "
                        + "reaches it would own every tenant. Create a key first (myriad keys create --role owner "
                        + "--tenant '*' NAME), or listen on 127.0.0.1");
            }
            return new ApiServer(this);
        }

        static boolean loopbackName(String host) {
            return loopback(host);
        }

        private static boolean loopback(String host) {
            try {
                return InetAddress.getByName(host).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
    }

    private static boolean loopback(String host) {
        return Builder.loopbackName(host);
    }

    static ArrayNode array(ObjectMapper mapper) {
        return mapper.createArrayNode();
    }
}
