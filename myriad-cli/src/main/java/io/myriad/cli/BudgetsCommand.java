package io.myriad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.budget.Budgets;
import io.myriad.core.budget.Ceilings;
import io.myriad.core.budget.PriceTable;
import io.myriad.core.budget.Resource;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.store.Store;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code myriad budgets}: spend against ceilings per tenant and fleet execution; {@code budgets
 * set} stores a tenant's ceilings; {@code budgets prices} lists and edits the price table.
 */
@Command(name = "budgets", mixinStandardHelpOptions = true,
        description = {"Shows spend against ceilings, per tenant and fleet execution (cumulative for a tenant,",
                "per execution for a fleet). Spend is counted from the journal."},
        subcommands = {BudgetsCommand.Set.class, BudgetsCommand.Prices.class})
final class BudgetsCommand implements Callable<Integer>, RemoteClient.Supported {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    DataDir data;

    @Mixin
    Caller caller;

    @Option(names = "--tenant", paramLabel = "T", description = "Only this tenant.")
    String tenant;

    @Option(names = "--json", description = "One JSON document instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Optional<RemoteClient> remote = caller.remote();
        if (remote.isPresent()) {
            return print(out, (ArrayNode) remote.get().get("/v1/budgets" + RemoteClient.query(java.util.Collections.singletonMap(
                    "tenant", tenant)), null).path("tenants"));
        }
        Optional<Store> opened = RunsCommand.openExisting(data, err);
        if (opened.isEmpty()) {
            return Main.EXIT_BAD_INPUT;
        }
        try (Store store = opened.get()) {
            Principal who = caller.principal(store);
            // The document GET /v1/budgets answers, which both print from.
            ArrayNode doc = io.myriad.server.BudgetsResource.document(JSON, store, who, Optional.ofNullable(tenant));
            return print(out, doc);
        }
    }

    /** Prints the tenants' spend as a table, or as JSON without each tenant's ceilings line. */
    private int print(PrintWriter out, ArrayNode doc) {
        if (json) {
            doc.forEach(tn -> ((ObjectNode) tn).remove("ceilings"));
            out.println(doc.toPrettyString());
            return Main.EXIT_OK;
        }
        for (var tn : doc) {
            out.println("tenant " + tn.path("tenant").asText() + "  (" + tn.path("ceilings").asText() + ")");
            print(out, "  tenant total", tn.path("spend"));
            for (var ex : tn.path("executions")) {
                print(out, "  fleet " + ex.path("execution").asText(), ex.path("spend"));
            }
        }
        if (doc.isEmpty()) {
            out.println("no spend and no budgets yet" + (tenant == null ? "" : " for tenant " + tenant));
        }
        return Main.EXIT_OK;
    }

    private static void print(PrintWriter out, String label, com.fasterxml.jackson.databind.JsonNode rows) {
        out.println(label);
        for (var n : rows) {
            String resource = n.path("resource").asText();
            if (resource.equals("wall")) {
                out.printf(Locale.ROOT, "    %-11s ceiling %s per execution%n", "wall",
                        Budgets.format(Resource.WALL, n.path("ceiling").asLong()));
                continue;
            }
            Resource r = Resource.valueOf(resource.toUpperCase(Locale.ROOT));
            double spent = n.path("spent").asDouble();
            if (n.path("ceiling").isNull()) {
                out.printf(Locale.ROOT, "    %-11s %-22s (no ceiling)%n", r.label(), Budgets.format(r, spent));
                continue;
            }
            double ceiling = n.path("ceiling").asDouble();
            out.printf(Locale.ROOT, "    %-11s %-22s of %-22s %5.1f%%%s%n", r.label(), Budgets.format(r, spent),
                    Budgets.format(r, ceiling), n.path("percent").asDouble(),
                    n.path("warning").asBoolean() ? (spent >= ceiling ? "  EXHAUSTED" : "  WARNING") : "");
        }
    }

    /** {@code myriad budgets set}. */
    @Command(name = "set", mixinStandardHelpOptions = true,
            description = {"Sets a tenant's ceilings (cumulative over all its executions). Replaces the earlier ones:",
                    "a ceiling not given is removed. Needs the manage-budgets permission in the tenant."})
    static final class Set implements Callable<Integer>, RemoteClient.Supported {
        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Option(names = "--tenant", paramLabel = "T", required = true, description = "The tenant.")
        String tenant;

        @Option(names = "--usd", paramLabel = "USD", description = "Ceiling in US dollars.")
        Double usd;

        @Option(names = "--tokens", paramLabel = "N", description = "Ceiling in tokens (prompt plus completion).")
        Long tokens;

        @Option(names = "--steps", paramLabel = "N", description = "Ceiling in steps (model calls plus tool calls).")
        Long steps;

        @Option(names = "--tool-calls", paramLabel = "N", description = "Ceiling in tool calls.")
        Long toolCalls;

