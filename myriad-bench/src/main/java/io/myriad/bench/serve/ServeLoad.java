package io.myriad.bench.serve;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load on a running {@code myriad serve}: {@code clients} server-sent event streams held open on a
 * fleet's progress while API requests are timed, one after another.
 *
 * <pre>{@code
 * java -cp myriad-bench.jar io.myriad.bench.serve.ServeLoad URL TENANT/FLEET CLIENTS SECONDS [KEY]
 * }</pre>
 *
 * Prints one line: streams connected, progress events received per stream per second, and the
 * median and 99th percentile of {@code GET /v1/runs?limit=50} and {@code GET /v1/fleets}.
 */
public final class ServeLoad {
    private ServeLoad() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: ServeLoad URL TENANT/FLEET CLIENTS SECONDS [API_KEY]");
            System.exit(2);
        }
        String base = args[0].endsWith("/") ? args[0] : args[0] + "/";
        String fleet = args[1];
        int clients = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        String key = args.length > 4 ? args[4] : null;
        AtomicInteger connected = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicLong events = new AtomicLong();
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        CountDownLatch done = new CountDownLatch(clients);
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < clients; i++) {
                threads.submit(() -> {
                    try {
                        stream(base + "v1/fleets/" + fleet + "/progress", key, end, connected, events);
                    } catch (IOException | RuntimeException e) {
                        failed.incrementAndGet();
                    } finally {
                        done.countDown();
                    }
                    return null;
                });
            }
            HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
            Thread.sleep(2000); // let the streams connect
            List<Long> runs = new ArrayList<>();
            List<Long> fleets = new ArrayList<>();
            while (System.nanoTime() < end) {
                runs.add(time(http, base + "v1/runs?limit=50", key));
                fleets.add(time(http, base + "v1/fleets", key));
            }
            done.await();
            System.out.printf(Locale.ROOT, "streams %d of %d connected (%d failed), %.2f progress events per stream per s; "
                            + "GET /v1/runs?limit=50 p50 %.1f ms p99 %.1f ms (n=%d); GET /v1/fleets p50 %.1f ms p99 %.1f ms (n=%d)%n",
                    connected.get(), clients, failed.get(), events.get() / (double) Math.max(1, connected.get()) / seconds,
                    pct(runs, 50), pct(runs, 99), runs.size(), pct(fleets, 50), pct(fleets, 99), fleets.size());
        }
    }

    private static void stream(String url, String key, long end, AtomicInteger connected, AtomicLong events)
            throws IOException {
        var c = (java.net.HttpURLConnection) URI.create(url).toURL().openConnection();
        if (key != null) {
            c.setRequestProperty("Authorization", "Bearer " + key);
        }
        c.setRequestProperty("Accept", "text/event-stream");
        c.setReadTimeout(10_000);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
            connected.incrementAndGet();
            String line;
            while (System.nanoTime() < end && (line = r.readLine()) != null) {
                if (line.startsWith("event: progress")) {
                    events.incrementAndGet();
                }
            }
        } finally {
            c.disconnect();
        }
    }

    private static long time(HttpClient http, String url, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        long t = System.nanoTime();
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        long elapsed = System.nanoTime() - t;
        if (r.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
        }
        return elapsed;
    }

    private static double pct(List<Long> nanos, int p) {
        if (nanos.isEmpty()) {
            return Double.NaN;
        }
        long[] a = nanos.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        return a[Math.min(a.length - 1, (int) Math.ceil(p / 100.0 * a.length) - 1)] / 1e6;
    }
}
