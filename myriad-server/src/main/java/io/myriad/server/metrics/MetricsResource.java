package io.myriad.server.metrics;

import io.javalin.config.RoutesConfig;
import io.myriad.server.ApiResource;
import java.util.Objects;

/**
 * {@code GET /metrics}: the server's {@link ServerMetrics} in Prometheus's text format.
 *
 * <p>Outside {@code /v1}, so not authenticated: a scraper needs no key. The figures name tenants,
 * fleets, models and tools but no content; a server listening beyond loopback should keep
 * {@code /metrics} behind its proxy or firewall.
 */
public final class MetricsResource implements ApiResource {
    private final ServerMetrics metrics;

    public MetricsResource(ServerMetrics metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public void register(RoutesConfig routes, Api api) {
        routes.get("/metrics", ctx -> ctx.contentType(ServerMetrics.contentType()).result(metrics.scrape()));
    }
}
