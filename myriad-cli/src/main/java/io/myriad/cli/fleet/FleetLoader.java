package io.myriad.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.fleet.A2aSpec;
import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.Orchestration;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.run.DelegateTool;
import io.myriad.core.run.HandoffTool;
import io.myriad.core.fleet.ApprovalSpec;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.ProviderLimit;
import io.myriad.core.fleet.Limits;
import io.myriad.core.fleet.McpServerSpec;
import io.myriad.core.fleet.MessagingSpec;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.fleet.SecretSpec;
import io.myriad.core.gateway.Resilience;
import io.myriad.core.policy.Policy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import io.myriad.core.budget.Ceilings;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads and validates a fleet file (YAML) and its tasks into a {@link FleetSpec}.
 *
 * <p>The whole file, and its JSONL tasks file if it names one, is checked before anything runs,
 * and every problem found is reported at once, each with its file, line and column and what was
 * expected there. The format:
 *
 * <pre>{@code
 * fleet: hello                 # required: [a-z0-9][a-z0-9._-]{0,63}
 * model: sim                   # default sim; agents may override (see below)
 * concurrency: 50              # 1..10000000, default 16
 * tasks:                       # required: an inline list, or the path of a JSONL file
 *   - "a plain string is the input"
 *   - {id: t2, input: {any: object}, agent: writer, priority: 5}
 * agents:                      # required, at least one
 *   writer:
 *     instructions: "..."      # required
 *     model: openai:gpt-4.1-mini
 *     tools: [fs.read, fs.write]
 *     limits: {max_steps: 20, max_tokens: 30000, max_wall: 5m}
 *     output_schema: {type: object}
 *     max_output_tokens: 1024
 *     temperature: 0.2         # 0..2
 * http:
 *   allow_hosts: [api.example.com, "*.example.org"]
 *   allow_private: false       # true lets the HTTP tools reach loopback, private, link-local addresses
 * retry:                       # optional; each key defaults to Resilience.DEFAULT
 *   {max_attempts: 6, base_delay: 250ms, max_delay: 20s, budget_ratio: 0.5, budget_min_per_second: 5}
 * circuit_breaker:             # optional, per provider
 *   {failures: 5, open_for: 5s, max_open_for: 2m}
 * mcp:                         # optional: MCP servers; agents name their tools mcp.<server>.<tool>
 *   fs: {command: [node, server.js, data], env: {K: V}, cwd: tools, effects: read_only, timeout: 30s}
 *   crm: {url: http://localhost:3001/mcp, tool_effects: {lookup: read_only}}
 *   db: {command: [db-server], env: {DB_PASSWORD: "secret:DB_PASS"}}   # the value, set when it starts
 * secrets:                     # optional: names and where values are read from, never values
 *   CRM_TOKEN: env:CRM_TOKEN   # an environment variable
 *   DB_PASS: file:             # the default secrets file, ~/.config/myriad/secrets (NAME=value lines)
 *   OTHER: file:/etc/x/secrets # a secrets file; must be private to its owner (chmod 600)
 * policy:                      # optional; without it every tool an agent lists is allowed
 *   - {id: no-secrets, effect: deny, tool: "fs.*", when: {path: "secrets/**"}}
 *   - {effect: allow, tool: fs.write, agent: writer, when: {path: "src/**"}}
 *   - {effect: needs_approval, tool: ledger.pay, when: {amount: ">= 500"}}
 * policy_file: policy.yaml     # optional: more rules, the same list in a YAML file
 * tenant: acme                 # optional: the tenant that owns the fleet (default: default)
 * budget: {usd: 5, tokens: 1000000, steps: 5000, tool_calls: 2000, wall: 1h, warn_at: 0.8}
 * coding: {tasks: swe-tasks.jsonl, agent: engineer}
 * messages: {types: {finding: {schema: {type: object}}}}
 *                              # optional: the message types runs may send (message.send); see MessagesReader
 *                              # optional: a fleet of software engineers (see CodingReader); replaces tasks
 *                              # optional: ceilings on each execution of the fleet
 * }</pre>
 *
 * <p>With a {@code policy} or {@code policy_file} key, a call no rule allows runs only when its
 * tool is read-only, and an explicit deny beats any allow (see {@link Policy}).
 *
 * <p>A model is {@code sim}, {@code sim:<scenario>} (tools, answer or script),
 * {@code openai:<name>}, {@code {sim: {scenario, tool_calls, latency, seed, context_window}}} or
 * {@code {base_url, name, api_key_env, timeout, price: {input_per_mtok, output_per_mtok},
 * simulated}}. Durations are written {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, or as a
 * bare integer of seconds. A JSONL tasks file (resolved against the fleet file's folder) holds one
 * task per non-blank line: a JSON object {@code {id?, input, agent?, priority?}} or a JSON string.
 * Task ids default to {@code t<n>} (position in the list, or line number) and must be unique.
 */
public final class FleetLoader {
    private static final Pattern FLEET_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    /** Tenant names: the same shape as fleet names. */
    public static final Pattern TENANT_NAME = FLEET_NAME;
    private static final Pattern AGENT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern HOST = Pattern.compile(
            "(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final List<String> ROOT_KEYS = List.of(
            "fleet", "model", "concurrency", "tasks", "agents", "http", "retry", "circuit_breaker", "mcp", "secrets",
            "shell", "policy", "policy_file", "tenant", "budget", "approvals", "coding", "intake", "delegation", "reduce", "messages", "a2a",
            "provider_limit");
    private static final List<String> PROVIDER_LIMIT_KEYS = List.of("name", "concurrency");
    private static final Pattern LIMIT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final List<String> BUDGET_KEYS = List.of("usd", "tokens", "steps", "tool_calls", "wall", "warn_at");
    private static final List<String> APPROVAL_KEYS = List.of("expire_after", "max_pending");
    /** The longest an approval may stay open. */
    private static final Duration MAX_APPROVAL_EXPIRY = Duration.ofDays(90);
    /** The largest cap of pending approvals per execution. */
    private static final int MAX_PENDING_APPROVALS = 1_000_000;
    private static final List<String> AGENT_KEYS = List.of(
            "instructions", "model", "fallback_model", "tools", "limits", "output_schema", "max_output_tokens", "temperature",
            "delegates", "handoffs");
    private static final List<String> LIMIT_KEYS = List.of("max_steps", "max_tokens", "max_wall", "max_repeats", "max_idle_steps",
            "max_usd", "max_tool_calls");
    private static final List<String> HTTP_KEYS = List.of("allow_hosts", "allow_private");
    private static final List<String> SHELL_KEYS = List.of("sandbox");
    private static final List<String> SANDBOXES = List.of("bubblewrap", "none");
    private static final List<String> RETRY_KEYS = List.of(
            "max_attempts", "base_delay", "max_delay", "budget_ratio", "budget_min_per_second");
    private static final List<String> BREAKER_KEYS = List.of("failures", "open_for", "max_open_for");
    static final int DEFAULT_CONCURRENCY = 16;
    /** Tools that exist only in coding fleets: they work on the run's coding task. */
    private static final Set<String> CODING_TOOLS = Set.of("run_tests", "submit");

    private FleetLoader() {}

    /**
     * Loads the fleet file at {@code file}.
     *
     * @param file       the fleet file; {@link FleetSpec#source()} is this path as given
     * @param knownTools the tool names agents may list; anything else is reported as unknown
     * @return the validated fleet, its digest covering the fleet file and its tasks file
     * @throws FleetFileException listing every problem in the fleet file and its tasks file,
     *                            or that a file cannot be read
     * @throws NullPointerException if an argument is null
     */
    /**
     * A policy document (the rules a {@code policy_file} holds) for a running fleet, checked against
     * its agents; with {@code fleet} null, checked on its own.
     *
     * @throws FleetFileException naming each problem with its line and column
     */
    public static io.myriad.core.policy.Policy policyFor(FleetSpec fleet, String source, String text) {
        return PolicyReader.parse(text.getBytes(java.nio.charset.StandardCharsets.UTF_8), source,
                fleet == null ? List.of() : List.copyOf(fleet.agents().keySet()));
    }

    public static FleetSpec load(Path file, Set<String> knownTools) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(knownTools, "knownTools");
        String source = file.toString();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw single(source, "fleet file not found (looked for " + file.toAbsolutePath().normalize() + ")");
        } catch (IOException e) {
            throw single(source, "cannot read the fleet file: " + e.getMessage());
        }
        return parse(source, bytes, file, Set.copyOf(knownTools));
    }

    /** Validates fleet file {@code bytes}; {@code file} locates a relative tasks file. */
    static FleetSpec parse(String source, byte[] bytes, Path file, Set<String> knownTools) {
        Problems problems = new Problems(source);
        MessageDigest digest = sha256();
        digest.update(bytes);
        Node root = NodeReader.yaml(bytes, problems).orElseThrow(problems::exception);
        if (!(root instanceof Node.Mapping mapping)) {
            problems.at(root, root instanceof Node.Scalar s && s.kind() == Node.Kind.NULL
                    ? "the fleet file is empty; expected a mapping with at least the keys fleet, agents and tasks"
                    : "expected a mapping with the keys " + String.join(", ", ROOT_KEYS) + ", got " + root.describe());
            throw problems.exception();
        }
        Fields f = Fields.of(mapping, "the fleet file", new Fields.Owner(1, 1), problems, ROOT_KEYS);
        Optional<String> name = f.required("fleet").flatMap(n -> Values.string(n, problems).filter(s -> {
            boolean ok = FLEET_NAME.matcher(s).matches();
            if (!ok) {
                problems.at(n, "expected a fleet name of 1 to 64 lowercase letters, digits, '.', '_' or '-', "
                        + "starting with a letter or digit, got " + n.describe());
            }
            return ok;
        }));
        String tenant = f.get("tenant").flatMap(n -> Values.string(n, problems).filter(s -> {
            boolean ok = TENANT_NAME.matcher(s).matches();
            if (!ok) {
                problems.at(n, "expected a tenant name of 1 to 64 lowercase letters, digits, '.', '_' or '-', "
                        + "starting with a letter or digit, got " + n.describe());
            }
            return ok;
        })).orElse(FleetSpec.DEFAULT_TENANT);
        ModelSpec fleetModel = f.get("model").flatMap(n -> ModelSpecParser.parse(n, problems))
                .orElse(ModelSpec.Simulated.DEFAULT);
        int concurrency = f.integer("concurrency", 1, 10_000_000).orElse((long) DEFAULT_CONCURRENCY).intValue();
        Map<String, SecretSpec> secrets = f.get("secrets").map(n -> SecretsReader.read(n, problems)).orElse(Map.of());
        List<String> secretNames = SecretsReader.declared(f.get("secrets"));
        Map<String, McpServerSpec> mcp = f.get("mcp")
                .map(n -> McpReader.read(n, file.toAbsolutePath().getParent(), secretNames, problems)).orElse(Map.of());
        List<String> agentNames = new ArrayList<>();
        Map<String, AgentSpec> agents = f.required("agents")
                .map(n -> agents(n, fleetModel, knownTools, McpReader.declared(f.get("mcp")), agentNames, problems))
                .orElse(Map.of());
        Http http = f.get("http").map(n -> http(n, problems)).orElse(new Http(List.of(), false));
        Resilience resilience = resilience(f, problems);
        String sandbox = f.get("shell").map(n -> shellSandbox(n, problems)).orElse(FleetSpec.SANDBOX_BUBBLEWRAP);
        Policy policy = PolicyReader.read(f.get("policy"), f.get("policy_file"), file, agentNames, digest, problems);
        Ceilings budget = f.get("budget").map(n -> budget(n, problems)).orElse(Ceilings.NONE);
        ApprovalSpec approvals = approvals(f, problems);
        TaskReader tasks = new TaskReader(problems, agentNames);
        // A map-reduce fleet with one agent besides its reducer: tasks that name no agent are that agent's.
        f.get("reduce").filter(Node.Mapping.class::isInstance).map(Node.Mapping.class::cast)
                .flatMap(m -> Optional.ofNullable(m.entries().get("agent")))
                .filter(e -> e.value() instanceof Node.Scalar sc && sc.value() instanceof String)
                .map(e -> (String) ((Node.Scalar) e.value()).value())
                .map(reducer -> agentNames.stream().filter(n -> !n.equals(reducer)).toList())
                .filter(mappers -> mappers.size() == 1).ifPresent(mappers -> tasks.defaultAgent(mappers.getFirst()));
        boolean intakeOpen = f.get("intake").map(n -> intake(n, problems)).orElse(false);
        MessagingSpec messaging = f.get("messages").map(n -> MessagesReader.read(n, problems)).orElse(MessagingSpec.NONE);
        A2aSpec a2a = f.get("a2a").map(n -> A2aReader.read(n, intakeOpen, secretNames, problems)).orElse(A2aSpec.NONE);
        Optional<CodingReader.Coding> coding = Optional.empty();
        if (f.get("coding").isPresent()) {
            f.get("intake").filter(n -> intakeOpen).ifPresent(n -> problems.at(n, "a coding fleet takes its tasks from "
                    + "coding.tasks; remove 'intake: open'"));
            f.get("tasks").ifPresent(n -> problems.at(n, "a coding fleet takes its tasks from coding.tasks (or "
                    + "coding.samples); remove the fleet's 'tasks' key"));
            coding = CodingReader.read(f.get("coding").orElseThrow(), file, agents, agentNames, concurrency, digest, problems);
        } else if (intakeOpen) {
            // An open fleet may start without tasks: they come over the API while it runs.
            f.get("tasks").filter(n -> !(n instanceof Node.Scalar s && s.kind() == Node.Kind.NULL)
                    && !(n instanceof Node.Sequence list && list.items().isEmpty()))
                    .ifPresent(n -> readTasks(n, file, tasks, digest, problems));
        } else {
            f.required("tasks").ifPresent(n -> readTasks(n, file, tasks, digest, problems));
        }
        if (coding.isEmpty() && f.get("coding").isEmpty()) {
            agents.values().forEach(a -> a.tools().stream().filter(CODING_TOOLS::contains).findFirst().ifPresent(t ->
                    problems.at(f.get("agents").orElseThrow(), "agent '" + a.name() + "' lists " + t + ", a tool of coding "
                            + "fleets: add a coding key (coding: {tasks: FILE} or coding: {samples: N})")));
        }
        Orchestration orchestration = OrchestrationReader.read(f, agents, agentNames, problems);
        if (orchestration.reduce().isPresent()) {
            tasks.tasks().stream().map(TaskSpec::id).filter(id -> id.equals("reduce") || id.matches("reduce-\\d+-\\d+")).findFirst()
                    .ifPresent(id -> problems.at(f.get("tasks").orElseThrow(), "task id '" + id + "' is taken by the reduce step"
                            + " (reduce, reduce-LEVEL-N); rename the task"));
        }
        if (a2a.agents().isEmpty()) {
            agents.values().stream().filter(a -> a.tools().contains("a2a")).findFirst().ifPresent(a ->
                    problems.at(f.get("agents").orElseThrow(), "agent '" + a.name() + "' lists the a2a tool, but the fleet "
                            + "declares no A2A agents to call: add a2a: {agents: {NAME: {url: ...}}}"));
        }
        ProviderLimit providerLimit = f.get("provider_limit").flatMap(n -> providerLimit(n, problems)).orElse(ProviderLimit.NONE);
        if (!problems.isEmpty()) {
            throw problems.exception();
        }
        return new FleetSpec(name.orElseThrow(), concurrency, agents,
                coding.map(CodingReader.Coding::tasks).orElse(tasks.tasks()), http.allowHosts(), source,
                HexFormat.of().formatHex(digest.digest()), resilience, http.allowPrivate(), mcp, sandbox, secrets,
                policy, tenant, budget, approvals, coding.map(CodingReader.Coding::spec), intakeOpen, orchestration, messaging, a2a,
                providerLimit);
    }

    /**
     * The {@code provider_limit} key: {@code {name: ACCOUNT, concurrency: N}}, the provider account's
     * calls in flight at most, shared by every fleet naming the account on every node.
     */
    private static Optional<ProviderLimit> providerLimit(Node node, Problems problems) {
        Optional<Node.Mapping> m = Values.mapping(node, problems);
        if (m.isEmpty()) {
            return Optional.empty();
        }
        int mark = problems.count();
        Fields f = Fields.of(m.get(), "provider_limit", Fields.Owner.of(m.get()), problems, PROVIDER_LIMIT_KEYS);
        Optional<String> name = f.get("name").flatMap(n -> Values.string(n, problems)).filter(v -> {
            boolean ok = LIMIT_NAME.matcher(v).matches();
            if (!ok) {
                problems.at(f.get("name").orElseThrow(), "expected an account name (letters, digits, . _ : -; at most 128), got '" + v + "'");
            }
            return ok;
        });
        long concurrency = f.integer("concurrency", 1, 1_000_000).orElse(0L);
        if (f.get("name").isEmpty()) {
            problems.at(node, "provider_limit needs a name: the provider account every fleet sharing the limit names");
        }
        if (f.get("concurrency").isEmpty()) {
            problems.at(node, "provider_limit needs a concurrency: the account's calls in flight at most");
        }
        if (problems.count() > mark || name.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ProviderLimit(name.get(), (int) concurrency));
    }

    /** The {@code intake} key: {@code open} (tasks may be submitted while the fleet runs) or {@code closed}. */
    private static boolean intake(Node node, Problems problems) {
        Optional<String> value = Values.string(node, problems);
        if (value.isPresent() && !value.get().equals("open") && !value.get().equals("closed")) {
            problems.at(node, "expected open (tasks may be submitted while the fleet runs) or closed, got "
                    + node.describe());
        }
        return value.filter("open"::equals).isPresent();
    }

    /**
     * Why {@code id} cannot name a task (as the fleet file's task ids: 1 to 200 characters, no
     * control characters), or empty when it can.
     */
    public static Optional<String> taskIdProblem(String id) {
        return TaskReader.idProblem(id);
    }

    /** The {@code approvals} key; a key left out keeps its default ({@link ApprovalSpec#DEFAULT}). */
    private static ApprovalSpec approvals(Fields root, Problems problems) {
        ApprovalSpec d = ApprovalSpec.DEFAULT;
        Optional<Node.Mapping> node = root.get("approvals").flatMap(n -> Values.mapping(n, problems));
        if (node.isEmpty()) {
            return d;
        }
        int mark = problems.count();
        Fields f = Fields.of(node.get(), "approvals", Fields.Owner.of(node.get()), problems, APPROVAL_KEYS);
        Duration expireAfter = f.get("expire_after").flatMap(n -> Values.duration(n, false, problems).filter(v -> {
            boolean ok = v.compareTo(MAX_APPROVAL_EXPIRY) <= 0;
            if (!ok) {
                problems.at(n, "expected a duration of at most " + Durations.format(MAX_APPROVAL_EXPIRY)
                        + " (an approval that nobody decides expires as a denial), got " + n.describe());
            }
            return ok;
        })).orElse(d.expireAfter());
        long maxPending = f.integer("max_pending", 1, MAX_PENDING_APPROVALS).orElse((long) d.maxPending());
        return problems.count() > mark ? d : new ApprovalSpec(expireAfter, (int) maxPending);
    }

    private static void readTasks(Node node, Path file, TaskReader tasks, MessageDigest digest, Problems problems) {
        switch (node) {
            case Node.Sequence list -> tasks.inline(list);
            case Node.Scalar s when s.kind() == Node.Kind.STRING && !((String) s.value()).isBlank() -> {
                Path path;
                try {
                    Path given = Path.of(((String) s.value()).strip());
                    path = file.getParent() == null ? given : file.getParent().resolve(given);
                } catch (InvalidPathException e) {
                    problems.at(node, "expected the path of a JSONL tasks file, got " + node.describe());
                    return;
                }
                int before = problems.count();
                tasks.jsonl(path, path.toString(), node, digest);
                if (problems.count() > before) {
                    return;
                }
            }
            default -> {
                problems.at(node, "expected a list of tasks or the path of a JSONL tasks file, got " + node.describe());
                return;
            }
        }
        if (tasks.seen() == 0) {
            problems.at(node, "the fleet has no tasks; add at least one task (a string, or {input: ...})");
        }
    }

    private static Map<String, AgentSpec> agents(Node node, ModelSpec fleetModel, Set<String> knownTools,
            List<String> mcp, List<String> names, Problems problems) {
        Optional<Node.Mapping> mapping = Values.mapping(node, problems);
        if (mapping.isEmpty()) {
            return Map.of();
        }
        if (mapping.get().entries().isEmpty()) {
            problems.at(node, "expected at least one agent under agents, like writer: {instructions: ...}");
        }
        Map<String, AgentSpec> agents = new LinkedHashMap<>();
        for (Node.Entry entry : mapping.get().entries().values()) {
            if (!AGENT_NAME.matcher(entry.key()).matches()) {
                problems.atKey(entry, "expected an agent name of 1 to 64 letters, digits, '.', '_' or '-', "
                        + "starting with a letter or digit, got '" + entry.key() + "'");
                continue;
            }
            names.add(entry.key());
            agent(entry, fleetModel, knownTools, mcp, problems).ifPresent(a -> agents.put(a.name(), a));
        }
        return agents;
    }

    private static Optional<AgentSpec> agent(Node.Entry entry, ModelSpec fleetModel, Set<String> knownTools,
            List<String> mcp, Problems problems) {
        String what = "agent '" + entry.key() + "'";
        if (!(entry.value() instanceof Node.Mapping mapping)) {
            problems.at(entry.value(), what + " needs a mapping with at least 'instructions', got "
                    + entry.value().describe());
            return Optional.empty();
        }
        int before = problems.count();
        Fields f = Fields.of(mapping, what, Fields.Owner.of(entry), problems, AGENT_KEYS);
        Optional<String> instructions = f.required("instructions")
                .flatMap(n -> Values.nonBlank(n, "the agent's instructions", problems));
        Optional<ModelSpec> model = f.get("model").isPresent()
                ? f.get("model").flatMap(n -> ModelSpecParser.parse(n, problems))
                : Optional.of(fleetModel);
        Optional<ModelSpec> fallback = f.get("fallback_model").flatMap(n -> ModelSpecParser.parse(n, problems));
        List<String> tools = f.get("tools").flatMap(n -> tools(n, knownTools, mcp, problems)).orElse(List.of());
        Limits limits = f.get("limits").flatMap(n -> limits(n, entry, problems)).orElse(Limits.DEFAULT);
        JsonNode outputSchema = f.mapping("output_schema").map(Values::toJson).orElse(null);
        long maxOutputTokens = f.integer("max_output_tokens", 1, 10_000_000).orElse(0L);
        Double temperature = f.number("temperature", 0, 2).orElse(null);
        List<String> delegates = f.get("delegates").flatMap(n -> Values.strings(n, problems)).orElse(List.of());
        List<String> handoffs = f.get("handoffs").flatMap(n -> Values.strings(n, problems)).orElse(List.of());
        for (String[] t : new String[][] {{"delegates", DelegateTool.NAME}, {"handoffs", HandoffTool.NAME}}) {
            if (tools.contains(t[1]) && f.get(t[0]).isEmpty()) {
                problems.at(f.get("tools").orElseThrow(), what + " lists " + t[1] + " but no " + t[0]
                        + ": name the agents it may " + (t[1].equals(DelegateTool.NAME) ? "delegate to" : "hand off to")
                        + " (" + t[0] + ": [AGENT, ...])");
            }
        }
        // The engine's own tools come with the agents they may reach.
        List<String> all = new ArrayList<>(tools);
        if (!delegates.isEmpty() && !all.contains(DelegateTool.NAME)) {
            all.add(DelegateTool.NAME);
        }
        if (!handoffs.isEmpty() && !all.contains(HandoffTool.NAME)) {
            all.add(HandoffTool.NAME);
        }
        if (problems.count() > before || instructions.isEmpty() || model.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new AgentSpec(entry.key(), instructions.get(), model.get(), all, limits, outputSchema,
                maxOutputTokens, temperature, fallback.orElse(null), delegates, handoffs));
    }

    private static Optional<List<String>> tools(Node node, Set<String> knownTools, List<String> mcp,
            Problems problems) {
        Optional<Node.Sequence> list = Values.list(node, problems);
        if (list.isEmpty()) {
            return Optional.empty();
        }
        List<String> known = List.copyOf(new TreeSet<>(knownTools));
        List<String> tools = new ArrayList<>();
        for (Node item : list.get().items()) {
            Optional<String> tool = Values.string(item, problems);
            if (tool.isEmpty()) {
                continue;
            }
            boolean mcpTool = !knownTools.contains(tool.get()) && McpReader.checkToolName(tool.get(), item, mcp, problems);
            if (!knownTools.contains(tool.get()) && !mcpTool) {
                problems.at(item, "unknown tool '" + tool.get() + "'; " + (known.isEmpty()
                        ? "no tools are available"
                        : "expected one of: " + String.join(", ", known) + Suggestions.hint(tool.get(), known)));
            } else if (tools.contains(tool.get())) {
                problems.at(item, "tool '" + tool.get() + "' is listed twice");
            } else {
                tools.add(tool.get());
            }
        }
        return Optional.of(tools);
    }

    private static Optional<Limits> limits(Node node, Node.Entry agent, Problems problems) {
        Optional<Node.Mapping> mapping = Values.mapping(node, problems);
        if (mapping.isEmpty()) {
            return Optional.empty();
        }
        Fields f = Fields.of(mapping.get(), "the limits of agent '" + agent.key() + "'", Fields.Owner.of(node),
                problems, LIMIT_KEYS);
        Limits d = Limits.DEFAULT;
        long maxSteps = f.integer("max_steps", 1, 1_000_000).orElse((long) d.maxSteps());
        long maxTokens = f.integer("max_tokens", 1, 1_000_000_000_000L).orElse(d.maxTokens());
        Duration maxWall = f.duration("max_wall", false).orElse(d.maxWall());
        long maxRepeats = f.integer("max_repeats", 1, 1_000_000).orElse((long) d.maxRepeats());
        long maxIdle = f.integer("max_idle_steps", 1, 1_000_000).orElse((long) d.maxIdleResponses());
        OptionalDouble maxUsd = f.number("max_usd", 0, 1e9).map(OptionalDouble::of).orElse(OptionalDouble.empty());
        OptionalLong maxToolCalls = f.integer("max_tool_calls", 0, 1_000_000_000L).map(OptionalLong::of).orElse(OptionalLong.empty());
        return Optional.of(new Limits((int) maxSteps, maxTokens, maxWall, (int) maxRepeats, (int) maxIdle, maxUsd, maxToolCalls));
    }

    /** The fleet's {@code budget}: ceilings on each execution, each optional, and the warning fraction. */
    private static Ceilings budget(Node node, Problems problems) {
        Optional<Node.Mapping> mapping = Values.mapping(node, problems);
        if (mapping.isEmpty()) {
            return Ceilings.NONE;
        }
        Fields f = Fields.of(mapping.get(), "the fleet's budget", Fields.Owner.of(node), problems, BUDGET_KEYS);
        return new Ceilings(
                f.integer("tokens", 0, Long.MAX_VALUE / 4).map(OptionalLong::of).orElse(OptionalLong.empty()),
                f.number("usd", 0, 1e9).map(OptionalDouble::of).orElse(OptionalDouble.empty()),
                f.integer("steps", 0, Long.MAX_VALUE / 4).map(OptionalLong::of).orElse(OptionalLong.empty()),
                f.integer("tool_calls", 0, Long.MAX_VALUE / 4).map(OptionalLong::of).orElse(OptionalLong.empty()),
                f.duration("wall", false),
                f.number("warn_at", 0.01, 1).orElse(Ceilings.DEFAULT_WARN_AT));
    }

    /** The {@code http} section. */
    private record Http(List<String> allowHosts, boolean allowPrivate) {}

    /** {@code shell: {sandbox: bubblewrap | none}}: {@code none} is an explicit opt-out of confinement. */
    private static String shellSandbox(Node node, Problems problems) {
        Optional<Node.Mapping> mapping = Values.mapping(node, problems);
        if (mapping.isEmpty()) {
            return FleetSpec.SANDBOX_BUBBLEWRAP;
        }
        Fields f = Fields.of(mapping.get(), "shell", Fields.Owner.of(node), problems, SHELL_KEYS);
        Optional<Node> value = f.get("sandbox");
        Optional<String> mode = value.flatMap(n -> Values.string(n, problems));
        if (mode.isPresent() && !SANDBOXES.contains(mode.get())) {
            problems.at(value.get(), "unknown sandbox '" + mode.get() + "'; expected one of: " + String.join(", ", SANDBOXES)
                    + Suggestions.hint(mode.get(), SANDBOXES));
            return FleetSpec.SANDBOX_BUBBLEWRAP;
        }
        return mode.orElse(FleetSpec.SANDBOX_BUBBLEWRAP);
    }

    private static Http http(Node node, Problems problems) {
        Optional<Node.Mapping> mapping = Values.mapping(node, problems);
        if (mapping.isEmpty()) {
            return new Http(List.of(), false);
        }
        Fields f = Fields.of(mapping.get(), "http", Fields.Owner.of(node), problems, HTTP_KEYS);
        boolean allowPrivate = f.get("allow_private").flatMap(n -> Values.bool(n, problems)).orElse(false);
        return new Http(allowHosts(f, problems), allowPrivate);
    }

    private static List<String> allowHosts(Fields f, Problems problems) {
        Optional<Node.Sequence> list = f.get("allow_hosts").flatMap(n -> Values.list(n, problems));
        List<String> hosts = new ArrayList<>();
        for (Node item : list.map(Node.Sequence::items).orElse(List.of())) {
            Values.string(item, problems).ifPresent(host -> {
                if (HOST.matcher(host).matches()) {
                    hosts.add(host);
                } else {
                    problems.at(item, "expected a host name like api.example.com or *.example.org (no scheme, "
                            + "port or path), got " + item.describe());
                }
            });
        }
        return hosts;
    }

    /** The {@code retry} and {@code circuit_breaker} keys; a key left out keeps its default. */
    private static Resilience resilience(Fields root, Problems problems) {
        Resilience d = Resilience.DEFAULT;
        int before = problems.count();
        long maxAttempts = d.maxAttempts();
        Duration baseDelay = d.baseDelay();
        Duration maxDelay = d.maxDelay();
        double ratio = d.retryRatio();
        double floor = d.minRetriesPerSecond();
        Optional<Node.Mapping> retry = root.get("retry").flatMap(n -> Values.mapping(n, problems));
        if (retry.isPresent()) {
            int mark = problems.count();
            Fields f = Fields.of(retry.get(), "retry", Fields.Owner.of(retry.get()), problems, RETRY_KEYS);
            maxAttempts = f.integer("max_attempts", 1, Resilience.MAX_ATTEMPTS).orElse(maxAttempts);
            baseDelay = f.get("base_delay").flatMap(n -> atMostADay(n, true, problems)).orElse(baseDelay);
            maxDelay = f.get("max_delay").flatMap(n -> atMostADay(n, true, problems)).orElse(maxDelay);
            ratio = f.number("budget_ratio", 0, Resilience.MAX_RETRY_RATIO).orElse(ratio);
            floor = f.number("budget_min_per_second", Resilience.MIN_RETRIES_PER_SECOND,
                    Resilience.MAX_RETRIES_PER_SECOND).orElse(floor);
            if (problems.count() == mark) {
                notShorter(f, "max_delay", maxDelay, "base_delay", baseDelay, problems);
            }
        }
        long failures = d.failureThreshold();
        Duration openFor = d.openFor();
        Duration maxOpenFor = d.maxOpenFor();
        Optional<Node.Mapping> breaker = root.get("circuit_breaker").flatMap(n -> Values.mapping(n, problems));
        if (breaker.isPresent()) {
            int mark = problems.count();
            Fields f = Fields.of(breaker.get(), "circuit_breaker", Fields.Owner.of(breaker.get()), problems, BREAKER_KEYS);
            failures = f.integer("failures", 1, Resilience.MAX_FAILURE_THRESHOLD).orElse(failures);
            openFor = f.get("open_for").flatMap(n -> atMostADay(n, false, problems)).orElse(openFor);
            maxOpenFor = f.get("max_open_for").flatMap(n -> atMostADay(n, false, problems)).orElse(maxOpenFor);
            if (problems.count() == mark) {
                notShorter(f, "max_open_for", maxOpenFor, "open_for", openFor, problems);
            }
        }
        if (problems.count() > before) {
            return d;
        }
        return new Resilience((int) maxAttempts, baseDelay, maxDelay, (int) failures, openFor, maxOpenFor, ratio, floor);
    }

    /** A duration of at most {@link Resilience#MAX_DURATION}. */
    private static Optional<Duration> atMostADay(Node node, boolean zeroAllowed, Problems problems) {
        return Values.duration(node, zeroAllowed, problems).filter(v -> {
            boolean ok = v.compareTo(Resilience.MAX_DURATION) <= 0;
            if (!ok) {
                problems.at(node, "expected a duration of at most " + Durations.format(Resilience.MAX_DURATION)
                        + ", got " + node.describe());
            }
            return ok;
        });
    }

    /**
     * Reports {@code longKey} shorter than {@code shortKey}, at whichever of the two the file
     * gives (the longer one when both), naming the default when one was left out.
     */
    private static void notShorter(Fields f, String longKey, Duration longValue, String shortKey, Duration shortValue,
            Problems problems) {
        if (longValue.compareTo(shortValue) >= 0) {
            return;
        }
        Optional<Node> longNode = f.get(longKey);
        Node at = longNode.orElseGet(() -> f.get(shortKey).orElseThrow());
        String shortText = Durations.format(shortValue) + (f.get(shortKey).isPresent() ? "" : " by default");
        String longText = Durations.format(longValue) + (longNode.isPresent() ? "" : " by default");
        problems.at(at, "expected " + longKey + " (" + longText + ") to be at least " + shortKey + " (" + shortText
                + "); " + (longNode.isPresent() ? "lengthen " + longKey + " or shorten " + shortKey : "set " + longKey + " too"));
    }

    private static FleetFileException single(String source, String message) {
        return new FleetFileException(List.of(new FleetFileException.Problem(source, 1, 1, message)));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }
}
