package io.myriad.server.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where the traces of finished runs go: nowhere ({@link #off()}, no OpenTelemetry SDK is even
 * built), or an OTLP collector over HTTP with protobuf bodies ({@link #otlp(URI)}). Spans are
 * batched; {@link #flush()} sends what is waiting, {@link #close()} sends it and stops.
 * The resource is {@code service.name=myriad}.
 */
public final class Tracing implements AutoCloseable {
    static final String SCOPE = "io.myriad.server";
    private static final Tracing OFF = new Tracing(null);

    /** Null when off. */
    private final SdkTracerProvider provider;

    private Tracing(SdkTracerProvider provider) {
        this.provider = provider;
    }

    /** No tracing at all. */
    public static Tracing off() {
        return OFF;
    }

    /**
     * Exports to an OTLP/HTTP collector. A URI without a path (such as
     * {@code http://localhost:4318}) is the collector's base, and spans go to its
     * {@code /v1/traces}; a URI with a path is used as it is.
     */
    public static Tracing otlp(URI endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        String scheme = endpoint.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("the OTLP endpoint must be an http:// or https:// URI, got " + endpoint);
        }
        String path = endpoint.getRawPath();
        String url = endpoint.toString();
        if (path == null || path.isEmpty() || path.equals("/")) {
            url = url.replaceAll("/$", "") + "/v1/traces";
        }
        return to(OtlpHttpSpanExporter.builder().setEndpoint(url).build());
    }

    /** Exports to {@code exporter} (tests: an in-memory exporter). */
    static Tracing to(SpanExporter exporter) {
        Resource resource = Resource.getDefault().merge(
                Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "myriad")));
        return new Tracing(SdkTracerProvider.builder().setResource(resource)
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).build()).build());
    }

    /** Whether traces are exported at all. */
    public boolean enabled() {
        return provider != null;
    }

    /** The tracer spans are built with; empty when off. */
    Optional<Tracer> tracer() {
        return provider == null ? Optional.empty() : Optional.of(provider.get(SCOPE));
    }

    /** Exports the spans waiting in the batch; waits up to 10 s. */
    public void flush() {
        if (provider != null) {
            provider.forceFlush().join(10, TimeUnit.SECONDS);
        }
    }

    /** Exports what is waiting and stops; waits up to 10 s. */
    @Override
    public void close() {
        if (provider != null) {
            provider.shutdown().join(10, TimeUnit.SECONDS);
        }
    }
}
