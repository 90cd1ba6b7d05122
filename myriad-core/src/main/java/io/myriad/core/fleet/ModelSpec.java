package io.myriad.core.fleet;

import java.time.Duration;
import java.util.Objects;

/** Which model an agent talks to. */
public sealed interface ModelSpec {

    /** A short label for humans. */
    String describe();

    /**
     * Myriad's simulated model: deterministic for a seed, labelled as simulated everywhere.
     *
     * @param scenario      {@code tools} (call the offered tools {@code toolCalls} times, then
     *                      answer), {@code answer} (answer at once) or {@code script} (follow the
     *                      {@code script} list carried in the task input; see the README)
     * @param toolCalls     tool calls before the answer in the {@code tools} scenario
     * @param latency       mean simulated latency per call
     * @param seed          makes latencies, token counts and texts reproducible
     * @param contextWindow prompt tokens above which the simulated model refuses the request
     * @param faults        the faults injected into its answers; null means {@link Faults#NONE}
     */
    record Simulated(String scenario, int toolCalls, Duration latency, long seed, long contextWindow, Faults faults)
            implements ModelSpec {
        /** The scenarios the simulated model plays. */
        public static final java.util.List<String> SCENARIOS = java.util.List.of("tools", "answer", "script", "team");
        public static final Simulated DEFAULT = new Simulated("tools", 2, Duration.ZERO, 42, 128_000, Faults.NONE);

        public Simulated {
            Objects.requireNonNull(scenario, "scenario");
            Objects.requireNonNull(latency, "latency");
            faults = faults == null ? Faults.NONE : faults;
            if (!SCENARIOS.contains(scenario)) {
                throw new IllegalArgumentException("unknown simulated scenario '" + scenario + "'; expected one of " + SCENARIOS);
            }
            if (toolCalls < 0 || contextWindow <= 0) {
                throw new IllegalArgumentException("toolCalls >= 0 and contextWindow > 0 required");
            }
        }

        /** A simulated model without faults. */
        public Simulated(String scenario, int toolCalls, Duration latency, long seed, long contextWindow) {
            this(scenario, toolCalls, latency, seed, contextWindow, Faults.NONE);
        }

        /** The same settings with {@code faults} injected. */
        public Simulated withFaults(Faults faults) {
            return new Simulated(scenario, toolCalls, latency, seed, contextWindow, Objects.requireNonNull(faults, "faults"));
        }

        @Override
        public String describe() {
            return "sim (simulated model, scenario " + scenario
                    + (faults.any() ? ", faults: " + faults.describe() : "") + ")";
        }
    }

    /**
     * Any endpoint that speaks the OpenAI Chat Completions protocol (OpenAI, vLLM, Ollama,
     * llama.cpp server, LM Studio, {@code myriad sim-server}).
     *
     * @param baseUrl   up to and including {@code /v1}
     * @param name      the model name sent in each request
     * @param apiKeyEnv the environment variable that holds the key; empty for none
     * @param timeout   per request
     * @param pricing   what tokens cost, for the cost figures
     * @param simulated true when the endpoint is known to be a simulator (myriad sim-server)
     */
    record OpenAiCompatible(
            String baseUrl, String name, String apiKeyEnv, Duration timeout, Pricing pricing, boolean simulated)
            implements ModelSpec {
        public OpenAiCompatible {
            Objects.requireNonNull(baseUrl, "baseUrl");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(apiKeyEnv, "apiKeyEnv");
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(pricing, "pricing");
        }

        @Override
        public String describe() {
            return name + " @ " + baseUrl + (simulated ? " (simulated model)" : "");
        }
    }

    /** US dollars per million tokens. */
    record Pricing(double inputPerMillion, double outputPerMillion) {
        public static final Pricing FREE = new Pricing(0, 0);

        public Pricing {
            if (inputPerMillion < 0 || outputPerMillion < 0) {
                throw new IllegalArgumentException("prices must not be negative");
            }
        }

        public double cost(long promptTokens, long completionTokens) {
            return (promptTokens * inputPerMillion + completionTokens * outputPerMillion) / 1_000_000.0;
        }
    }
}
