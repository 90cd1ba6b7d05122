package io.myriad.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PrincipalTest {
    private static Principal key(Map<String, Set<Role>> grants) {
        return new Principal("key:k_1", "alice", Principal.Kind.KEY, grants);
    }

    @Test
    void eachRoleGrantsItsPermissionsInItsTenantOnly() {
        Principal p = key(Map.of("acme", EnumSet.of(Role.APPROVER)));
        assertThat(p.can(Permission.APPROVE, "acme")).isTrue();
        assertThat(p.can(Permission.VIEW, "acme")).isTrue();
        assertThat(p.can(Permission.RUN, "acme")).isFalse();
        assertThat(p.can(Permission.APPROVE, "beta")).isFalse();
        assertThat(p.can(Permission.VIEW, "beta")).isFalse();
        assertThat(p.canEverywhere(Permission.VIEW)).isFalse();
    }

    @Test
    void theRoleTable() {
        assertThat(Role.OWNER.permissions()).containsExactlyInAnyOrder(Permission.values());
        assertThat(Role.OPERATOR.permissions()).containsExactlyInAnyOrder(Permission.VIEW, Permission.RUN, Permission.CONTROL,
                Permission.RESOLVE);
        assertThat(Role.APPROVER.permissions()).containsExactlyInAnyOrder(Permission.VIEW, Permission.APPROVE);
        assertThat(Role.VIEWER.permissions()).containsExactly(Permission.VIEW);
        assertThat(Role.AUDITOR.permissions()).containsExactlyInAnyOrder(Permission.VIEW, Permission.READ_AUDIT);
        for (Role r : Role.values()) {
            assertThat(r.grants(Permission.MANAGE_ACCESS)).isEqualTo(r == Role.OWNER);
        }
    }

    @Test
    void rolesAddUpAndScopesListTheirTenants() {
        Principal p = key(Map.of("acme", EnumSet.of(Role.VIEWER, Role.AUDITOR), "beta", EnumSet.of(Role.OPERATOR)));
        assertThat(p.scopeOf(Permission.VIEW).tenants()).containsExactly("acme", "beta");
        assertThat(p.scopeOf(Permission.READ_AUDIT).tenants()).containsExactly("acme");
        assertThat(p.scopeOf(Permission.APPROVE).none()).isTrue();
        assertThat(p.scope(Permission.RUN).test("beta")).isTrue();
        assertThat(p.scope(Permission.RUN).test("acme")).isFalse();
    }

    @Test
    void theImplicitOwnerAndAdministratorsHoldEveryTenant() {
        Principal local = Principal.implicitOwner("alice");
        assertThat(local.id()).isEqualTo("local:alice");
        for (Permission perm : Permission.values()) {
            assertThat(local.can(perm, "any-tenant")).isTrue();
            assertThat(local.canEverywhere(perm)).isTrue();
        }
        assertThat(local.scopeOf(Permission.VIEW).all()).isTrue();
    }

    @Test
    void aDenialNamesWhoWhatWhereAndWhichRolesWouldGrantIt() {
        Principal p = key(Map.of("acme", EnumSet.of(Role.VIEWER)));
        assertThatThrownBy(() -> p.require(Permission.CONTROL, "acme")).isInstanceOf(AccessDenied.class)
                .hasMessage("alice may not control in tenant acme: that needs the role owner or operator there");
        p.require(Permission.VIEW, "acme");
    }

    @Test
    void rolesParseInAnyCaseAndUnknownOnesSayWhatExists() {
        assertThat(Role.parse(" Approver ")).isEqualTo(Role.APPROVER);
        assertThatThrownBy(() -> Role.parse("admin")).hasMessageContaining("owner, operator, approver, viewer, auditor");
    }

    @Test
    void keysHaveTheirShapeAndOnlyTheirHashIsKept() {
        ApiKeys.Issued a = ApiKeys.issue();
        ApiKeys.Issued b = ApiKeys.issue();
        assertThat(ApiKeys.looksLikeKey(a.key())).isTrue();
        assertThat(a.key()).startsWith("myr_" + a.id() + "_");
        assertThat(a.hash()).isEqualTo(ApiKeys.hash(a.key())).hasSize(64).doesNotContain(a.key());
        assertThat(a.key()).isNotEqualTo(b.key());
        assertThat(a.toString()).doesNotContain(a.key());
        assertThat(ApiKeys.looksLikeKey("myr_k_12_abc")).isFalse();
    }
}
