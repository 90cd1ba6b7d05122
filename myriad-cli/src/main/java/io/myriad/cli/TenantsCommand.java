package io.myriad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.cli.fleet.FleetLoader;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.auth.AccessDenied;
import io.myriad.core.auth.AccessStore;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.store.Store;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code myriad tenants} and {@code myriad whoami}: who owns what, and who you are. */
@Command(name = "tenants", mixinStandardHelpOptions = true,
        description = "Lists tenants (the owners of fleets, runs and budgets) and creates them.",
        subcommands = {TenantsCommand.Ls.class, TenantsCommand.Create.class})
final class TenantsCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TenantsCommand() {}

    /** {@code myriad tenants ls}. */
    @Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists the tenants you may see.")
    static final class Ls implements Callable<Integer>, RemoteClient.Supported {
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
                List<AccessStore.TenantRow> rows = new ArrayList<>();
                remote.get().get("/v1/tenants", null).path("tenants").forEach(t -> rows.add(RemoteClient.tenant(t)));
                return print(out, rows);
            }
            var store = RunsCommand.openExisting(data, spec.commandLine().getErr());
            if (store.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            try (Store s = store.get()) {
                Principal who = caller.principal(s);
                return print(out, s.tenants().stream().filter(t -> who.can(Permission.VIEW, t.name())).toList());
            }
        }

        private static int print(PrintWriter out, List<AccessStore.TenantRow> rows) {
            Table t = new Table("TENANT", "SINCE", "CREATED BY");
            rows.forEach(r -> t.add(r.name(), KeysCommand.TIME.format(Instant.ofEpochMilli(r.createdAt())),
                    r.createdBy().isEmpty() ? "(its first fleet)" : r.createdBy()));
            t.print(out);
            if (rows.isEmpty()) {
                out.println("(no tenants you may see)");
            }
            return Main.EXIT_OK;
        }
    }

    /** {@code myriad tenants create NAME}. */
    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Creates a tenant (administrators only). Fleets name their tenant with the key `tenant:`.")
    static final class Create implements Callable<Integer>, RemoteClient.Supported {
        @Parameters(paramLabel = "NAME", description = "1 to 64 lowercase letters, digits, '.', '_' or '-'.")
        String name;

        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (!FleetLoader.TENANT_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("expected a tenant name of 1 to 64 lowercase letters, digits, '.', '_' or '-', got '"
                        + name + "'");
            }
            var remote = caller.remote();
            if (remote.isPresent()) {
                return report(remote.get().post("/v1/tenants", JSON.createObjectNode().put("name", name), null)
                        .path("created").asBoolean());
            }
            try (Store s = data.openStore()) {
                Principal who = caller.principal(s);
                if (!who.canEverywhere(Permission.MANAGE_ACCESS)) {
                    throw new AccessDenied(who.name() + " may not create tenants: that needs an administrator key");
                }
                long now = System.currentTimeMillis();
                if (!s.createTenant(name, now, who.actor())) {
                    return report(false);
                }
                s.appendAudit(List.of(new AuditEntry(now, name, who.actor(), "access.tenant_created", name,
                        JSON.createObjectNode().toString()))).join();
                return report(true);
            }
        }

        private int report(boolean created) {
            spec.commandLine().getOut().println(created ? "tenant " + name + " created; give people roles in it with: "
                    + "myriad keys create --name NAME --tenant " + name + " --role operator" : "tenant " + name + " exists");
            return Main.EXIT_OK;
        }
    }

    /** {@code myriad whoami}. */
    @Command(name = "whoami", mixinStandardHelpOptions = true, description = "Says who you act as, and your roles.")
    static final class Whoami implements Callable<Integer>, RemoteClient.Supported {
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
                return print(out, RemoteClient.principal(remote.get().get("/v1/whoami", null)));
            }
            try (Store s = data.openStore()) {
                return print(out, caller.principal(s));
            }
        }

        private static int print(PrintWriter out, Principal who) {
            out.println(Access.describe(who));
            out.println("roles: " + KeysCommand.describe(who.grants()));
            return Main.EXIT_OK;
        }
    }
}
