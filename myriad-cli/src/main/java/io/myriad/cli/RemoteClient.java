package io.myriad.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.MyriadException;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.audit.AuditRecord;
import io.myriad.core.auth.AccessDenied;
import io.myriad.core.auth.AccessStore;
import io.myriad.core.auth.Principal;
import io.myriad.core.auth.Role;
import io.myriad.core.delivery.Delivery;
import io.myriad.core.journal.EventCodec;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.model.ToolCall;
import io.myriad.core.run.RunState;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The CLI's side of a {@code myriad serve} node's HTTP API: requests with the caller's key, the
 * API's errors turned into what the local command would have raised (so exit codes and messages
 * match), and the API's JSON decoded back into the domain values the local printers take.
 *
 * <p>Error mapping: 404 is the local command's not-found (its own message when it gives one),
 * 401 and 403 are {@link AccessDenied}, 400 and 409 are bad input, an unreachable node is a
 * platform failure.
 */
final class RemoteClient {
    /** Marks a command that runs against a server when one is configured; every other command refuses. */
    interface Supported {
        /**
         * The options given that the API does not offer (e.g. {@code --checkpoints}), if any: the
         * command then refuses as an unsupported one does.
         */
        default Optional<String> unsupportedRemotely() {
            return Optional.empty();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT = Duration.ofSeconds(10);

    private final URI base;
    private final String url;
    private final Optional<String> key;
    private final HttpClient http;

    private RemoteClient(String url, Optional<String> key) {
        String u = url.strip();
        if (!u.startsWith("http://") && !u.startsWith("https://")) {
            throw new IllegalArgumentException("--server: expected an http:// or https:// URL, got '" + url + "'");
        }
        this.url = u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
        this.base = URI.create(this.url + "/");
        this.key = key;
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT).build();
    }

    static RemoteClient create(String url, Optional<String> key) {
        return new RemoteClient(Objects.requireNonNull(url, "url"), Objects.requireNonNull(key, "key"));
    }

    String url() {
        return url;
    }

    /** A path segment, percent-encoded ({@code RUN#CALL} holds a '#'). */
    static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A query string of the present values. */
    static String query(Map<String, ?> params) {
        StringBuilder q = new StringBuilder();
        params.forEach((k, v) -> {
            if (v != null) {
                q.append(q.isEmpty() ? "?" : "&").append(k).append('=').append(seg(String.valueOf(v)));
            }
        });
        return q.toString();
    }

