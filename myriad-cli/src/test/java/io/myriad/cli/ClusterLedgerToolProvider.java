package io.myriad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Reconciliation;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolProvider;
import io.myriad.core.tool.ToolResult;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Test plug-in tools whose effects land in a {@link ClusterLedger}: an HTTP service outside every
 * node (its base URL in {@code MYRIAD_TEST_CLEDGER_URL}), shared by the nodes of a cluster. Each
 * request carries the run id, the idempotency key, the call's {@link ToolContext#fence()} and the
 * node's name ({@code MYRIAD_TEST_CLEDGER_NODE}; in-process tests may set the system properties
 * {@code myriad.test.cledger.url} and {@code .node} instead); the ledger refuses an effect whose fence is
 * lower than one it already saw for the run, and the tool then fails saying it was fenced. Each
 * call takes a little time before and after its effect, as a remote API would, so that a kill or
 * a pause often lands mid-call.
 * <ul>
 *   <li>{@code cledger.transfer}: irreversible, reconciles by asking the ledger whether its key
 *       has an effect;
 *   <li>{@code cledger.put}: idempotent: the ledger writes its effect only if the key has none.
 * </ul>
 */
public final class ClusterLedgerToolProvider implements ToolProvider {
    private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"amount\":{\"type\":\"integer\"},"
            + "\"to\":{\"type\":\"string\"}},\"required\":[\"amount\",\"to\"],\"additionalProperties\":false}";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Override
    public List<Tool> tools() {
        return List.of(new Ledger("cledger.transfer", Effect.IRREVERSIBLE), new Ledger("cledger.put", Effect.IDEMPOTENT));
    }

    private static String base() {
        String url = System.getenv().getOrDefault("MYRIAD_TEST_CLEDGER_URL", System.getProperty("myriad.test.cledger.url"));
        if (url == null || url.isBlank()) {
            throw new ToolException("MYRIAD_TEST_CLEDGER_URL is not set");
        }
        return url;
    }

    /** Calls the ledger; the status and body of its answer. */
    private static HttpResponse<String> call(String what, String tool, ToolContext context) {
        String node = System.getenv().getOrDefault("MYRIAD_TEST_CLEDGER_NODE", System.getProperty("myriad.test.cledger.node", ""));
        String query = "tool=" + enc(tool) + "&key=" + enc(context.idempotencyKey()) + "&run=" + enc(context.runId())
                + "&fence=" + context.fence() + "&node=" + enc(node);
        HttpRequest request = HttpRequest.newBuilder(URI.create(base() + what + "?" + query)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        try {
            try {
                return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                if (what.equals("effect")) {
                    throw e; // it may have happened: a second try could make it twice
                }
                return HTTP.send(request, HttpResponse.BodyHandlers.ofString()); // look-ups and puts may be repeated
            }
        } catch (IOException e) {
            throw new ToolException("cannot reach the ledger: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ToolException("interrupted");
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ToolException("interrupted");
        }
    }

    private record Ledger(String name, Effect effect) implements Tool {
        @Override
        public ToolDefinition definition() {
            return ToolDefinition.of(name, "Moves money (test tool writing to an external ledger shared by a cluster).", SCHEMA);
        }

        @Override
        public ToolResult invoke(JsonNode arguments, ToolContext context) {
            checked(call("invoke", name, context));
            pause(15);
            String answer = checked(call(effect == Effect.IDEMPOTENT ? "put" : "effect", name, context));
            pause(15);
            return ToolResult.ok(name + " " + arguments.path("amount").asInt() + " to " + arguments.path("to").asText()
                    + (answer.equals("already") ? " (already done)" : ""));
        }

        @Override
        public Reconciliation reconcile(JsonNode arguments, ToolContext context) {
            return checked(call("has", name, context)).equals("yes")
                    ? new Reconciliation.Done(ToolResult.ok(name + " done (found in the ledger)"))
                    : new Reconciliation.NotDone("no ledger effect for key " + context.idempotencyKey());
        }

        private static String checked(HttpResponse<String> r) {
            if (r.statusCode() == 409) {
                throw new ToolException("the ledger refused the call: " + r.body());
            }
            if (r.statusCode() != 200) {
                throw new ToolException("the ledger answered HTTP " + r.statusCode() + ": " + r.body());
            }
            return r.body();
        }
    }
}
