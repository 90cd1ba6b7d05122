package io.myriad.cli;

import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.McpServerSpec;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.message.Mailbox;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.run.AgentRuntime;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolProvider;
import io.myriad.core.secret.SecretException;
import io.myriad.core.secret.Secrets;
import io.myriad.mcp.Backoff;
import io.myriad.mcp.McpServers;
import io.myriad.models.OpenAiChatProvider;
import io.myriad.models.SimulatedModel;
import io.myriad.tools.BuiltinTools;
import io.myriad.tools.ShellTool;
import io.myriad.tools.message.MessageTools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * Assembles the engine's parts for one fleet: tools, model providers, agent runtimes. All
 * wiring is plain code here; nothing is discovered by reflection except tool plug-ins, which
 * come through {@link ServiceLoader}.
 */
final class Wiring implements AutoCloseable {
    /** The model name the in-process simulator answers with; marks a run as simulated in transcripts. */
    static final String SIM_MODEL = "myriad-sim";
    /** An MCP server {@code env} value that names a secret. */
    private static final String SECRET_PREFIX = "secret:";

    private List<Tool> tools;
    private final McpServers mcp;
    private final Map<ModelSpec, ModelProvider> providers = new HashMap<>();
    private final String modelUrl;
    private Boolean urlSimulated;
    private io.myriad.core.budget.PriceTable prices = io.myriad.core.budget.PriceTable.builtIn();
    private io.myriad.core.fleet.DelegationSpec delegation = io.myriad.core.fleet.DelegationSpec.DEFAULT;

    private Wiring(List<Tool> tools, McpServers mcp, String modelUrl) {
        this.tools = tools;
        this.mcp = mcp;
        this.modelUrl = modelUrl;
    }

    /** The tools only coding fleets have ({@code coding} in the fleet file), with their effect. */
    static final Map<String, io.myriad.core.tool.Effect> CODING_TOOLS = Map.of(
            "run_tests", io.myriad.core.tool.Effect.IDEMPOTENT, "submit", io.myriad.core.tool.Effect.IDEMPOTENT);

    /** The effect of a built-in or plug-in tool, to judge a hypothetical call without starting anything. */
    static java.util.Optional<io.myriad.core.tool.Effect> knownEffect(String name) {
        if (CODING_TOOLS.containsKey(name)) {
            return java.util.Optional.of(CODING_TOOLS.get(name));
        }
        if (MessageTools.EFFECTS.containsKey(name)) {
            return java.util.Optional.of(MessageTools.EFFECTS.get(name));
        }
        List<Tool> all = new ArrayList<>(BuiltinTools.create(BuiltinTools.Settings.DEFAULTS, Secrets.none()));
        all.addAll(pluginTools());
        return all.stream().filter(t -> t.name().equals(name)).map(Tool::effect).findFirst();
    }

    /** The names of every tool a fleet may name: built-ins and plug-ins. */
    static Set<String> knownTools() {
        Set<String> names = new LinkedHashSet<>(BuiltinTools.names());
        names.addAll(new java.util.TreeSet<>(CODING_TOOLS.keySet()));
        names.addAll(new java.util.TreeSet<>(MessageTools.EFFECTS.keySet()));
        pluginTools().forEach(t -> names.add(t.name()));
        return names;
    }

    /**
     * Creates the fleet's tools, starting its MCP servers and listing their tools; {@link #close()}
     * stops the servers.
     *
     * @param modelUrl when non-null, every agent talks to this OpenAI-compatible endpoint instead
     *                 of its own model
     * @throws io.myriad.mcp.McpException when an MCP server does not start
     */
    static Wiring forFleet(FleetSpec fleet, String modelUrl) {
        return forFleet(fleet, modelUrl, Secrets.none());
    }

    /**
     * As {@link #forFleet(FleetSpec, String)}, with the fleet's resolved {@code secrets}: the
     * HTTP tools replace {@code {{secret:NAME}}} in headers, MCP servers get {@code secret:NAME}
     * environment values as the values, and the servers' stderr is redacted.
     */
    static Wiring forFleet(FleetSpec fleet, String modelUrl, Secrets secrets) {
        var d = BuiltinTools.Settings.DEFAULTS;
        List<Tool> tools = new ArrayList<>(BuiltinTools.create(
                new BuiltinTools.Settings(fleet.httpAllowHosts(), d.httpTimeout(), d.maxReadBytes(), d.maxHttpBytes(),
                        fleet.httpAllowPrivate()).withShell(ShellTool.Settings.DEFAULTS.withSandbox(
                                ShellTool.Settings.parseMode(fleet.shellSandbox()))).withA2aAgents(fleet.a2a().agents()),
                secrets));
        tools.addAll(pluginTools());
        McpServers mcp = fleet.mcpServers().isEmpty() ? McpServers.none()
                : McpServers.start(fleet.mcpServers().values().stream().map(s -> withSecrets(s, secrets)).toList(),
                        Backoff.DEFAULT, secrets.redactor());
        tools.addAll(mcp.tools());
        Wiring w = new Wiring(List.copyOf(tools), mcp, modelUrl);
        w.delegation = fleet.orchestration().delegation();
        return w;
    }

