package io.myriad.core.fleet;

import io.myriad.core.budget.Ceilings;
import io.myriad.core.gateway.Resilience;
import io.myriad.core.policy.Policy;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A validated fleet file.
 *
 * @param name            the fleet's name
 * @param concurrency     runs in progress at once
 * @param agents          agent specs by name, in file order
 * @param tasks           the tasks, in file order
 * @param httpAllowHosts  hosts {@code http_get} may reach (exact names, or {@code *.example.com})
 * @param source          where the spec came from, for messages
 * @param digest          SHA-256 of the fleet file and its tasks file, to detect edits on resume
 * @param resilience      how model calls are retried, and the circuit breaker and retry budget of each provider
 * @param httpAllowPrivate whether the HTTP tools may reach loopback, private and link-local addresses
 * @param mcpServers      the MCP servers whose tools agents may name, by name, in file order
 * @param shellSandbox    how the {@code shell} tool confines commands: {@code bubblewrap} (the
 *                        default) or {@code none} (an explicit opt-out)
 * @param secrets         the secrets tools may inject, by name, in file order (references, never values)
 * @param policy          decides each tool call; {@link Policy#NONE} (no {@code policy} key) allows
 *                        every tool an agent lists
 * @param tenant          the tenant that owns the fleet, its runs and its spend
 *                        ({@code default} when the file names none)
 * @param budget          the ceilings of each execution of the fleet (fleet key {@code budget});
 *                        {@link Ceilings#NONE} when the file sets none
 * @param approvals       how long approvals stay open and how many may be pending per execution
 * @param coding          the coding tasks' settings, when the fleet is a fleet of software engineers
 * @param intakeOpen      whether tasks may be submitted while the fleet runs (fleet key
 *                        {@code intake: open}); such a fleet runs, waiting for tasks, until drained
 * @param orchestration   delegation limits and the map-reduce step ({@code delegation}, {@code reduce})
 * @param messaging       the message types its runs may send each other (fleet key {@code messages})
 * @param a2a             the fleet's A2A settings (fleet key {@code a2a}); {@link A2aSpec#NONE} without the key
 * @param providerLimit   the provider account's limit of calls in flight shared with other fleets and nodes
 *                        (fleet key {@code provider_limit}); {@link ProviderLimit#NONE} without the key
 */
public record FleetSpec(
        String name,
        int concurrency,
        Map<String, AgentSpec> agents,
        List<TaskSpec> tasks,
        List<String> httpAllowHosts,
        String source,
        String digest,
        Resilience resilience,
        boolean httpAllowPrivate,
        Map<String, McpServerSpec> mcpServers,
        String shellSandbox,
        Map<String, SecretSpec> secrets,
        Policy policy,
        String tenant,
        Ceilings budget,
        ApprovalSpec approvals,
        Optional<CodingSpec> coding,
        boolean intakeOpen,
        Orchestration orchestration,
        MessagingSpec messaging,
        A2aSpec a2a,
        ProviderLimit providerLimit) {

    /** The shell's default confinement. */
    public static final String SANDBOX_BUBBLEWRAP = "bubblewrap";

    /** The tenant of a fleet file without a {@code tenant} key. */
    public static final String DEFAULT_TENANT = io.myriad.core.auth.Principal.DEFAULT_TENANT;


    public FleetSpec {
        Objects.requireNonNull(name, "name");
        if (concurrency <= 0) {
            throw new IllegalArgumentException("concurrency must be positive");
        }
        agents = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(agents));
        tasks = List.copyOf(tasks);
        httpAllowHosts = List.copyOf(httpAllowHosts);
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(resilience, "resilience");
        mcpServers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(mcpServers));
        Objects.requireNonNull(shellSandbox, "shellSandbox");
        secrets = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(secrets));
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(budget, "budget");
        Objects.requireNonNull(approvals, "approvals");
        Objects.requireNonNull(coding, "coding");
        Objects.requireNonNull(orchestration, "orchestration");
        Objects.requireNonNull(messaging, "messaging");
        Objects.requireNonNull(a2a, "a2a");
        Objects.requireNonNull(providerLimit, "providerLimit");
    }

    /** A fleet without a shared provider limit. */
    public FleetSpec(String name, int concurrency, Map<String, AgentSpec> agents, List<TaskSpec> tasks,
                     List<String> httpAllowHosts, String source, String digest, Resilience resilience,
                     boolean httpAllowPrivate, Map<String, McpServerSpec> mcpServers, String shellSandbox,
                     Map<String, SecretSpec> secrets, Policy policy, String tenant, Ceilings budget, ApprovalSpec approvals,
                     Optional<CodingSpec> coding, boolean intakeOpen, Orchestration orchestration, MessagingSpec messaging,
                     A2aSpec a2a) {
        this(name, concurrency, agents, tasks, httpAllowHosts, source, digest, resilience, httpAllowPrivate, mcpServers,
                shellSandbox, secrets, policy, tenant, budget, approvals, coding, intakeOpen, orchestration, messaging, a2a,
                ProviderLimit.NONE);
    }

    /** A fleet without A2A settings. */
    public FleetSpec(String name, int concurrency, Map<String, AgentSpec> agents, List<TaskSpec> tasks,
                     List<String> httpAllowHosts, String source, String digest, Resilience resilience,
                     boolean httpAllowPrivate, Map<String, McpServerSpec> mcpServers, String shellSandbox,
                     Map<String, SecretSpec> secrets, Policy policy, String tenant, Ceilings budget, ApprovalSpec approvals,
                     Optional<CodingSpec> coding, boolean intakeOpen, Orchestration orchestration, MessagingSpec messaging) {
        this(name, concurrency, agents, tasks, httpAllowHosts, source, digest, resilience, httpAllowPrivate, mcpServers,
                shellSandbox, secrets, policy, tenant, budget, approvals, coding, intakeOpen, orchestration, messaging, A2aSpec.NONE);
    }

    /** A fleet with the default delegation limits, no reduce step, no declared message types and no A2A settings. */
    public FleetSpec(String name, int concurrency, Map<String, AgentSpec> agents, List<TaskSpec> tasks,
                     List<String> httpAllowHosts, String source, String digest, Resilience resilience,
                     boolean httpAllowPrivate, Map<String, McpServerSpec> mcpServers, String shellSandbox,
                     Map<String, SecretSpec> secrets, Policy policy, String tenant, Ceilings budget, ApprovalSpec approvals,
                     Optional<CodingSpec> coding, boolean intakeOpen) {
        this(name, concurrency, agents, tasks, httpAllowHosts, source, digest, resilience, httpAllowPrivate, mcpServers,
                shellSandbox, secrets, policy, tenant, budget, approvals, coding, intakeOpen, Orchestration.DEFAULT, MessagingSpec.NONE, A2aSpec.NONE);
    }

    /** A fleet whose tasks are its file's only (intake closed). */
    public FleetSpec(String name, int concurrency, Map<String, AgentSpec> agents, List<TaskSpec> tasks,
                     List<String> httpAllowHosts, String source, String digest, Resilience resilience,
                     boolean httpAllowPrivate, Map<String, McpServerSpec> mcpServers, String shellSandbox,
                     Map<String, SecretSpec> secrets, Policy policy, String tenant, Ceilings budget, ApprovalSpec approvals,
                     Optional<CodingSpec> coding) {
        this(name, concurrency, agents, tasks, httpAllowHosts, source, digest, resilience, httpAllowPrivate, mcpServers,
                shellSandbox, secrets, policy, tenant, budget, approvals, coding, false);
    }

    /** A fleet without coding tasks. */
    public FleetSpec(String name, int concurrency, Map<String, AgentSpec> agents, List<TaskSpec> tasks,
                     List<String> httpAllowHosts, String source, String digest, Resilience resilience,
                     boolean httpAllowPrivate, Map<String, McpServerSpec> mcpServers, String shellSandbox,
                     Map<String, SecretSpec> secrets, Policy policy, String tenant, Ceilings budget, ApprovalSpec approvals) {
        this(name, concurrency, agents, tasks, httpAllowHosts, source, digest, resilience, httpAllowPrivate, mcpServers,
                shellSandbox, secrets, policy, tenant, budget, approvals, Optional.empty());
    }

    /** A fleet with a budget of its own and the default approval settings ({@link ApprovalSpec#DEFAULT}). */
    public FleetSpec(String name, int concurrency, Map<String, AgentSpec> agents, List<TaskSpec> tasks,
                     List<String> httpAllowHosts, String source, String digest, Resilience resilience,
                     boolean httpAllowPrivate, Map<String, McpServerSpec> mcpServers, String shellSandbox,
                     Map<String, SecretSpec> secrets, Policy policy, String tenant, Ceilings budget) {
        this(name, concurrency, agents, tasks, httpAllowHosts, source, digest, resilience, httpAllowPrivate, mcpServers,
                shellSandbox, secrets, policy, tenant, budget, ApprovalSpec.DEFAULT);
    }

    /** A fleet without a budget of its own, with the default approval settings. */
    public FleetSpec(String name, int concurrency, Map<String, AgentSpec> agents, List<TaskSpec> tasks,
                     List<String> httpAllowHosts, String source, String digest, Resilience resilience,
                     boolean httpAllowPrivate, Map<String, McpServerSpec> mcpServers, String shellSandbox,
                     Map<String, SecretSpec> secrets, Policy policy, String tenant) {
        this(name, concurrency, agents, tasks, httpAllowHosts, source, digest, resilience, httpAllowPrivate, mcpServers,
                shellSandbox, secrets, policy, tenant, Ceilings.NONE, ApprovalSpec.DEFAULT);
    }

    /** A fleet of the default tenant. */
    public FleetSpec(String name, int concurrency, Map<String, AgentSpec> agents, List<TaskSpec> tasks,
                     List<String> httpAllowHosts, String source, String digest, Resilience resilience,
                     boolean httpAllowPrivate, Map<String, McpServerSpec> mcpServers, String shellSandbox,
                     Map<String, SecretSpec> secrets, Policy policy) {
        this(name, concurrency, agents, tasks, httpAllowHosts, source, digest, resilience, httpAllowPrivate, mcpServers,
                shellSandbox, secrets, policy, DEFAULT_TENANT);
    }

    /** A fleet without a policy: every tool an agent lists is allowed. */
    public FleetSpec(String name, int concurrency, Map<String, AgentSpec> agents, List<TaskSpec> tasks,
                     List<String> httpAllowHosts, String source, String digest, Resilience resilience,
                     boolean httpAllowPrivate, Map<String, McpServerSpec> mcpServers, String shellSandbox,
                     Map<String, SecretSpec> secrets) {
        this(name, concurrency, agents, tasks, httpAllowHosts, source, digest, resilience, httpAllowPrivate, mcpServers,
                shellSandbox, secrets, Policy.NONE);
    }

    /** A fleet without secrets. */
    public FleetSpec(String name, int concurrency, Map<String, AgentSpec> agents, List<TaskSpec> tasks,
                     List<String> httpAllowHosts, String source, String digest, Resilience resilience,
                     boolean httpAllowPrivate, Map<String, McpServerSpec> mcpServers, String shellSandbox) {
        this(name, concurrency, agents, tasks, httpAllowHosts, source, digest, resilience, httpAllowPrivate, mcpServers,
                shellSandbox, Map.of());
    }

    /** A fleet whose shell runs in bubblewrap. */
    public FleetSpec(String name, int concurrency, Map<String, AgentSpec> agents, List<TaskSpec> tasks,
                     List<String> httpAllowHosts, String source, String digest, Resilience resilience,
                     boolean httpAllowPrivate, Map<String, McpServerSpec> mcpServers) {
        this(name, concurrency, agents, tasks, httpAllowHosts, source, digest, resilience, httpAllowPrivate, mcpServers,
                SANDBOX_BUBBLEWRAP);
    }

    /** A fleet without MCP servers. */
    public FleetSpec(String name, int concurrency, Map<String, AgentSpec> agents, List<TaskSpec> tasks,
                     List<String> httpAllowHosts, String source, String digest, Resilience resilience,
                     boolean httpAllowPrivate) {
        this(name, concurrency, agents, tasks, httpAllowHosts, source, digest, resilience, httpAllowPrivate, Map.of());
    }

    /** A fleet whose HTTP tools reach public addresses only, without MCP servers. */
    public FleetSpec(String name, int concurrency, Map<String, AgentSpec> agents, List<TaskSpec> tasks,
                     List<String> httpAllowHosts, String source, String digest, Resilience resilience) {
        this(name, concurrency, agents, tasks, httpAllowHosts, source, digest, resilience, false);
    }

    /** A fleet with the default {@link Resilience}. */
    public FleetSpec(String name, int concurrency, Map<String, AgentSpec> agents, List<TaskSpec> tasks,
                     List<String> httpAllowHosts, String source, String digest) {
        this(name, concurrency, agents, tasks, httpAllowHosts, source, digest, Resilience.DEFAULT);
    }

    public AgentSpec agent(String name) {
        AgentSpec spec = agents.get(name);
        if (spec == null) {
            throw new IllegalArgumentException("no agent named " + name + " in fleet " + this.name);
        }
        return spec;
    }
}
