package io.myriad.server.trace;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.myriad.server.metrics.JournalTail;
import io.myriad.server.metrics.SampleJournal;
import io.myriad.store.SqliteStore;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OtlpExportTest {

    /** What a collector received: path, method, content type, body size. */
    record Received(String path, String method, String contentType, int bytes) {}

    @Test
    void aFinishedRunIsPostedToTheCollectorAsProtobuf(@TempDir Path dir) throws Exception {
        List<Received> received = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(new Received(exchange.getRequestURI().getPath(), exchange.getRequestMethod(),
                    exchange.getRequestHeaders().getFirst("Content-Type"), body.length));
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        try (SqliteStore store = SqliteStore.open(dir.resolve("j.db"));
             Tracing tracing = Tracing.otlp(URI.create("http://127.0.0.1:" + collector.getAddress().getPort()))) {
            store.createExecution("alpha", "fix", "d", "fix.yaml", 1, 900);
            try (JournalTail tail = JournalTail.builder(store).listener(RunTracer.create(store, tracing)).build()) {
                SampleJournal.others(store); // only ops-1:t1 and fix-1:t2 finish
                tail.pollOnce();
                tracing.flush();
                assertThat(received).as("two runs finished").isNotEmpty();
                assertThat(received).allSatisfy(r -> {
                    assertThat(r.path()).isEqualTo("/v1/traces");
                    assertThat(r.method()).isEqualTo("POST");
                    assertThat(r.contentType()).isEqualTo("application/x-protobuf");
                    assertThat(r.bytes()).isPositive();
                });
            }
        } finally {
            collector.stop(0);
        }
    }

    @Test
    void nothingIsPostedWhileNoRunHasFinished(@TempDir Path dir) throws Exception {
        List<Received> received = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/", exchange -> {
            received.add(new Received(exchange.getRequestURI().getPath(), exchange.getRequestMethod(), "", 0));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        try (SqliteStore store = SqliteStore.open(dir.resolve("j.db"));
             Tracing tracing = Tracing.otlp(URI.create("http://127.0.0.1:" + collector.getAddress().getPort()
                     + "/custom/traces"))) {
            store.createExecution("alpha", "fix", "d", "fix.yaml", 1, 900);
            try (JournalTail tail = JournalTail.builder(store).listener(RunTracer.create(store, tracing)).build()) {
                SampleJournal.append(store, "fix-1:t9", io.myriad.core.run.RunState.AWAITING_MODEL,
                        new io.myriad.core.journal.RunEvent.RunStarted(1, "fix", "fix-1", "t9", "a", "in", "gpt-x"));
                tail.pollOnce();
                tracing.flush();
                assertThat(received).isEmpty();
                SampleJournal.append(store, "fix-1:t9", 1, io.myriad.core.run.RunState.CANCELLED,
                        new io.myriad.core.journal.RunEvent.RunCancelled(2, "operator"));
                tail.pollOnce();
                tracing.flush();
                assertThat(received).extracting(Received::path).containsExactly("/custom/traces");
            }
        } finally {
            collector.stop(0);
        }
    }
}
