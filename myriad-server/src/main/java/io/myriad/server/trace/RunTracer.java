package io.myriad.server.trace;

import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.run.RunState;
import io.myriad.server.metrics.TailEvent;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Traces of finished runs, built after the fact from their journals, with the times the journal
 * recorded, following the OpenTelemetry GenAI semantic conventions: one trace per run, a root
 * span {@code invoke_agent {agent}}, a child {@code chat {model}} per model response and a child
 * {@code execute_tool {tool}} per tool call that started.
 *
 * <p>Notes: a listener of the {@link io.myriad.server.metrics.JournalTail}; on a run's final
 * event it reads the run's whole journal (so a run that began before the tail did is traced
 * whole). A chat span ends when the response was journaled and starts {@code latencyMillis}
 * before (or at the previous event, for a response without latency). A tool span runs from
 * {@code tool_call_started} to its completion or failure; a call still open when the run ended
 * (in doubt, cancelled) ends with the run, {@code error.type=unsettled}. Retries and rejected
 * calls are events on the root span. Nothing is done when tracing is off.
 */
public final class RunTracer implements Consumer<TailEvent> {
    static final String SIMULATED_MODEL = "myriad-sim";
    private static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    private static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
    private static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    private static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    private static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    private static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    private static final AttributeKey<String> AGENT = AttributeKey.stringKey("gen_ai.agent.name");
    private static final AttributeKey<String> TOOL = AttributeKey.stringKey("gen_ai.tool.name");
    private static final AttributeKey<String> TOOL_CALL = AttributeKey.stringKey("gen_ai.tool.call.id");
    private static final AttributeKey<String> TOOL_TYPE = AttributeKey.stringKey("gen_ai.tool.type");
    private static final AttributeKey<String> ERROR = AttributeKey.stringKey("error.type");
    private static final AttributeKey<String> RUN = AttributeKey.stringKey("myriad.run.id");
    private static final AttributeKey<String> TENANT = AttributeKey.stringKey("myriad.tenant");
    private static final AttributeKey<String> FLEET = AttributeKey.stringKey("myriad.fleet");
    private static final AttributeKey<String> EXECUTION = AttributeKey.stringKey("myriad.execution");
    private static final AttributeKey<String> TASK = AttributeKey.stringKey("myriad.task");
    private static final AttributeKey<String> STATE = AttributeKey.stringKey("myriad.run.state");
    private static final AttributeKey<Double> COST = AttributeKey.doubleKey("myriad.cost_usd");

    private final Journal journal;
    private final Tracing tracing;

    private RunTracer(Journal journal, Tracing tracing) {
        this.journal = journal;
        this.tracing = tracing;
    }

    /** Traces the runs of {@code journal} as they finish, to {@code tracing}. */
    public static RunTracer create(Journal journal, Tracing tracing) {
        return new RunTracer(Objects.requireNonNull(journal, "journal"), Objects.requireNonNull(tracing, "tracing"));
    }

    /** On a run's final event, exports the run's trace (the tail calls this on its thread). */
    @Override
    public void accept(TailEvent e) {
        if (!tracing.enabled()) {
            return;
        }
        e.finalState().ifPresent(state -> tracing.tracer().ifPresent(t -> trace(t, e, state, journal.read(e.runId()))));
    }

    /** The provider a model name stands for: the simulator, or the OpenAI-compatible adapter. */
    static String provider(String model) {
        return model.startsWith(SIMULATED_MODEL) ? "myriad.simulated" : "openai";
    }

