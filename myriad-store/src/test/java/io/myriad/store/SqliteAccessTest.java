package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.auth.AccessDenied;
import io.myriad.core.auth.AccessStore;
import io.myriad.core.auth.ApiKeys;
import io.myriad.core.auth.Authenticator;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.auth.Role;
import io.myriad.core.auth.TenantScope;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys, grants and tenants on SQLite, through the {@link Authenticator}. */
class SqliteAccessTest {

    @Test
    void aSingleUserInstallUntilTheFirstKeyThenKeysOnly(@TempDir Path dir) {
        try (SqliteStore s = SqliteStore.open(dir.resolve("m.db"))) {
            Authenticator auth = new Authenticator(s);
            assertThat(auth.authenticate(null, "alice").kind()).isEqualTo(Principal.Kind.IMPLICIT_OWNER);

            ApiKeys.Issued k = ApiKeys.issue();
            s.createKey(new AccessStore.KeyRow(k.id(), "ann", k.hash(),
                    Map.of("acme", EnumSet.of(Role.OPERATOR, Role.APPROVER)), 10, "local:alice", 0));
            assertThatThrownBy(() -> auth.authenticate(null, "alice")).isInstanceOf(AccessDenied.class)
                    .hasMessageContaining("pass --api-key");
            Principal ann = auth.authenticate(k.key(), "alice");
            assertThat(ann.id()).isEqualTo("key:" + k.id());
            assertThat(ann.grants()).isEqualTo(Map.of("acme", Set.of(Role.OPERATOR, Role.APPROVER)));
            assertThat(ann.can(Permission.APPROVE, "acme")).isTrue();

            assertThat(s.revokeKey(k.id(), 20)).isTrue();
            assertThat(s.revokeKey(k.id(), 30)).as("only once").isFalse();
            assertThatThrownBy(() -> auth.authenticate(k.key(), "alice")).hasMessage("unknown or revoked API key");
            assertThat(s.hasActiveKeys()).as("revoked keys do not count").isFalse();
            assertThat(s.key(k.id()).orElseThrow().revokedAt()).isEqualTo(20);
        }
    }

    /**
     * Many requests authenticating at once, more than the store has readers: reading a key's
     * grants once held a reader while waiting for another, and two such reads deadlocked.
     */
    @Test
    void manyConcurrentKeyLookupsAllFinish(@TempDir Path dir) throws Exception {
        try (SqliteStore s = SqliteStore.open(dir.resolve("m.db"))) {
            ApiKeys.Issued k = ApiKeys.issue();
            s.createKey(new AccessStore.KeyRow(k.id(), "ann", k.hash(), Map.of("acme", EnumSet.of(Role.OPERATOR)), 10, "local:a", 0));
            int threads = 16;
            var pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
            try {
                var lookups = new java.util.ArrayList<java.util.concurrent.Future<Integer>>();
                for (int t = 0; t < threads; t++) {
                    lookups.add(pool.submit(() -> {
                        int found = 0;
                        for (int i = 0; i < 200; i++) {
                            found += s.keyByHash(k.hash()).map(r -> r.grants().size()).orElse(0);
                        }
                        return found;
                    }));
                }
                for (var f : lookups) {
                    assertThat(f.get(60, java.util.concurrent.TimeUnit.SECONDS)).as("every lookup found the key and its grant").isEqualTo(200);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void tenantsComeFromTheRegistryAndFromExecutions(@TempDir Path dir) {
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