    /** {@code spec} with each {@code env} value {@code secret:NAME} replaced by the secret's value. */
    static McpServerSpec withSecrets(McpServerSpec spec, Secrets secrets) {
        if (!(spec.transport() instanceof McpServerSpec.Transport.Stdio stdio)) {
            return spec;
        }
        Map<String, String> env = new java.util.LinkedHashMap<>();
        stdio.env().forEach((key, value) -> env.put(key, value.startsWith(SECRET_PREFIX)
                ? secrets.value(value.substring(SECRET_PREFIX.length()).strip()).orElseThrow(() -> new SecretException(
                        "MCP server " + spec.name() + ": env " + key + " names secret '" + value.substring(SECRET_PREFIX.length())
                                + "', which the fleet does not declare under secrets"))
                : value));
        return new McpServerSpec(spec.name(), new McpServerSpec.Transport.Stdio(stdio.command(), env, stdio.cwd()),
                spec.effect(), spec.toolEffects(), spec.timeout());
    }

    /**
     * The MCP tools agents name that their servers turned out not to offer, each with what the
     * server does offer; {@code mcp.<server>.*} (every tool of the server) is never missing.
     */
    List<String> missingMcpTools(FleetSpec fleet) {
        return mcp.missing(fleet.agents().values().stream().flatMap(a -> a.tools().stream())
                .filter(t -> !t.endsWith(".*")).distinct().toList());
    }

    /** The agent's tool names with each {@code mcp.<server>.*} replaced by every tool of the server. */
    private List<String> expandTools(List<String> names) {
        List<String> expanded = new ArrayList<>();
        for (String name : names) {
            if (name.startsWith(McpServerSpec.TOOL_PREFIX) && name.endsWith(".*")) {
                String prefix = name.substring(0, name.length() - 1);
                tools.stream().map(Tool::name).filter(n -> n.startsWith(prefix) && !expanded.contains(n)).forEach(expanded::add);
            } else if (!expanded.contains(name)) {
                expanded.add(name);
            }
        }
        return expanded;
    }

    /**
     * Adds tools made for this fleet's execution (a coding fleet's), replacing a tool of the same
     * name; before any {@link #runtime}.
     */
    void addTools(List<Tool> more) {
        Set<String> names = new java.util.HashSet<>();
        more.forEach(t -> names.add(t.name()));
        List<Tool> all = new ArrayList<>(tools.stream().filter(t -> !names.contains(t.name())).toList());
        all.addAll(more);
        tools = List.copyOf(all);
    }

    /** Adds {@code message.send} and {@code message.read} over {@code mailbox}, typed by the fleet's {@code messages}. */
    void addMessaging(Mailbox mailbox, FleetSpec fleet) {
        addTools(MessageTools.create(mailbox, fleet.messaging(), io.myriad.tools.JsonSchemaValidator.create()));
    }

    /** Tools from jars on the class path that provide {@link ToolProvider}. */
    private static List<Tool> pluginTools() {
        List<Tool> tools = new ArrayList<>();
        ServiceLoader.load(ToolProvider.class).forEach(p -> tools.addAll(p.tools()));
        return tools;
    }

    AgentRuntime runtime(AgentSpec declared) {
        AgentSpec spec = declared.withTools(expandTools(declared.tools()));
        ModelSpec model = effectiveModel(spec.model());
        ModelProvider provider = providers.computeIfAbsent(model, Wiring::provider);
        List<Tool> available = tools;
        if (!spec.delegates().isEmpty() || !spec.handoffs().isEmpty()) {
            // The engine's own tools, made for this agent: they name the agents it may reach.
            available = new ArrayList<>(tools);
            if (!spec.delegates().isEmpty()) {
                available.add(new io.myriad.core.run.DelegateTool(delegation, spec.delegates()));
            }
            if (!spec.handoffs().isEmpty()) {
                available.add(new io.myriad.core.run.HandoffTool(spec.handoffs()));
            }
        }
        AgentRuntime runtime = AgentRuntime.bind(spec, provider, modelName(model), pricing(model), available);
        if (spec.fallback() == null) {
            return runtime;
        }
        ModelSpec fallback = effectiveModel(spec.fallback());
        return runtime.withFallback(new AgentRuntime.Model(
                providers.computeIfAbsent(fallback, Wiring::provider), modelName(fallback), pricing(fallback)));
    }