    private void trace(Tracer tracer, TailEvent end, RunState state, List<JournalRecord> records) {
        if (records.isEmpty() || !(records.getFirst().event() instanceof RunEvent.RunStarted started)) {
            return;
        }
        Attributes run = Attributes.builder().put(RUN, end.runId()).put(TENANT, end.tenant())
                .put(FLEET, started.fleet()).put(EXECUTION, started.execution()).build();
        Span root = tracer.spanBuilder("invoke_agent " + started.agent()).setNoParent().setSpanKind(SpanKind.INTERNAL)
                .setStartTimestamp(started.at(), TimeUnit.MILLISECONDS).setAllAttributes(run)
                .setAttribute(OPERATION, "invoke_agent").setAttribute(AGENT, started.agent())
                .setAttribute(PROVIDER, provider(started.model())).setAttribute(REQUEST_MODEL, started.model())
                .setAttribute(TASK, started.task()).setAttribute(STATE, state.label()).startSpan();
        Context parent = Context.root().with(root);
        Map<String, Span> open = new LinkedHashMap<>();
        long previous = started.at();
        long endAt = end.event().at();
        long input = 0;
        long output = 0;
        double cost = 0;
        for (JournalRecord r : records) {
            switch (r.event()) {
                case RunEvent.ModelResponded m -> {
                    long start = m.latencyMillis() > 0 ? m.at() - m.latencyMillis() : previous;
                    tracer.spanBuilder("chat " + m.model()).setParent(parent).setSpanKind(SpanKind.CLIENT)
                            .setStartTimestamp(Math.max(started.at(), start), TimeUnit.MILLISECONDS)
                            .setAllAttributes(run).setAttribute(OPERATION, "chat")
                            .setAttribute(PROVIDER, provider(m.model())).setAttribute(REQUEST_MODEL, m.model())
                            .setAttribute(RESPONSE_MODEL, m.model())
                            .setAttribute(INPUT_TOKENS, m.usage().promptTokens())
                            .setAttribute(OUTPUT_TOKENS, m.usage().completionTokens())
                            .setAttribute(COST, m.costUsd()).startSpan().end(m.at(), TimeUnit.MILLISECONDS);
                    input += m.usage().promptTokens();
                    output += m.usage().completionTokens();
                    cost += m.costUsd();
                }
                case RunEvent.ToolCallStarted s -> open.put(s.callId(), tracer.spanBuilder("execute_tool " + s.tool())
                        .setParent(parent).setSpanKind(SpanKind.INTERNAL)
                        .setStartTimestamp(s.at(), TimeUnit.MILLISECONDS).setAllAttributes(run)
                        .setAttribute(OPERATION, "execute_tool").setAttribute(TOOL, s.tool())
                        .setAttribute(TOOL_CALL, s.callId()).setAttribute(TOOL_TYPE, "function").startSpan());
                case RunEvent.ToolCallCompleted c -> {
                    Span span = open.remove(c.callId());
                    if (span != null) {
                        span.end(c.at(), TimeUnit.MILLISECONDS);
                    }
                }
                case RunEvent.ToolCallFailed f -> {
                    Span span = open.remove(f.callId());
                    if (span != null) {
                        span.setAttribute(ERROR, "tool_error").setStatus(StatusCode.ERROR, brief(f.error()))
                                .end(f.at(), TimeUnit.MILLISECONDS);
                    }
                }
                case RunEvent.ModelRetried m -> root.addEvent("model_retried", Attributes.builder()
                        .put("myriad.attempt", m.attempt()).put("myriad.error", brief(m.error()))
                        .put("myriad.fallback", m.fallback()).build(), m.at(), TimeUnit.MILLISECONDS);
                case RunEvent.ToolCallRejected x -> root.addEvent("tool_call_rejected", Attributes.builder()
                        .put(TOOL_CALL, x.callId()).put("myriad.reason", brief(x.reason())).build(),
                        x.at(), TimeUnit.MILLISECONDS);
                default -> { }
            }
            previous = r.event().at();
        }
        for (Span span : open.values()) {
            span.setAttribute(ERROR, "unsettled").setStatus(StatusCode.ERROR, "the run ended before the call settled")
                    .end(endAt, TimeUnit.MILLISECONDS);
        }
        root.setAttribute(INPUT_TOKENS, input).setAttribute(OUTPUT_TOKENS, output).setAttribute(COST, cost);
        errorType(end.event()).ifPresent(type -> root.setAttribute(ERROR, type)
                .setStatus(StatusCode.ERROR, state.label() + ": " + type));
        root.end(endAt, TimeUnit.MILLISECONDS);
    }

    /** The low-cardinality reason a run did not succeed; empty when it did. */
    private static java.util.Optional<String> errorType(RunEvent end) {
        return java.util.Optional.ofNullable(switch (end) {
            case RunEvent.RunFailed f -> f.reason();
            case RunEvent.RunLimited l -> l.limit();
            case RunEvent.RunStuck s -> s.reason();
            case RunEvent.RunCancelled c -> "cancelled";
            case RunEvent.RunBudgetExhausted b -> "budget_exhausted";
            default -> null;
        });
    }

    private static String brief(String text) {
        return text.length() <= 256 ? text : text.substring(0, 255) + "…";
    }
}
