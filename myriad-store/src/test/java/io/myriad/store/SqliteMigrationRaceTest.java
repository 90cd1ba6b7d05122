package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several openers of a new database at the same moment (a fleet starting while another command
 * looks at the same folder): one migrates, the others wait for its lock and find the schema
 * current. Before the migration took the write lock first, two of them both altered a table
 * ("duplicate column name: tenant").
 */
class SqliteMigrationRaceTest {

    @Test
    void openersOfANewDatabaseAtOnceAllSucceed(@TempDir Path dir) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 25; round++) {
                Path file = dir.resolve("race-" + round + ".db");
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Long>> openers = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    openers.add(pool.submit(() -> {
                        go.await();
                        try (SqliteStore s = SqliteStore.open(file)) {
                            return s.runCounts("none").runs();
                        }
                    }));
                }
                go.countDown();
                for (Future<Long> f : openers) {
                    assertThat(f.get()).isZero();
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
