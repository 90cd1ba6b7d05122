package io.myriad.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.secret.SecretException;
import io.myriad.core.secret.Secrets;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code http_get} and {@code http_request}: HTTP calls to allowed hosts.
 *
 * <p>Every host is checked against the allow-list and then by the {@link AddressGuard} (its
 * resolved addresses must not be internal) before any connection, the first and each redirect
 * target alike; redirects are followed here, not by the client, so a redirect cannot lead
 * outside the list or inside the network. One deadline covers the whole call, redirects and
 * body included. Credentials headers are dropped when a redirect changes host.
 *
 * <p>One tool has one effect class: {@code http_get} only reads ({@link Effect#READ_ONLY});
 * {@code http_request} may POST, PUT, PATCH or DELETE, whose effect on a remote service cannot
 * be looked up or undone in general, so it is {@link Effect#IRREVERSIBLE}, and recovery never
 * repeats an in-doubt request blindly. A 303, or a 301 or 302 answering a POST, turns the
 * request into a GET without body, as browsers do; 307 and 308 repeat the method and body.
 *
 * <p>A header value may contain {@code {{secret:NAME}}}: the reference is replaced by the fleet
 * secret's value in {@link #send}, just before the request leaves, so the model, the journal and
 * the arguments only ever hold the reference.
 */
final class HttpGetTool implements Tool {
    static final String NAME = "http_get";
    static final String REQUEST_NAME = "http_request";
    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE",
            "HEAD");
    static final int MAX_REDIRECTS = 5;
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    private static final Set<String> CREDENTIAL_HEADERS =
            Set.of("authorization", "cookie", "proxy-authorization");

    private static final ToolDefinition DEFINITION = new ToolDefinition(NAME, """
            Fetch a URL with an HTTP GET request. Only http and https URLs on hosts the fleet \
            allows can be fetched; redirects are followed (at most 5) only to allowed hosts. \
            Returns "HTTP <status>", the content type, a blank line and the body as text; long \
            bodies are cut with a notice. A 4xx or 5xx status is returned, not raised. A header \
            value may contain {{secret:NAME}} to send a secret of the fleet (e.g. \
            "Authorization": "Bearer {{secret:API_TOKEN}}"); you never see the value.""",
            Json.parse("""
            {
              "type": "object",
              "properties": {
                "url": {"type": "string", "minLength": 1, "maxLength": 8192,
                        "description": "The absolute http or https URL to fetch."},
                "headers": {"type": "object", "maxProperties": 50,
                            "additionalProperties": {"type": "string", "maxLength": 8192},
                            "description": "Extra request headers, e.g. {\\"Accept\\": \\"application/json\\"}."}
              },
              "required": ["url"],
              "additionalProperties": false
            }"""));

    private static final ToolDefinition REQUEST_DEFINITION = new ToolDefinition(REQUEST_NAME, """
            Make an HTTP request (GET, POST, PUT, PATCH, DELETE or HEAD) with optional headers \
            and a text body. Only http and https URLs on hosts the fleet allows can be reached; \
            redirects are followed (at most 5) only to allowed hosts. Returns "HTTP <status>", \
            the content type, a blank line and the response body as text; long bodies are cut \
            with a notice. A 4xx or 5xx status is returned, not raised. Requests that change \
            things are never repeated automatically; use http_get to only read. A header value \
            may contain {{secret:NAME}} to send a secret of the fleet (e.g. "Authorization": \
            "Bearer {{secret:API_TOKEN}}"); you never see the value.""",
            Json.parse("""
            {
              "type": "object",
              "properties": {
                "method": {"type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"],
                           "description": "The HTTP method, in capitals."},
                "url": {"type": "string", "minLength": 1, "maxLength": 8192,
                        "description": "The absolute http or https URL."},
                "headers": {"type": "object", "maxProperties": 50,
                            "additionalProperties": {"type": "string", "maxLength": 8192},
                            "description": "Request headers, e.g. {\\"Content-Type\\": \\"application/json\\"}."},
                "body": {"type": "string", "maxLength": 1048576,
                         "description": "The request body as text (UTF-8); not allowed with GET or HEAD."}
              },
              "required": ["method", "url"],
              "additionalProperties": false
            }"""));

    private final boolean anyMethod;
    private final HostAllowList allowList;
    private final AddressGuard guard;
    private final Duration timeout;
    private final int maxBytes;
    private final Secrets secrets;
    private volatile HttpClient client; // created on first use; guarded by this for creation

    private HttpGetTool(boolean anyMethod, HostAllowList allowList, AddressGuard guard,
            Duration timeout, int maxBytes, Secrets secrets) {
        this.anyMethod = anyMethod;
        this.secrets = Objects.requireNonNull(secrets, "secrets");
        this.allowList = Objects.requireNonNull(allowList, "allowList");
        this.guard = Objects.requireNonNull(guard, "guard");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.maxBytes = maxBytes;
    }

    /** {@code http_get}: read-only GET requests. */
    static HttpGetTool get(HostAllowList allowList, AddressGuard guard, Duration timeout,
            int maxBytes) {
        return get(allowList, guard, timeout, maxBytes, Secrets.none());
    }

    /** {@code http_get} whose headers may refer to {@code secrets}. */
    static HttpGetTool get(HostAllowList allowList, AddressGuard guard, Duration timeout,
            int maxBytes, Secrets secrets) {
        return new HttpGetTool(false, allowList, guard, timeout, maxBytes, secrets);
    }

    /** {@code http_request}: any method, irreversible. */
    static HttpGetTool request(HostAllowList allowList, AddressGuard guard, Duration timeout,
            int maxBytes) {
        return request(allowList, guard, timeout, maxBytes, Secrets.none());
    }

    /** {@code http_request} whose headers may refer to {@code secrets}. */
    static HttpGetTool request(HostAllowList allowList, AddressGuard guard, Duration timeout,
            int maxBytes, Secrets secrets) {
        return new HttpGetTool(true, allowList, guard, timeout, maxBytes, secrets);
    }

    @Override
    public ToolDefinition definition() {
        return anyMethod ? REQUEST_DEFINITION : DEFINITION;
    }

    /** The fleet's HTTP timeout (redirects included), plus a margin for reading the capped body. */
    @Override
    public Duration timeout() {
        return timeout.plusSeconds(10);
    }

    /** {@code http_get} reads; it may run beside other parallel calls. */
    @Override
    public boolean parallel() {
        return !anyMethod;
    }

    @Override
    public Effect effect() {
        return anyMethod ? Effect.IRREVERSIBLE : Effect.READ_ONLY;
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(context, "context");
        String url = Args.requiredString(arguments, "url");
        Map<String, String> headers = Args.optionalStringMap(arguments, "headers");
        String method = anyMethod ? Args.requiredString(arguments, "method") : "GET";
        if (!METHODS.contains(method)) {
            throw new ToolException("method must be one of GET, POST, PUT, PATCH, DELETE or "
                    + "HEAD, in capitals; got '" + method + "'");
        }
        String body = anyMethod ? Args.optionalString(arguments, "body").orElse(null) : null;
        if (body != null && (method.equals("GET") || method.equals("HEAD"))) {
            throw new ToolException("a " + method + " request cannot have a body; use POST, "
                    + "PUT or PATCH to send one");
        }
        URI uri = parse(url);
        checkHost(uri, "");
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int redirects = 0; ; redirects++) {
            HttpResponse<CappedBody.Result> response = send(uri, method, body, headers, deadline);
            var location = response.headers().firstValue("location");
            if (!REDIRECTS.contains(response.statusCode()) || location.isEmpty()) {
                return ToolResult.ok(render(response));
            }
            if (redirects == MAX_REDIRECTS) {
                throw new ToolException("too many redirects (more than " + MAX_REDIRECTS
                        + ") starting from " + url);
            }
            URI next;
            try {
                next = uri.resolve(new URI(location.get()));
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw new ToolException("the server redirected to an invalid URL: "
                        + location.get());
            }
            checkScheme(next);
            checkHost(next, "redirect from " + uri + " to " + next + " refused: ");
            if (!HostAllowList.normalise(next.getHost())
                    .equals(HostAllowList.normalise(uri.getHost()))) {
                headers.keySet().removeIf(h -> CREDENTIAL_HEADERS.contains(
                        h.toLowerCase(Locale.ROOT)));
            }
            int status = response.statusCode();
            if (status == 303 && !method.equals("HEAD")
                    || (status == 301 || status == 302) && method.equals("POST")) {
                method = "GET";
                body = null;
            }
            uri = next;
        }
    }

    private static URI parse(String url) {
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new ToolException("'" + url + "' is not a valid URL: " + e.getReason());
        }
        checkScheme(uri);
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new ToolException("URL '" + url + "' has no host name");
        }
        if (uri.getRawUserInfo() != null) {
            throw new ToolException("URLs with a user name or password are not supported; "
                    + "send credentials in an Authorization header instead");
        }
        return uri;
    }

    private static void checkScheme(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new ToolException("only http and https URLs can be fetched, not '" + uri + "'");
        }
    }

    private void checkHost(URI uri, String prefix) {
        String host = uri.getHost() == null ? "" : HostAllowList.normalise(uri.getHost());
        if (allowList.allows(host)) {
            guard.check(host, prefix);
            return;
        }
        String why = allowList.isEmpty()
                ? "this fleet allows " + name() + " to reach no hosts"
                : "it is not in the fleet's allowed hosts (" + allowList + ")";
        throw new ToolException(prefix + "host '" + host + "' is not allowed: " + why
                + "; to allow it, add it under `http.allow_hosts` in the fleet file");
    }

    private HttpResponse<CappedBody.Result> send(URI uri, String method, String body,
            Map<String, String> headers, long deadline) {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            throw timedOut(uri);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .timeout(Duration.ofNanos(remaining))
                .version("http".equalsIgnoreCase(uri.getScheme())
                        ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2);
        boolean agentGiven = false;
        for (Map.Entry<String, String> header : headers.entrySet()) {
            try {
                request.header(header.getKey(), secrets.expand(header.getValue()));
            } catch (SecretException e) {
                throw new ToolException("header '" + header.getKey() + "': " + e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new ToolException("header '" + header.getKey() + "' cannot be set: "
                        + e.getMessage());
            }
            agentGiven |= header.getKey().equalsIgnoreCase("user-agent");
        }
        if (!agentGiven) {
            request.header("User-Agent", "Myriad-" + name());
        }
        CompletableFuture<HttpResponse<CappedBody.Result>> call = client().sendAsync(
                request.build(), info -> new CappedBody(
                        REDIRECTS.contains(info.statusCode()) ? 0 : maxBytes));
        try {
            return call.get(Math.max(1, remaining), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw timedOut(uri);
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            throw new ToolException("interrupted while fetching " + uri);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof java.net.http.HttpTimeoutException) {
                throw timedOut(uri);
            }
            String detail = cause.getMessage() == null ? cause.getClass().getSimpleName()
                    : cause.getMessage();
            throw new ToolException("could not fetch " + uri + ": " + detail, cause);
        }
    }

    private ToolException timedOut(URI uri) {
        return new ToolException("timed out after " + timeout.toMillis() + " ms fetching " + uri);
    }

    private String render(HttpResponse<CappedBody.Result> response) {
        String contentType = response.headers().firstValue("content-type").orElse("");
        CappedBody.Result body = response.body();
        StringBuilder out = new StringBuilder()
                .append("HTTP ").append(response.statusCode()).append('\n')
                .append(contentType).append("\n\n");
        byte[] bytes = body.bytes();
        for (byte b : bytes) {
            if (b == 0) {
                return out.append("[binary body not shown: ").append(bytes.length)
                        .append(body.truncated() ? "+" : "").append(" bytes]").toString();
            }
        }
        out.append(new String(bytes, charset(contentType)));
        if (body.truncated()) {
            long total = response.headers().firstValueAsLong("content-length").orElse(-1);
            out.append(out.charAt(out.length() - 1) == '\n' ? "" : "\n").append(total > bytes.length
                    ? "[truncated: " + (total - bytes.length) + " more bytes]"
                    : "[truncated: the body is longer than " + maxBytes + " bytes]");
        }
        return out.toString();
    }

    private static Charset charset(String contentType) {
        for (String param : contentType.split(";")) {
            String p = param.strip();
            if (p.regionMatches(true, 0, "charset=", 0, 8)) {
                try {
                    return Charset.forName(p.substring(8).replace("\"", "").strip());
                } catch (IllegalArgumentException e) {
                    return StandardCharsets.UTF_8;
                }
            }
        }
        return StandardCharsets.UTF_8;
    }

    private HttpClient client() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                c = client;
                if (c == null) {
                    c = HttpClient.newBuilder()
                            .followRedirects(HttpClient.Redirect.NEVER)
                            .connectTimeout(timeout)
                            .executor(Executors.newVirtualThreadPerTaskExecutor())
                            .build();
                    client = c;
                }
            }
        }
        return c;
    }
}
