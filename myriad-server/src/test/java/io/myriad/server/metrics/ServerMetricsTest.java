package io.myriad.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.myriad.server.ApiServer;
import io.myriad.store.SqliteStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerMetricsTest {

    @Test
    void metricsCountWhatTheJournalSaysAndAreScrapedAtSlashMetrics(@TempDir Path dir) throws Exception {
        try (SqliteStore store = SqliteStore.open(dir.resolve("j.db"))) {
            ServerMetrics metrics = ServerMetrics.create(store);
            try (JournalTail tail = JournalTail.builder(store).listener(metrics).batchSize(3).build();
                 ApiServer server = ApiServer.builder(store).port(0).resource(new MetricsResource(metrics)).build()
                         .start()) {
                SampleJournal.succeeded(store);
                SampleJournal.others(store);
                assertThat(tail.pollOnce()).isEqualTo(15);
                assertThat(tail.pollOnce()).isZero();
                AtomicInteger waiting = new AtomicInteger(7);
                metrics.gauge("myriad_queue_waiting", "Model calls waiting in the fair queue", Map.of("fleet", "fix"),
                        waiting::get);

                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");
                Scrape s = new Scrape(r.body());

                assertThat(s.value("myriad_journal_events_total")).isEqualTo(15);
                assertThat(s.value("myriad_model_calls_total", "model", "gpt-x", "tenant", "alpha")).isEqualTo(2);
                assertThat(s.value("myriad_model_calls_total", "model", "myriad-sim", "tenant", "alpha")).isEqualTo(1);
                assertThat(s.value("myriad_tokens_total", "model", "gpt-x", "tenant", "alpha", "direction", "input"))
                        .isEqualTo(250);
                assertThat(s.value("myriad_tokens_total", "model", "gpt-x", "tenant", "alpha", "direction", "output"))
                        .isEqualTo(50);
                assertThat(s.value("myriad_cost_usd_total", "model", "gpt-x", "tenant", "alpha"))
                        .isCloseTo(0.03, within(1e-9));
                assertThat(s.value("myriad_model_latency_seconds_count", "model", "gpt-x")).isEqualTo(2);
                assertThat(s.value("myriad_model_latency_seconds_sum", "model", "gpt-x")).isCloseTo(1.1, within(1e-9));
                assertThat(s.value("myriad_model_latency_seconds_bucket", "model", "gpt-x", "le", "+Inf")).isEqualTo(2);
                assertThat(s.names()).as("a histogram with buckets").filteredOn(n -> n.equals(
                        "myriad_model_latency_seconds_bucket")).hasSizeGreaterThan(10);
                assertThat(s.value("myriad_model_retries_total", "model", "gpt-x")).isEqualTo(1);
                assertThat(s.value("myriad_tool_calls_total", "tool", "fs.read", "outcome", "completed")).isEqualTo(1);
                assertThat(s.value("myriad_tool_calls_total", "tool", "shell", "outcome", "failed")).isEqualTo(1);
                assertThat(s.value("myriad_tool_duration_seconds_sum", "tool", "shell")).isCloseTo(0.06, within(1e-9));
                assertThat(s.value("myriad_tool_duration_seconds_count", "tool", "fs.read")).isEqualTo(1);
                assertThat(s.value("myriad_runs_finished_total", "tenant", "alpha", "fleet", "fix", "state", "succeeded"))
                        .isEqualTo(1);
                assertThat(s.value("myriad_runs_finished_total", "tenant", "alpha", "fleet", "fix", "state", "failed"))
                        .isEqualTo(1);
                assertThat(s.value("myriad_runs_finished_total", "tenant", "beta", "fleet", "ops", "state", "cancelled"))
                        .isEqualTo(1);
                assertThat(s.value("myriad_runs", "tenant", "alpha", "state", "awaiting_model")).isEqualTo(1);
                assertThat(s.value("myriad_runs", "tenant", "alpha", "state", "succeeded")).isEqualTo(1);
                assertThat(s.value("myriad_runs", "tenant", "alpha", "state", "failed")).isEqualTo(1);
                assertThat(s.value("myriad_runs", "tenant", "alpha", "state", "cancelled")).isZero();
                assertThat(s.value("myriad_runs", "tenant", "beta", "state", "cancelled")).isEqualTo(1);
                assertThat(s.value("myriad_queue_waiting", "fleet", "fix")).isEqualTo(7);

                waiting.set(3);
                assertThat(new Scrape(metrics.scrape()).value("myriad_queue_waiting", "fleet", "fix")).isEqualTo(3);
            }
        }
    }

    @Test
    void theTailStartsAtTheJournalsEndUnlessToldToReadItAll(@TempDir Path dir) {
        try (SqliteStore store = SqliteStore.open(dir.resolve("j.db"))) {
            SampleJournal.succeeded(store);
            List<TailEvent> seen = new java.util.ArrayList<>();
            try (JournalTail fromEnd = JournalTail.builder(store).listener(seen::add).build();
                 JournalTail fromStart = JournalTail.builder(store).fromStart().batchSize(2).build()) {
                assertThat(fromEnd.pollOnce()).isZero();
                assertThat(fromStart.pollOnce()).isEqualTo(9);
                SampleJournal.others(store);
                assertThat(fromEnd.pollOnce()).isEqualTo(6);
                assertThat(fromStart.pollOnce()).isEqualTo(6);
                assertThat(fromEnd.cursor()).isEqualTo(fromStart.cursor()).isEqualTo(store.eventsHead());
            }
            assertThat(seen).extracting(TailEvent::runId).startsWith(SampleJournal.FAILED_RUN).endsWith("ops-1:t1");
            TailEvent last = seen.getLast();
            assertThat(List.of(last.tenant(), last.fleet(), last.execution(), last.agent()))
                    .containsExactly("beta", "ops", "ops-1", "ops");
            assertThat(last.finalState()).hasValue(io.myriad.core.run.RunState.CANCELLED);
        }
    }

    @Test
    void aTimedTailFeedsItsListenersByItself(@TempDir Path dir) throws Exception {
        try (SqliteStore store = SqliteStore.open(dir.resolve("j.db"))) {
            ServerMetrics metrics = ServerMetrics.create(store, java.time.Duration.ZERO);
            try (JournalTail tail = JournalTail.builder(store).listener(metrics)
                    .interval(java.time.Duration.ofMillis(20)).build().start()) {
                SampleJournal.succeeded(store);
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (tail.cursor() < store.eventsHead() && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
            }
            assertThat(new Scrape(metrics.scrape()).value("myriad_journal_events_total")).isEqualTo(9);
        }
    }

    @Test
    void badGaugesAreRefused(@TempDir Path dir) {
        try (SqliteStore store = SqliteStore.open(dir.resolve("j.db"))) {
            ServerMetrics metrics = ServerMetrics.create(store);
            assertThatThrownBy(() -> metrics.gauge("9lives", "x", Map.of(), () -> 1))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> metrics.gauge("ok", "x", Map.of("bad-tag", "v"), () -> 1))
                    .isInstanceOf(IllegalArgumentException.class);
            metrics.gauge("myriad_broken", "throws", Map.of(), () -> {
                throw new IllegalStateException("gone");
            });
            assertThat(new Scrape(metrics.scrape()).value("myriad_broken")).isNaN();
        }
    }

    /** A Prometheus text exposition, read line by line: samples by name and labels. */
    static final class Scrape {
        private final List<Sample> samples = new java.util.ArrayList<>();

        record Sample(String name, Map<String, String> labels, double value) {}

        Scrape(String text) {
            for (String line : text.split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int brace = line.indexOf('{');
                int space = line.lastIndexOf(' ');
                String name;
                Map<String, String> labels = new HashMap<>();
                if (brace >= 0 && brace < space) {
                    name = line.substring(0, brace);
                    String inner = line.substring(brace + 1, line.lastIndexOf('}'));
                    var m = java.util.regex.Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")
                            .matcher(inner);
                    while (m.find()) {
                        labels.put(m.group(1), m.group(2));
                    }
                } else {
                    name = line.substring(0, line.indexOf(' '));
                }
                samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
            }
        }

        List<String> names() {
            return samples.stream().map(Sample::name).toList();
        }

        /** The one sample of {@code name} with exactly these labels; fails when there is none. */
        double value(String name, String... labels) {
            Map<String, String> want = new HashMap<>();
            for (int i = 0; i < labels.length; i += 2) {
                want.put(labels[i], labels[i + 1]);
            }
            return samples.stream().filter(s -> s.name().equals(name) && s.labels().equals(want)).findFirst()
                    .orElseThrow(() -> new AssertionError("no sample " + name + want + " in:\n" + samples.stream()
                            .filter(s -> s.name().equals(name)).map(Sample::toString).toList()))
                    .value();
        }
    }
}
