package io.myriad.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The query contract on SQLite: each store a new file. */
class SqliteQueryStoreContractTest extends QueryStoreContract<SqliteStore> {
    @TempDir
    Path dir;

    private int opened;

    @Override
    protected SqliteStore newStore() {
        return SqliteStore.open(dir.resolve("q" + (opened++) + ".db"));
    }
}
