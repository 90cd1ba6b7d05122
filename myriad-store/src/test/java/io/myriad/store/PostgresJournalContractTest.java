package io.myriad.store;

/**
 * The store contract on a real PostgreSQL server ({@link PgTestServer}): each store a new schema;
 * a second store opens the same schema with a pool and a writer of its own, as a second node would.
 */
class PostgresJournalContractTest extends JournalStoreContract<PostgresStore> {
    @Override
    protected PostgresStore newStore() {
        return PostgresStore.open(new PostgresStore.Options(PgTestServer.freshUrl(), 4, 16_384, 1_000));
    }

    @Override
    protected PostgresStore openAgain(PostgresStore store) {
        return PostgresStore.open(store.options());
    }
}
