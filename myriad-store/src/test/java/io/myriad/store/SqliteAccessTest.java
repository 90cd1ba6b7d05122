package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.auth.AccessStore;
import io.myriad.core.auth.Principal;
import io.myriad.core.auth.TenantScope;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Executions scoped by tenant on SQLite ({@link AdminStoreContract} holds keys and tenants on both stores). */
class SqliteAccessTest {

    @Test
    void executionsAreListedWithinTheirTenant(@TempDir Path dir) {
        try (SqliteStore s = SqliteStore.open(dir.resolve("m.db"))) {
            assertThat(s.createTenant("acme", 5, "local:alice")).isTrue();
            assertThat(s.createTenant("acme", 6, "local:bob")).isFalse();
            s.createExecution("beta", "f", "d", "f.yaml", 1, 7);
            assertThat(s.tenants()).extracting(AccessStore.TenantRow::name).containsExactly("acme", "beta");
            assertThat(s.unfinishedExecution("beta", "f")).isPresent();
            assertThat(s.unfinishedExecution("acme", "f")).as("the same fleet name in another tenant").isEmpty();
            assertThat(s.executions(10, TenantScope.only(Set.of("acme")))).isEmpty();
            assertThat(s.executions(10, TenantScope.only(Set.of("beta")))).hasSize(1);
            assertThat(s.tenantOfRun("f-1:t1")).isEqualTo("beta");
            assertThat(s.tenantOfRun("nowhere-1:t1")).isEqualTo(Principal.DEFAULT_TENANT);
        }
    }
}
