package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executions created at the same moment by several stores on one file (two fleets started
 * together by {@code myriad serve}, each with its own store): none fails with SQLITE_BUSY and
 * each gets its own number.
 */
class SqliteAdminRaceTest {
    @TempDir
    Path dir;

    @Test
    void executionsCreatedAtOnceFromSeveralStoresAllSucceedWithDistinctNumbers() throws Exception {
        Path db = dir.resolve("myriad.db");
        List<SqliteStore> stores = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            stores.add(SqliteStore.open(db));
        }
        ConcurrentLinkedQueue<String> ids = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService threads = Executors.newFixedThreadPool(4)) {
            List<Future<?>> done = new ArrayList<>();
            for (SqliteStore s : stores) {
                done.add(threads.submit(() -> {
                    go.await();
                    for (int k = 0; k < 40; k++) {
                        ids.add(s.createExecution("default", "race", "d", "race.yaml", 1, System.currentTimeMillis()).id());
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            stores.forEach(SqliteStore::close);
        }
        Set<String> unique = new HashSet<>(ids);
        assertThat(ids).hasSize(160);
        assertThat(unique).hasSize(160);
    }
}
