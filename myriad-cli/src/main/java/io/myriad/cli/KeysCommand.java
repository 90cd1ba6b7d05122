package io.myriad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.cli.fleet.FleetLoader;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.auth.AccessDenied;
import io.myriad.core.auth.AccessStore;
import io.myriad.core.auth.ApiKeys;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.auth.Role;
import io.myriad.store.Store;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code myriad keys}: API keys, the principals of an install. Keys are shown once and stored
 * only as SHA-256 hashes. The first key must be an administrator's ({@code --admin}: owner of
 * every tenant); from then on every command needs a key.
 */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = {"Creates, lists and revokes API keys. A key holds roles in tenants: owner, operator (run and",
                "stop fleets), approver, viewer, auditor (read the audit log). While an install has no keys, you act",
                "as its owner; once a key exists, every command needs one (--api-key or $MYRIAD_API_KEY)."},
        subcommands = {KeysCommand.Create.class, KeysCommand.Ls.class, KeysCommand.Revoke.class})
final class KeysCommand {
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The tenant named in audit records of install-wide actions (administrator keys, new tenants). */
    static final String INSTALL = Principal.ALL_TENANTS;

    private KeysCommand() {}

    /** {@code myriad keys create}. */
    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Creates a key and prints it once. Examples:%n"
                    + "  myriad keys create --name admin --admin%n"
                    + "  myriad keys create --name alice --tenant acme --role operator --role approver")
    static final class Create implements Callable<Integer>, RemoteClient.Supported {
        @Option(names = "--name", required = true, paramLabel = "NAME", description = "Who holds the key (a person or a program).")
        String name;

        @Option(names = "--admin", description = "Owner of every tenant, present and future; may create tenants and keys anywhere.")
        boolean admin;

        @Option(names = "--tenant", paramLabel = "TENANT", description = "The tenant the roles hold in.")
        String tenant;

        @Option(names = "--role", paramLabel = "ROLE", description = "owner, operator, approver, viewer or auditor; repeatable.")
        List<String> roles;

        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            if (name.isBlank() || name.length() > 64) {
                throw new IllegalArgumentException("--name: 1 to 64 characters");
            }
            Map<String, Set<Role>> grants = new TreeMap<>();
            if (admin) {
                if (tenant != null || roles != null) {
                    throw new IllegalArgumentException("--admin holds every role in every tenant: leave out --tenant and --role");
                }
                grants.put(Principal.ALL_TENANTS, EnumSet.of(Role.OWNER));
            } else {
                if (tenant == null || roles == null || roles.isEmpty()) {
                    throw new IllegalArgumentException("a key needs --admin, or --tenant and at least one --role");
                }
                if (!FleetLoader.TENANT_NAME.matcher(tenant).matches()) {
                    throw new IllegalArgumentException("--tenant: expected 1 to 64 lowercase letters, digits, '.', '_' or '-', got '"
                            + tenant + "'");
                }
                Set<Role> set = EnumSet.noneOf(Role.class);
                roles.forEach(r -> set.add(Role.parse(r)));
                grants.put(tenant, set);
            }
            var remote = caller.remote();
            if (remote.isPresent()) {
                Principal who = RemoteClient.principal(remote.get().get("/v1/whoami", null));
                ObjectNode body = JSON.createObjectNode().put("name", name);
                if (admin) {
                    body.put("admin", true);
                } else {
                    body.put("tenant", tenant);
                    ArrayNode rs = body.putArray("roles");
                    grants.get(tenant).forEach(r -> rs.add(r.label()));
                }
                var answer = remote.get().post("/v1/keys", body, null);
                return report(out, answer.path("id").asText(), answer.path("name").asText(), grants, answer.path("key").asText(), who);
            }
            try (Store s = data.openStore()) {
                Principal who = caller.principal(s);
                if (admin) {
                    if (!who.canEverywhere(Permission.MANAGE_ACCESS)) {
                        throw new AccessDenied(who.name() + " may not create administrator keys: that needs an administrator key");
                    }
                } else {
                    who.require(Permission.MANAGE_ACCESS, tenant);
                }
                if (!admin && !s.hasActiveKeys()) {
                    throw new IllegalArgumentException("the first key of an install must be an administrator's "
                            + "(myriad keys create --name NAME --admin): once a key exists, every command needs one, "
                            + "and nobody could create keys for other tenants");
                }
                long now = System.currentTimeMillis();
                if (!admin) {
                    s.createTenant(tenant, now, who.actor());
                }
                ApiKeys.Issued issued = ApiKeys.issue();
                var row = new AccessStore.KeyRow(issued.id(), name.strip(), issued.hash(), grants, now, who.actor(), 0);
                s.createKey(row);
                s.appendAudit(List.of(new AuditEntry(now, admin ? INSTALL : tenant, who.actor(), "access.key_created",
                        ApiKeys.principalId(issued.id()), JSON.createObjectNode().put("name", row.name())
                                .put("grants", describe(grants)).toString()))).join();
                return report(out, issued.id(), row.name(), grants, issued.key(), who);
            }
        }

        private static int report(PrintWriter out, String id, String name, Map<String, Set<Role>> grants, String key,
                Principal who) {
            out.println("key " + id + " for " + name + ": " + describe(grants));
            out.println(key);
            out.println("(shown once: store it now. Use it with --api-key KEY or MYRIAD_API_KEY=KEY)");
            if (who.kind() == Principal.Kind.IMPLICIT_OWNER) {
                out.println("this install now requires a key for every command");
            }
            return Main.EXIT_OK;
        }
    }

    /** {@code myriad keys ls}. */
    @Command(name = "ls", mixinStandardHelpOptions = true,
            description = "Lists the keys of the tenants whose access you manage (never the keys themselves).")
    static final class Ls implements Callable<Integer>, RemoteClient.Supported {
        @Option(names = "--json", description = "One JSON array.")
        boolean json;

        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            var remote = caller.remote();
            if (remote.isPresent()) {
                List<AccessStore.KeyRow> keys = new java.util.ArrayList<>();
                remote.get().get("/v1/keys", null).path("keys").forEach(k -> keys.add(RemoteClient.key(k)));
                return print(out, keys);
            }
            var store = RunsCommand.openExisting(data, spec.commandLine().getErr());
            if (store.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            try (Store s = store.get()) {
                Principal who = caller.principal(s);
                Access.scope(who, Permission.MANAGE_ACCESS);
                return print(out, s.keys().stream().filter(k -> manages(who, k)).toList());
            }
        }

        private int print(PrintWriter out, List<AccessStore.KeyRow> keys) {
            if (json) {
                ArrayNode arr = JSON.createArrayNode();
                for (var k : keys) {
                    ObjectNode o = arr.addObject();
                    o.put("id", k.id()).put("name", k.name()).put("grants", describe(k.grants()))
                            .put("created_at", Instant.ofEpochMilli(k.createdAt()).toString()).put("created_by", k.createdBy())
                            .put("active", k.active());
                }
                out.println(arr);
                return Main.EXIT_OK;
            }
            Table t = new Table("KEY", "NAME", "ROLES", "CREATED", "BY", "STATE");
            for (var k : keys) {
                t.add(k.id(), k.name(), describe(k.grants()), TIME.format(Instant.ofEpochMilli(k.createdAt())), k.createdBy(),
                        k.active() ? "active" : "revoked " + TIME.format(Instant.ofEpochMilli(k.revokedAt())));
            }
            t.print(out);
            if (keys.isEmpty()) {
                out.println("(no keys: single-user install)");
            }
            return Main.EXIT_OK;
        }
    }

    /** {@code myriad keys revoke ID}. */
    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revokes a key at once; it cannot be restored.")
    static final class Revoke implements Callable<Integer>, RemoteClient.Supported {
        @Parameters(paramLabel = "ID", description = "The key's id (k_...), as listed by `myriad keys ls`.")
        String id;

        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var remote = caller.remote();
            if (remote.isPresent()) {
                var answer = remote.get().delete("/v1/keys/" + RemoteClient.seg(id), null);
                spec.commandLine().getOut().println("key " + id + " (" + answer.path("name").asText() + ") revoked");
                return Main.EXIT_OK;
            }
            var store = RunsCommand.openExisting(data, spec.commandLine().getErr());
            if (store.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            try (Store s = store.get()) {
                Principal who = caller.principal(s);
                AccessStore.KeyRow key = s.key(id).filter(k -> manages(who, k))
                        .orElseThrow(() -> new Access.NotFound("no key " + id + " among the keys you manage"));
                if (!key.active()) {
                    throw new IllegalArgumentException("key " + id + " is already revoked");
                }
                boolean adminKey = key.grants().containsKey(Principal.ALL_TENANTS);
                if (adminKey) {
                    long otherAdmins = s.keys().stream().filter(k -> k.active() && !k.id().equals(id)
                            && k.grants().containsKey(Principal.ALL_TENANTS)).count();
                    long others = s.keys().stream().filter(k -> k.active() && !k.id().equals(id)).count();
                    if (otherAdmins == 0 && others > 0) {
                        throw new IllegalArgumentException("key " + id + " is the last administrator key: create another "
                                + "(myriad keys create --name NAME --admin) before revoking it");
                    }
                }
                long now = System.currentTimeMillis();
                s.revokeKey(id, now);
                String tenant = adminKey || key.grants().size() != 1 ? INSTALL : key.grants().keySet().iterator().next();
                s.appendAudit(List.of(new AuditEntry(now, tenant, who.actor(), "access.key_revoked",
                        ApiKeys.principalId(id), JSON.createObjectNode().put("name", key.name()).toString()))).join();
                spec.commandLine().getOut().println("key " + id + " (" + key.name() + ") revoked");
                return Main.EXIT_OK;
            }
        }
    }

    /** Whether {@code who} manages access in every tenant the key holds roles in. */
    static boolean manages(Principal who, AccessStore.KeyRow key) {
        return who.managesAll(key.grants());
    }

    static String describe(Map<String, Set<Role>> grants) {
        return Principal.describe(grants);
    }
}
