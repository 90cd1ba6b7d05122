package io.myriad.store;

/** The query contract on a real PostgreSQL server ({@link PgTestServer}): each store a new schema. */
class PostgresQueryStoreContractTest extends QueryStoreContract<PostgresStore> {
    @Override
    protected PostgresStore newStore() {
        return PostgresStore.open(new PostgresStore.Options(PgTestServer.freshUrl(), 4, 16_384, 1_000));
    }
}
