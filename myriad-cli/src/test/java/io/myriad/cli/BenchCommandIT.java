package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** {@code myriad bench} runs the real engine and reports counts that add up (figures are not asserted). */
class BenchCommandIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theBenchRunsEveryAgentThroughTheEngineAndReportsEveryFigure() throws Exception {
        Cli.Result r = Cli.run("bench", "--agents", "300", "--steps", "2", "--concurrency", "16", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode j = JSON.readTree(r.lastLine());
        assertThat(j.path("succeeded").asLong()).isEqualTo(300);
        assertThat(j.path("not_succeeded").asLong()).isZero();
        assertThat(j.path("model_steps").asLong()).isEqualTo(900);
        assertThat(j.path("tool_steps").asLong()).isEqualTo(600);
        // RunStarted, 3 responses (the last with its verdict) and 2 read-only outcomes per agent.
        assertThat(j.path("journal_events").asLong()).isEqualTo(300L * 7);
        assertThat(j.path("simulated").asBoolean()).isTrue();
        for (String key : new String[] {"wall_s", "model_steps_per_s", "tool_steps_per_s", "p50_queue_wait_ms",
                "p99_queue_wait_ms", "max_queue_wait_ms", "peak_heap_bytes", "peak_rss_bytes",
                "bytes_per_waiting_agent", "journal_events_per_s", "journal_bytes_per_step"}) {
            assertThat(j.has(key)).as(key).isTrue();
        }
        assertThat(r.out()).contains("SIMULATED");
    }

    @Test
    void skewedTenantsAreReportedSeparatelyWithTheirAloneFigures() throws Exception {
        Cli.Result r = Cli.run("bench", "--agents", "205", "--steps", "1", "--tenants", "2", "--small-tenant-agents", "5",
                "--concurrency", "4", "--compare-alone", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode waits = JSON.readTree(r.lastLine()).path("tenant_queue_waits");
        assertThat(waits).hasSize(3);
        assertThat(waits.get(0).path("tenant").asText()).isEqualTo("t1");
        assertThat(waits.get(0).path("agents").asInt()).isEqualTo(200);
        assertThat(waits.get(1).path("tenant").asText()).isEqualTo("t2");
        assertThat(waits.get(1).path("agents").asInt()).isEqualTo(5);
        assertThat(waits.get(2).path("alone").asBoolean()).isTrue();
    }

    @Test
    void impossibleOptionsAreRefusedWithExitTwo() {
        Cli.Result r = Cli.run("bench", "--agents", "5", "--tenants", "3", "--small-tenant-agents", "10");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("too few agents");
    }
}