        @Option(names = "--warn-at", paramLabel = "F", defaultValue = "0.8",
                description = "Warn once when this fraction of a ceiling is used (default ${DEFAULT-VALUE}).")
        double warnAt;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (!io.myriad.cli.fleet.FleetLoader.TENANT_NAME.matcher(tenant).matches()) {
                err.println("myriad: expected a tenant name of 1 to 64 lowercase letters, digits, '.', '_' or '-', got '" + tenant + "'");
                return Main.EXIT_BAD_INPUT;
            }
            Ceilings c;
            try {
                c = new Ceilings(tokens == null ? OptionalLong.empty() : OptionalLong.of(tokens),
                        usd == null ? OptionalDouble.empty() : OptionalDouble.of(usd),
                        steps == null ? OptionalLong.empty() : OptionalLong.of(steps),
                        toolCalls == null ? OptionalLong.empty() : OptionalLong.of(toolCalls), Optional.empty(), warnAt);
            } catch (IllegalArgumentException e) {
                err.println("myriad: " + e.getMessage());
                return Main.EXIT_BAD_INPUT;
            }
            Optional<RemoteClient> remote = caller.remote();
            if (remote.isPresent()) {
                ObjectNode body = JSON.createObjectNode();
                c.usd().ifPresent(v -> body.put("usd", v));
                c.tokens().ifPresent(v -> body.put("tokens", v));
                c.steps().ifPresent(v -> body.put("steps", v));
                c.toolCalls().ifPresent(v -> body.put("tool_calls", v));
                body.put("warn_at", c.warnAt());
                var answer = remote.get().put("/v1/budgets/" + RemoteClient.seg(tenant), body, null);
                out.println("tenant " + tenant + ": " + answer.path("ceilings").asText());
                return Main.EXIT_OK;
            }
            try (Store store = data.openStore()) {
                Principal who = caller.principal(store);
                who.require(Permission.MANAGE_BUDGETS, tenant);
                long now = System.currentTimeMillis();
                store.setTenantCeilings(tenant, c, now);
                store.appendAudit(List.of(new AuditEntry(now, tenant, who.actor(), "budget.set", "tenant:" + tenant,
                        JSON.createObjectNode().put("ceilings", c.describe()).toString()))).join();
                out.println("tenant " + tenant + ": " + c.describe());
                return Main.EXIT_OK;
            }
        }
    }

    /** {@code myriad budgets prices}. */
    @Command(name = "prices", mixinStandardHelpOptions = true,
            description = {"Lists the price table (US dollars per million tokens): built-in entries and stored overrides.",
                    "A model's price: in a fleet file wins for that fleet."},
            subcommands = {PriceSet.class})
    static final class Prices implements Callable<Integer> {
        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Option(names = "--json", description = "JSON instead of a table.")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Map<String, ModelSpec.Pricing> overrides = Map.of();
            if (java.nio.file.Files.exists(data.database())) {
                try (Store store = data.openStore()) {
                    caller.principal(store);
                    overrides = store.priceOverrides();
                }
            }
            PriceTable table = PriceTable.withOverrides(overrides);
            ArrayNode doc = JSON.createArrayNode();
            if (!json) {
                out.printf(Locale.ROOT, "%-24s %12s %12s  %s%n", "model", "input/Mtok", "output/Mtok", "source");
            }
            for (PriceTable.Entry e : table.entries()) {
                doc.addObject().put("model", e.model()).put("input_per_mtok", e.pricing().inputPerMillion())
                        .put("output_per_mtok", e.pricing().outputPerMillion()).put("overridden", e.overridden());
                if (!json) {
                    out.printf(Locale.ROOT, "%-24s %12s %12s  %s%n", e.model(), String.format(Locale.ROOT, "$%.4f", e.pricing().inputPerMillion()),
                            String.format(Locale.ROOT, "$%.4f", e.pricing().outputPerMillion()), e.overridden() ? "stored" : "built-in");
                }
            }
            if (json) {
                out.println(doc.toPrettyString());
            }
            return Main.EXIT_OK;
        }
    }

    /** {@code myriad budgets prices set}. */
    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Stores the price of a model for every tenant; needs manage-budgets in every tenant.")
    static final class PriceSet implements Callable<Integer> {
        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Parameters(index = "0", paramLabel = "MODEL", description = "The model name sent in requests.")
        String model;

        @Option(names = "--input", paramLabel = "USD", required = true, description = "US dollars per million input tokens.")
        double input;

        @Option(names = "--output", paramLabel = "USD", required = true, description = "US dollars per million output tokens.")
        double output;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ModelSpec.Pricing pricing;
            try {
                pricing = new ModelSpec.Pricing(input, output);
            } catch (IllegalArgumentException e) {
                err.println("myriad: " + e.getMessage());
                return Main.EXIT_BAD_INPUT;
            }
            if (model.isBlank()) {
                err.println("myriad: the model name must not be blank");
                return Main.EXIT_BAD_INPUT;
            }
            try (Store store = data.openStore()) {
                Principal who = caller.principal(store);
                if (!who.canEverywhere(Permission.MANAGE_BUDGETS)) {
                    who.require(Permission.MANAGE_BUDGETS, Principal.ALL_TENANTS);
                }
                long now = System.currentTimeMillis();
                store.setPrice(model, pricing, now);
                store.appendAudit(List.of(new AuditEntry(now, Principal.ALL_TENANTS, who.actor(), "price.set", "model:" + model,
                        JSON.createObjectNode().put("input_per_mtok", input).put("output_per_mtok", output).toString()))).join();
                out.printf(Locale.ROOT, "%s: $%.4f input, $%.4f output per million tokens%n", model, input, output);
                return Main.EXIT_OK;
            }
        }
    }
}
