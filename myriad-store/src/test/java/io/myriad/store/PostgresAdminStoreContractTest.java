package io.myriad.store;

/**
 * The admin store contract on a real PostgreSQL server ({@link PgTestServer}): each store a new
 * schema, with a pool of 4 connections (fewer than the concurrent tests' threads); a second store
 * opens the same schema with a pool of its own, as a second node would.
 */
class PostgresAdminStoreContractTest extends AdminStoreContract<PostgresStore> {
    @Override
    protected PostgresStore newStore() {
        return PostgresStore.open(new PostgresStore.Options(PgTestServer.freshUrl(), 4, 16_384, 1_000));
    }

    @Override
    protected PostgresStore openAgain(PostgresStore store) {
        return PostgresStore.open(store.options());
    }
}
