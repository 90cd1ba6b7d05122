package io.myriad.core.run;

import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.policy.Policy;
import io.myriad.core.tool.Tool;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * An agent spec bound to what it runs with: its model provider and the tools it may call.
 *
 * @param spec      the agent spec
 * @param provider  where its model calls go
 * @param modelName the model name sent in requests
 * @param pricing   what its tokens cost
 * @param tools     the tools it may call, by name
 * @param fallback  the model asked when the primary one failed every attempt of a call, or null
 * @param policy    decides each call before it runs; {@link Policy#NONE} allows every listed tool
 */
public record AgentRuntime(
        AgentSpec spec, ModelProvider provider, String modelName, ModelSpec.Pricing pricing, Map<String, Tool> tools,
        Model fallback, Policy policy) {

    /** A model an agent can ask: where the calls go, the name sent, what tokens cost. */
    public record Model(ModelProvider provider, String name, ModelSpec.Pricing pricing) {
        public Model {
            Objects.requireNonNull(provider, "provider");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(pricing, "pricing");
        }
    }

    public AgentRuntime {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(pricing, "pricing");
        tools = Map.copyOf(tools);
        Objects.requireNonNull(policy, "policy");
    }

    /** A runtime without a policy: every tool it lists is allowed. */
    public AgentRuntime(AgentSpec spec, ModelProvider provider, String modelName, ModelSpec.Pricing pricing, Map<String, Tool> tools,
            Model fallback) {
        this(spec, provider, modelName, pricing, tools, fallback, Policy.NONE);
    }

    /** A runtime without a fallback model. */
    public AgentRuntime(AgentSpec spec, ModelProvider provider, String modelName, ModelSpec.Pricing pricing, Map<String, Tool> tools) {
        this(spec, provider, modelName, pricing, tools, null);
    }

    /** The primary model. */
    public Model primary() {
        return new Model(provider, modelName, pricing);
    }

    /** The same runtime with a fallback model. */
    public AgentRuntime withFallback(Model fallback) {
        return new AgentRuntime(spec, provider, modelName, pricing, tools, fallback, policy);
    }

    /** The same runtime deciding each call with {@code policy}. */
    public AgentRuntime withPolicy(Policy policy) {
        return new AgentRuntime(spec, provider, modelName, pricing, tools, fallback, policy);
    }

    /** Binds a spec to the tools named in it, taken from {@code available}. */
    public static AgentRuntime bind(
            AgentSpec spec, ModelProvider provider, String modelName, ModelSpec.Pricing pricing, List<Tool> available) {
        Map<String, Tool> byName = available.stream().collect(Collectors.toMap(Tool::name, Function.identity()));
        Map<String, Tool> allowed = spec.tools().stream()
                .map(n -> Objects.requireNonNull(byName.get(n), () -> "agent " + spec.name() + " names unknown tool " + n))
                .collect(Collectors.toMap(Tool::name, Function.identity()));
        return new AgentRuntime(spec, provider, modelName, pricing, allowed);
    }

    /** The tools offered to the model, in the order the agent spec names them. */
    public List<ToolDefinition> toolDefinitions() {
        return spec.tools().stream().map(n -> tools.get(n).definition()).toList();
    }
}
