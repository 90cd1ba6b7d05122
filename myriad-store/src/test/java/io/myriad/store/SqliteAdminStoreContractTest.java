package io.myriad.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The admin store contract on SQLite: each store a new file; a second store opens the same file. */
class SqliteAdminStoreContractTest extends AdminStoreContract<SqliteStore> {
    @TempDir
    Path dir;

    private int opened;

    @Override
    protected SqliteStore newStore() {
        return SqliteStore.open(dir.resolve("s" + (opened++) + ".db"));
    }

    @Override
    protected SqliteStore openAgain(SqliteStore store) {
        return SqliteStore.open(store.file());
    }
}
