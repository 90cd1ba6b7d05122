package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.cluster.Ownership;
import io.myriad.store.PgTestServer;
import io.myriad.store.PostgresStore;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code myriad cluster status | forget} against a real PostgreSQL store. */
class ClusterCommandTest {
    @TempDir
    Path dir;

    @Test
    void statusListsTheNodesAndForgetRemovesOnlyADeadOne() throws Exception {
        String url = PgTestServer.freshUrl();
        try (PostgresStore store = PostgresStore.open(url)) {
            Ownership ownership = store.ownership(Duration.ofMillis(800));
            var dead = ownership.join("dead-node", 10);
            Thread.sleep(1_000); // its lease lapses
            var live = ownership.join("live-node", 10);
            // The live node keeps heart-beating while the commands run.
            var beats = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            beats.scheduleWithFixedDelay(() -> ownership.heartbeat(live), 100, 100, java.util.concurrent.TimeUnit.MILLISECONDS);
            try {
                Cli.Result status = Cli.run("cluster", "status", "--store", url, "--lease", "800ms", "--json");
                assertThat(status.exit()).as(status.err()).isZero();
                assertThat(status.out()).contains("\"node\":\"dead-node\"", "\"alive\":false", "\"node\":\"live-node\"", "\"alive\":true");

                Cli.Result refused = Cli.run("cluster", "forget", "live-node", "--store", url, "--lease", "800ms");
                assertThat(refused.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
                assertThat(refused.err()).contains("is alive");

                Cli.Result forgot = Cli.run("cluster", "forget", "dead-node", "--store", url, "--lease", "800ms");
                assertThat(forgot.exit()).as(forgot.err()).isZero();
                assertThat(forgot.out()).contains("forgot node dead-node");
                assertThat(ownership.nodes()).extracting(n -> n.node().id()).containsExactly("live-node");
                assertThat(store.latestAudit(5))
                        .anyMatch(r -> r.entry().action().equals("cluster.forget") && r.entry().subject().equals("dead-node"));

                Cli.Result unknown = Cli.run("cluster", "forget", "nobody", "--store", url);
                assertThat(unknown.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
            } finally {
                beats.shutdownNow();
            }
            ownership.leave(live);
            assertThat(dead.epoch()).isLessThan(live.epoch());
        }
    }

    @Test
    void aSqliteStoreHasNoClusterToShow() {
        Cli.Result r = Cli.run("cluster", "status", "--data", dir.toString());
        assertThat(r.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("not PostgreSQL");
    }
}