    /** The longest a plain request may take (not a stream): a hung node does not hang the command. */
    static final java.time.Duration REQUEST_TIMEOUT = java.time.Duration.ofMinutes(2);

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path.startsWith("/") ? path.substring(1) : path));
        key.ifPresent(k -> b.header("Authorization", "Bearer " + k));
        return b;
    }

    /**
     * GETs {@code path}.
     *
     * @param notFound the local command's message when the API answers 404; null: the API's own
     */
    JsonNode get(String path, String notFound) {
        return send(request(path).timeout(REQUEST_TIMEOUT).GET().build(), notFound);
    }

    /** POSTs a JSON body. */
    JsonNode post(String path, JsonNode body, String notFound) {
        return send(request(path).timeout(REQUEST_TIMEOUT).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), notFound);
    }

    /** POSTs a text body of {@code contentType}. */
    JsonNode post(String path, String contentType, String body) {
        return send(request(path).timeout(REQUEST_TIMEOUT).header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                null);
    }

    /** PUTs a JSON body. */
    JsonNode put(String path, JsonNode body, String notFound) {
        return send(request(path).timeout(REQUEST_TIMEOUT).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body.toString())).build(), notFound);
    }

    /** DELETEs {@code path}. */
    JsonNode delete(String path, String notFound) {
        return send(request(path).timeout(REQUEST_TIMEOUT).DELETE().build(), notFound);
    }

    /** GETs {@code path} as text (JSON lines, say). */
    String text(String path, String notFound) {
        return sendText(request(path).timeout(REQUEST_TIMEOUT).GET().build(), notFound);
    }

    private JsonNode send(HttpRequest req, String notFound) {
        String body = sendText(req, notFound);
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new MyriadException("the server at " + url + " answered something that is not JSON; is it a myriad node?",
                    false, e);
        }
    }

    private String sendText(HttpRequest req, String notFound) {
        HttpResponse<String> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MyriadException("interrupted while waiting for the server at " + url, false, e);
        }
        if (r.statusCode() >= 300) {
            throw failure(r.statusCode(), r.body(), notFound);
        }
        return r.body();
    }

    /**
     * Follows server-sent events at {@code path}, handing each (name, data) to {@code onEvent}
     * until the server ends the stream.
     */
    void events(String path, Consumer<Map.Entry<String, String>> onEvent) {
        HttpResponse<Stream<String>> r;
        try {
            r = http.send(request(path).header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MyriadException("interrupted while following the server at " + url, false, e);
        }
        try (Stream<String> lines = r.body()) {
            if (r.statusCode() >= 300) {
                throw failure(r.statusCode(), String.join("\n", lines.toList()), null);
            }
            String name = "message";
            StringBuilder data = new StringBuilder();
            for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
                String line = it.next();
                if (line.isEmpty()) {
                    if (!data.isEmpty()) {
                        onEvent.accept(Map.entry(name, data.toString()));
                    }
                    name = "message";
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    name = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    data.append(data.isEmpty() ? "" : "\n").append(line.substring(5).stripLeading());
                }
            }
        } catch (java.io.UncheckedIOException e) {
            throw unreachable(e.getCause());
        }
    }

    private MyriadException unreachable(IOException e) {
        String why = e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return new MyriadException("cannot reach the server at " + url + " (" + why + "); is `myriad serve` running there?",
                true, e);
    }

    private RuntimeException failure(int status, String body, String notFound) {
        String message = body;
        try {
            JsonNode error = JSON.readTree(body).path("error");
            if (error.hasNonNull("message")) {
                message = error.path("message").asText();
            }
        } catch (JsonProcessingException e) {
            // not the API's error shape: keep the body as the message
        }
        return switch (status) {
            case 404 -> new Access.NotFound(notFound != null ? notFound : message);
            case 401, 403 -> new AccessDenied(message.replace("send Authorization: Bearer <API key>",
                    "pass --api-key KEY, set MYRIAD_API_KEY or api_key= in your profile"));
            case 400, 409, 413 -> new IllegalArgumentException(message);
            default -> new MyriadException("the server at " + url + " answered " + status + ": " + message, status >= 500);
        };
    }

    // Decoding the API's JSON into the values the local commands print.

    static RunState state(String label) {
        for (RunState s : RunState.values()) {
            if (s.label().equals(label)) {
                return s;
            }
        }
        throw new MyriadException("the server named an unknown run state '" + label + "'; is it another version of Myriad?", false);
    }

    /** A run row of {@code GET /v1/runs}. */
    static RunRepository.RunRow row(JsonNode r) {
        return new RunRepository.RunRow(r.path("id").asText(), r.path("execution").asText(), r.path("fleet").asText(),
                r.path("task").asText(), r.path("agent").asText(), 0,
                new RunStatus(state(r.path("state").asText()), r.path("steps").asLong(), r.path("tokens").asLong(),
                        r.path("cost_usd").asDouble(), r.path("updated_at").asLong(), r.path("detail").asText()),
                r.path("tenant").asText());
    }

    /** The events of {@code GET /v1/runs/{id}/events}: the journal's own encoding, decoded as the store decodes it. */
    static List<JournalRecord> records(String runId, JsonNode events) {
        List<JournalRecord> out = new ArrayList<>();
        for (JsonNode e : events.path("events")) {
            out.add(new JournalRecord(runId, e.path("seq").asLong(), EventCodec.decode(e.path("event").toString())));
        }
        return out;
    }

    /** The caller of {@code GET /v1/whoami}. */
    static Principal principal(JsonNode o) {
        Map<String, Set<Role>> grants = new LinkedHashMap<>();
        o.path("grants").properties().forEach(e -> {
            Set<Role> roles = EnumSet.noneOf(Role.class);
            e.getValue().forEach(r -> roles.add(Role.valueOf(r.asText().toUpperCase(Locale.ROOT))));
            grants.put(e.getKey(), roles);
        });
        return new Principal(o.path("id").asText(), o.path("name").asText(),
                Principal.Kind.valueOf(o.path("kind").asText().toUpperCase(Locale.ROOT)), grants);
    }

    /** A pending approval of {@code GET /v1/approvals}. */
    static ApprovalsCommand.Pending pending(JsonNode a) {
        RunRepository.RunRow row = new RunRepository.RunRow(a.path("run").asText(), a.path("execution").asText(),
                a.path("fleet").asText(), "", "", 0, new RunStatus(RunState.AWAITING_APPROVAL, 0, 0, 0, 0, ""),
                a.path("tenant").asText());
        RunEvent.ApprovalRequested request = new RunEvent.ApprovalRequested(millis(a.path("requested_at")),
                a.path("call").asText(), a.path("tool").asText(), a.path("idempotency_key").asText(), a.path("rule").asText(),
                millis(a.path("expires_at")));
        return new ApprovalsCommand.Pending(row, request, new ToolCall(a.path("call").asText(), a.path("tool").asText(),
                a.path("arguments").asText()));
    }

    /** A delivery of {@code GET /v1/delivery} (with its patch) or {@code GET /v1/deliveries} (without). */
    static Delivery delivery(JsonNode d) {
        List<String> files = new ArrayList<>();
        d.path("files").forEach(f -> files.add(f.asText()));
        List<Delivery.Check> steps = new ArrayList<>();
        for (JsonNode c : d.path("steps")) {
            steps.add(new Delivery.Check(c.path("phase").asText(), c.path("command").asText(), c.path("exit_code").asInt(),
                    c.path("millis").asLong(), c.path("timed_out").asBoolean(), c.path("output_tail").asText()));
        }
        return new Delivery(d.path("id").asText(), d.path("run").asText(), d.path("execution").asText(),
                d.path("tenant").asText(), d.path("task").asText(), d.path("model").asText(),
                Delivery.Verdict.parse(d.path("verdict").asText()), d.path("reason").asText(), d.path("explanation").asText(),
                text(d, "branch"), text(d, "commit"), text(d, "patch_file"), d.path("patch").asText(""), files, steps,
                millis(d.path("created_at")));
    }

    /** A record of {@code GET /v1/audit}. */
    static AuditRecord audit(JsonNode r) {
        return new AuditRecord(r.path("seq").asLong(), new AuditEntry(r.path("at_ms").asLong(), r.path("tenant").asText(),
                r.path("actor").asText(), r.path("action").asText(), r.path("subject").asText(), r.path("details_raw").asText()),
                r.path("prev").asText(), r.path("hash").asText());
    }

    /** A tenant of {@code GET /v1/tenants}. */
    static AccessStore.TenantRow tenant(JsonNode t) {
        return new AccessStore.TenantRow(t.path("name").asText(), millis(t.path("created_at")), t.path("created_by").asText());
    }

    /** A key of {@code GET /v1/keys} (without its hash, which the node never gives). */
    static AccessStore.KeyRow key(JsonNode k) {
        Map<String, Set<Role>> grants = new java.util.TreeMap<>();
        k.path("roles").properties().forEach(e -> {
            Set<Role> roles = EnumSet.noneOf(Role.class);
            e.getValue().forEach(r -> roles.add(Role.parse(r.asText())));
            grants.put(e.getKey(), roles);
        });
        return new AccessStore.KeyRow(k.path("id").asText(), k.path("name").asText(), "", grants, millis(k.path("created_at")),
                k.path("created_by").asText(), k.hasNonNull("revoked_at") ? millis(k.path("revoked_at")) : 0);
    }

    private static Optional<String> text(JsonNode o, String field) {
        return o.hasNonNull(field) ? Optional.of(o.path(field).asText()) : Optional.empty();
    }

    private static long millis(JsonNode isoInstant) {
        return Instant.parse(isoInstant.asText()).toEpochMilli();
    }
}
