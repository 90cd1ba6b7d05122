package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.tool.Reconciliation;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster tests' doubles: the fencing ledger and its tools, in-process and from a {@code myriad run}. */
class ClusterLedgerIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final ClusterLedger ledger = start();

    private static ClusterLedger start() {
        try {
            return ClusterLedger.start();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @AfterEach
    void close() {
        ledger.close();
        System.clearProperty("myriad.test.cledger.url");
        System.clearProperty("myriad.test.cledger.node");
    }

    private static Tool tool(String name) {
        return new ClusterLedgerToolProvider().tools().stream().filter(t -> t.definition().name().equals(name)).findFirst()
                .orElseThrow();
    }

    private ToolContext context(String run, String key, long fence) {
        return new ToolContext(run, "call-1", key, dir, new io.myriad.core.tool.Cancellation(), fence);
    }

    @Test
    void aLowerFenceThanOneSeenForTheRunIsRefusedAndCounted() throws Exception {
        System.setProperty("myriad.test.cledger.url", ledger.url());
        System.setProperty("myriad.test.cledger.node", "n1");
        JsonNode args = JSON.readTree("{\"amount\": 5, \"to\": \"bob\"}");
        Tool transfer = tool("cledger.transfer");
        Tool put = tool("cledger.put");

        assertThat(transfer.reconcile(args, context("r1", "k1", 3))).isInstanceOf(Reconciliation.NotDone.class);
        assertThatThrownBy(() -> transfer.invoke(args, context("r1", "k1", 2))).isInstanceOf(ToolException.class)
                .hasMessageContaining("fenced");
        assertThat(transfer.invoke(args, context("r1", "k1", 3)).content()).contains("cledger.transfer 5 to bob");
        assertThat(transfer.reconcile(args, context("r1", "k1", 4))).isInstanceOf(Reconciliation.Done.class);
        assertThatThrownBy(() -> put.invoke(args, context("r1", "k2", 3))).hasMessageContaining("fenced");
        assertThat(put.invoke(args, context("r1", "k2", 4)).content()).doesNotContain("already");
        assertThat(put.invoke(args, context("r1", "k2", 4)).content()).contains("already done");
        assertThat(put.invoke(args, context("r2", "k3", 0)).content()).doesNotContain("already");

        assertThat(ledger.effectCounts()).isEqualTo(Map.of("cledger.transfer k1", 1, "cledger.put k2", 1, "cledger.put k3", 1));
        assertThat(ledger.refusals()).hasSize(2);
        assertThat(ledger.invocations()).containsEntry("cledger.transfer k1", 2).containsEntry("cledger.put k2", 3);
        assertThat(ledger.runsSeenWithSeveralFences()).isEqualTo(1);
        assertThat(ledger.runsWithoutFence()).isEqualTo(1);
        assertThat(ledger.effectsByNode()).isEqualTo(Map.of("n1", 3));
    }

    @Test
    void aFleetOutsideAClusterCallsTheLedgerWithoutAFence() throws Exception {
        String tasks = IntStream.rangeClosed(1, 20).mapToObj(i -> "{\"id\":\"t" + i + "\",\"input\":\"settle " + i + "\"}")
                .collect(Collectors.joining("\n"));
        Files.writeString(dir.resolve("tasks.jsonl"), tasks + "\n");
        Path fleet = dir.resolve("pay.yaml");
        Files.writeString(fleet, """
                fleet: pay
                model: {sim: {scenario: tools, tool_calls: 2, latency: 5ms}}
                concurrency: 8
                tasks: tasks.jsonl
                agents:
                  payer:
                    instructions: Transfer and record.
                    tools: [cledger.transfer, cledger.put]
                """);
        Path log = dir.resolve("run.log");
        Process p = Cli.spawn(log, Map.of("MYRIAD_TEST_CLEDGER_URL", ledger.url(), "MYRIAD_TEST_CLEDGER_NODE", "solo"),
                "run", fleet.toString(), "--data", dir.resolve("data").toString(), "--json");
        try {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).as(Files.readString(log)).isZero();
        assertThat(ledger.effectCounts()).hasSize(40).allSatisfy((k, n) -> assertThat(n).isEqualTo(1));
        assertThat(ledger.runsWithoutFence()).isEqualTo(20);
        assertThat(ledger.refusals()).isEmpty();
        assertThat(ledger.effectsByNode()).isEqualTo(Map.of("solo", 40));
    }
}