    /** What every agent of the fleet talks to, for the header and summary. */
    String describeModels(FleetSpec fleet) {
        return fleet.agents().values().stream()
                .map(a -> effectiveModel(a.model()).describe()
                        + (a.fallback() == null ? "" : " (fallback: " + effectiveModel(a.fallback()).describe() + ")"))
                .distinct().reduce((a, b) -> a + ", " + b).orElse("none");
    }

    /** True when any agent of the fleet talks to a simulated model (its fallback included). */
    boolean anySimulated(FleetSpec fleet) {
        return fleet.agents().values().stream()
                .flatMap(a -> java.util.stream.Stream.concat(java.util.stream.Stream.of(a.model()), a.fallbackIfAny().stream()))
                .map(this::effectiveModel).anyMatch(Wiring::simulated);
    }

    ModelSpec effectiveModel(ModelSpec declared) {
        if (modelUrl == null) {
            return declared;
        }
        if (urlSimulated == null) {
            urlSimulated = OpenAiChatProvider.detectSimulated(modelUrl, Duration.ofSeconds(5));
        }
        return switch (declared) {
            case ModelSpec.OpenAiCompatible o ->
                    new ModelSpec.OpenAiCompatible(modelUrl, o.name(), o.apiKeyEnv(), o.timeout(), o.pricing(), urlSimulated);
            case ModelSpec.Simulated s ->
                    new ModelSpec.OpenAiCompatible(modelUrl, SIM_MODEL, "", Duration.ofSeconds(60), ModelSpec.Pricing.FREE, urlSimulated);
        };
    }

    static boolean simulated(ModelSpec spec) {
        return switch (spec) {
            case ModelSpec.Simulated s -> true;
            case ModelSpec.OpenAiCompatible o -> o.simulated();
        };
    }

    private static ModelProvider provider(ModelSpec spec) {
        return switch (spec) {
            case ModelSpec.Simulated s -> SimulatedModel.create(s);
            case ModelSpec.OpenAiCompatible o -> OpenAiChatProvider.builder()
                    .baseUrl(o.baseUrl())
                    .model(o.name())
                    .apiKey(apiKey(o.apiKeyEnv()))
                    .timeout(o.timeout())
                    .simulated(o.simulated())
                    .build();
        };
    }

    private static String apiKey(String env) {
        if (env.isBlank()) {
            return "";
        }
        String key = System.getenv(env);
        return key == null ? "" : key;
    }

    private static String modelName(ModelSpec spec) {
        return switch (spec) {
            case ModelSpec.Simulated s -> SIM_MODEL;
            case ModelSpec.OpenAiCompatible o -> o.name();
        };
    }

    /** Prices models from {@code prices} unless the fleet file prices them ({@code price:} wins). */
    Wiring prices(io.myriad.core.budget.PriceTable prices) {
        this.prices = java.util.Objects.requireNonNull(prices, "prices");
        return this;
    }

    /**
     * What a model's tokens cost: its {@code price:} in the fleet file when it has a non-zero one,
     * else the price table's entry for its name, else free.
     */
    private ModelSpec.Pricing pricing(ModelSpec spec) {
        return switch (spec) {
            case ModelSpec.Simulated s -> prices.price(SIM_MODEL).orElse(ModelSpec.Pricing.FREE);
            case ModelSpec.OpenAiCompatible o -> !o.pricing().equals(ModelSpec.Pricing.FREE) ? o.pricing()
                    : prices.price(o.name()).orElse(ModelSpec.Pricing.FREE);
        };
    }

    /** Environment variables named by agents' models that are not set, for a warning before the run. */
    List<String> missingKeys(FleetSpec fleet) {
        return fleet.agents().values().stream().map(a -> effectiveModel(a.model()))
                .filter(m -> m instanceof ModelSpec.OpenAiCompatible o && !o.apiKeyEnv().isBlank()
                        && apiKey(o.apiKeyEnv()).isEmpty())
                .map(m -> ((ModelSpec.OpenAiCompatible) m).apiKeyEnv()).distinct().toList();
    }

    @Override
    public void close() {
        try {
            providers.values().forEach(ModelProvider::close);
        } finally {
            mcp.close();
        }
    }
}
