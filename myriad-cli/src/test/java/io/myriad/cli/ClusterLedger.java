package io.myriad.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The external ledger of the cluster tests: a small HTTP service in the test JVM that every node
 * process calls through {@link ClusterLedgerToolProvider}. It records every invocation and every
 * effect by {@code tool key}, and plays a resource that honours fencing tokens: per run, it
 * remembers the highest fence it saw (on invocations, look-ups and effects) and refuses, with HTTP
 * 409, an effect carrying a lower one, counting the refusals.
 *
 * <p>Endpoints (POST, query parameters {@code tool, key, run, fence, node}): {@code /invoke}
 * records a call; {@code /effect} records the effect of an irreversible call; {@code /put} records
 * the effect of an idempotent call only if its key has none yet (answers {@code already} otherwise);
 * {@code /has} answers {@code yes} or {@code no}: whether the key has an effect.
 *
 * <p>Thread-safe: every field is guarded by {@code this}.
 */
final class ClusterLedger implements AutoCloseable {
    static {
        // Hundreds of node connections stay open between calls: the JDK's server would close those
        // above 200 idle ones, and a node reusing one would see "header parser received no bytes".
        // Read once, when the first HttpServer of this JVM starts.
        System.setProperty("sun.net.httpserver.maxIdleConnections", "100000");
        System.setProperty("sun.net.httpserver.idleInterval", "600");
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Integer> invocations = new HashMap<>();
    /** The nodes whose effects were recorded, by {@code tool key}, in order. */
    private final Map<String, List<String>> effects = new HashMap<>();
    private final Map<String, Long> highestFence = new HashMap<>();
    /** The nodes that called the ledger for each run. */
    private final Map<String, Set<String>> nodesOfRun = new HashMap<>();
    private final Map<String, Set<Long>> fencesOfRun = new HashMap<>();
    private final List<String> refusals = new java.util.ArrayList<>();

    private ClusterLedger(HttpServer server) {
        this.server = server;
    }

    static ClusterLedger start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        ClusterLedger ledger = new ClusterLedger(server);
        server.createContext("/", ledger::handle);
        server.setExecutor(ledger.executor);
        server.start();
        return ledger;
    }

    /** The base URL for {@code MYRIAD_TEST_CLEDGER_URL}. */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, String> q = query(exchange.getRequestURI().getRawQuery());
            String what = exchange.getRequestURI().getPath().substring(1);
            int[] status = {200};
            String body = answer(what, q, status);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status[0], bytes.length);
            exchange.getResponseBody().write(bytes);
        }
    }

    private synchronized String answer(String what, Map<String, String> q, int[] status) {
        String call = q.getOrDefault("tool", "") + " " + q.getOrDefault("key", "");
        String run = q.getOrDefault("run", "");
        String node = q.getOrDefault("node", "");
        long fence = Long.parseLong(q.getOrDefault("fence", "0"));
        long highest = highestFence.getOrDefault(run, 0L);
        nodesOfRun.computeIfAbsent(run, r -> new HashSet<>()).add(node);
        fencesOfRun.computeIfAbsent(run, r -> new HashSet<>()).add(fence);
        if (fence > highest) {
            highestFence.put(run, fence);
        }
        switch (what) {
            case "invoke" -> {
                invocations.merge(call, 1, Integer::sum);
                return "ok";
            }
            case "has" -> {
                return effects.containsKey(call) ? "yes" : "no";
            }
            case "effect", "put" -> {
                if (fence < highest) {
                    refusals.add(call + " run " + run + " from " + node + " with fence " + fence + " < " + highest);
                    status[0] = 409;
                    return "fenced: run " + run + " was taken over (fence " + highest + "), this call carries fence " + fence;
                }
                if (what.equals("put") && effects.containsKey(call)) {
                    return "already";
                }
                effects.computeIfAbsent(call, c -> new java.util.ArrayList<>()).add(node);
                return "ok";
            }
            default -> {
                status[0] = 404;
                return "unknown ledger operation " + what;
            }
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    q.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return q;
    }

    /** How many effects each {@code tool key} has, for keys with any. */
    synchronized Map<String, Integer> effectCounts() {
        Map<String, Integer> counts = new TreeMap<>();
        effects.forEach((k, v) -> counts.put(k, v.size()));
        return counts;
    }

    synchronized Map<String, Integer> invocations() {
        return new TreeMap<>(invocations);
    }

    /** The effects refused for a stale fence, one line each. */
    synchronized List<String> refusals() {
        return List.copyOf(refusals);
    }

    /** Effects recorded per node. */
    synchronized Map<String, Integer> effectsByNode() {
        Map<String, Integer> by = new TreeMap<>();
        effects.values().forEach(nodes -> nodes.forEach(n -> by.merge(n, 1, Integer::sum)));
        return by;
    }

    /** Runs whose calls came from more than one node. */
    synchronized int runsSeenFromSeveralNodes() {
        return (int) nodesOfRun.values().stream().filter(s -> s.size() > 1).count();
    }

    /** Runs whose calls carried more than one fence (they changed owner between calls). */
    synchronized int runsSeenWithSeveralFences() {
        return (int) fencesOfRun.values().stream().filter(s -> s.size() > 1).count();
    }

    /** Runs that called the ledger with a zero fence (outside a cluster: the fence was not set). */
    synchronized int runsWithoutFence() {
        return (int) fencesOfRun.values().stream().filter(s -> s.contains(0L)).count();
    }

    /** The runs that called the ledger with a zero fence: run id, then the nodes and fences it called with. */
    synchronized List<String> runsWithoutFenceDetail() {
        return fencesOfRun.entrySet().stream().filter(e -> e.getValue().contains(0L)).sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + " nodes " + new TreeMap<>(Map.of("n", nodesOfRun.get(e.getKey()))).get("n")
                        + " fences " + new java.util.TreeSet<>(e.getValue()))
                .toList();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
