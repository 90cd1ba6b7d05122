package io.myriad.server.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.server.metrics.JournalTail;
import io.myriad.server.metrics.SampleJournal;
import io.myriad.store.SqliteStore;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunTracerTest {
    private static final AttributeKey<String> OP = AttributeKey.stringKey("gen_ai.operation.name");
    private static final AttributeKey<String> ERROR = AttributeKey.stringKey("error.type");

    @Test
    void aFinishedRunBecomesATraceWithTheJournalsTimes(@TempDir Path dir) {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        try (SqliteStore store = SqliteStore.open(dir.resolve("j.db")); Tracing tracing = Tracing.to(exporter)) {
            SampleJournal.succeeded(store);
            SampleJournal.others(store);
            try (JournalTail tail = JournalTail.builder(store).fromStart()
                    .listener(RunTracer.create(store, tracing)).build()) {
                tail.pollOnce();
            }
            tracing.flush();
            List<SpanData> spans = exporter.getFinishedSpanItems();
            assertThat(spans).as("5 spans of the run that succeeded, 2 of the failed one, 1 of the cancelled one; "
                    + "none of the run still going").hasSize(8);

            List<SpanData> ok = spans.stream().filter(s -> SampleJournal.OK_RUN.equals(
                    s.getAttributes().get(AttributeKey.stringKey("myriad.run.id")))).toList();
            assertThat(ok).hasSize(5);
            SpanData root = one(ok, "invoke_agent coder");
            assertThat(root.getParentSpanContext().isValid()).isFalse();
            assertThat(root.getKind()).isEqualTo(SpanKind.INTERNAL);
            assertThat(millis(root.getStartEpochNanos())).isEqualTo(1_000);
            assertThat(millis(root.getEndEpochNanos())).isEqualTo(2_500);
            assertThat(root.getAttributes().get(OP)).isEqualTo("invoke_agent");
            assertThat(root.getAttributes().get(AttributeKey.stringKey("gen_ai.agent.name"))).isEqualTo("coder");
            assertThat(root.getAttributes().get(AttributeKey.stringKey("gen_ai.provider.name"))).isEqualTo("openai");
            assertThat(root.getAttributes().get(AttributeKey.stringKey("myriad.tenant"))).isEqualTo("alpha");
            assertThat(root.getAttributes().get(AttributeKey.stringKey("myriad.fleet"))).isEqualTo("fix");
            assertThat(root.getAttributes().get(AttributeKey.stringKey("myriad.execution"))).isEqualTo("fix-1");
            assertThat(root.getAttributes().get(AttributeKey.longKey("gen_ai.usage.input_tokens"))).isEqualTo(250);
            assertThat(root.getAttributes().get(ERROR)).isNull();
            assertThat(root.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
            assertThat(root.getEvents()).extracting(e -> e.getName()).containsExactly("model_retried");
            assertThat(millis(root.getEvents().getFirst().getEpochNanos())).isEqualTo(1_700);
            assertThat(root.getResource().getAttribute(AttributeKey.stringKey("service.name"))).isEqualTo("myriad");
            for (SpanData child : ok) {
                if (child != root) {
                    assertThat(child.getTraceId()).isEqualTo(root.getTraceId());
                    assertThat(child.getParentSpanId()).as(child.getName()).isEqualTo(root.getSpanId());
                }
            }

            List<SpanData> chats = ok.stream().filter(s -> s.getName().equals("chat gpt-x"))
                    .sorted(java.util.Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
            assertThat(chats).hasSize(2);
            assertThat(chats).extracting(s -> millis(s.getStartEpochNanos()), s -> millis(s.getEndEpochNanos()))
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(1_100L, 1_500L),
                            org.assertj.core.groups.Tuple.tuple(1_800L, 2_500L));
            SpanData chat = chats.getFirst();
            assertThat(chat.getKind()).isEqualTo(SpanKind.CLIENT);
            assertThat(chat.getAttributes().get(OP)).isEqualTo("chat");
            assertThat(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.request.model"))).isEqualTo("gpt-x");
            assertThat(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.response.model"))).isEqualTo("gpt-x");
            assertThat(chat.getAttributes().get(AttributeKey.longKey("gen_ai.usage.input_tokens"))).isEqualTo(100);
            assertThat(chat.getAttributes().get(AttributeKey.longKey("gen_ai.usage.output_tokens"))).isEqualTo(20);

            SpanData read = one(ok, "execute_tool fs.read");
            assertThat(millis(read.getStartEpochNanos())).isEqualTo(1_510);
            assertThat(millis(read.getEndEpochNanos())).isEqualTo(1_530);
            assertThat(read.getAttributes().get(OP)).isEqualTo("execute_tool");
            assertThat(read.getAttributes().get(AttributeKey.stringKey("gen_ai.tool.name"))).isEqualTo("fs.read");
            assertThat(read.getAttributes().get(AttributeKey.stringKey("gen_ai.tool.call.id"))).isEqualTo("c1");
            assertThat(read.getAttributes().get(ERROR)).isNull();
            SpanData shell = one(ok, "execute_tool shell");
            assertThat(millis(shell.getStartEpochNanos())).isEqualTo(1_540);
            assertThat(millis(shell.getEndEpochNanos())).isEqualTo(1_600);
            assertThat(shell.getAttributes().get(ERROR)).isEqualTo("tool_error");
            assertThat(shell.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(shell.getStatus().getDescription()).isEqualTo("exit status 1");

            SpanData failed = one(spans, "invoke_agent coder", SampleJournal.FAILED_RUN);
            assertThat(failed.getAttributes().get(ERROR)).isEqualTo("model_error");
            assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(one(spans, "chat myriad-sim", SampleJournal.FAILED_RUN).getAttributes()
                    .get(AttributeKey.stringKey("gen_ai.provider.name"))).isEqualTo("myriad.simulated");
            assertThat(one(spans, "invoke_agent ops", "ops-1:t1").getAttributes().get(ERROR)).isEqualTo("cancelled");
        }
    }

    @Test
    void offMeansNoTracer(@TempDir Path dir) {
        try (SqliteStore store = SqliteStore.open(dir.resolve("j.db"))) {
            Tracing off = Tracing.off();
            assertThat(off.enabled()).isFalse();
            assertThat(off.tracer()).isEmpty();
            SampleJournal.succeeded(store);
            try (JournalTail tail = JournalTail.builder(store).fromStart().listener(RunTracer.create(store, off))
                    .onError(e -> {
                        throw new AssertionError(e);
                    }).build()) {
                assertThat(tail.pollOnce()).isEqualTo(9);
            }
            off.flush();
            off.close();
        }
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static SpanData one(List<SpanData> spans, String name) {
        List<SpanData> named = spans.stream().filter(s -> s.getName().equals(name)).toList();
        assertThat(named).as(name).hasSize(1);
        return named.getFirst();
    }

    private static SpanData one(List<SpanData> spans, String name, String runId) {
        return one(spans.stream().filter(s -> runId.equals(s.getAttributes().get(
                AttributeKey.stringKey("myriad.run.id")))).toList(), name);
    }
}
