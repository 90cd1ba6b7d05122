package io.myriad.core.budget;

import io.myriad.core.fleet.ModelSpec;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a million tokens cost, per model name: built-in entries overridden by stored ones
 * ({@code myriad budgets prices set}). A fleet file's {@code price:} on a model wins over both for
 * that fleet. Immutable; {@link #with} returns a new table.
 *
 * <p>The built-in figures are list prices at the time of writing, in US dollars per million
 * input and output tokens; they are a starting point, not a quote: set the prices you pay.
 */
public final class PriceTable {
    /** The in-process simulator's model name: free, since nothing is billed. */
    public static final String SIM_MODEL = "myriad-sim";

    private static final Map<String, ModelSpec.Pricing> BUILT_IN;

    static {
        Map<String, ModelSpec.Pricing> m = new LinkedHashMap<>();
        m.put(SIM_MODEL, ModelSpec.Pricing.FREE);
        m.put("gpt-4o", new ModelSpec.Pricing(2.50, 10.00));
        m.put("gpt-4o-mini", new ModelSpec.Pricing(0.15, 0.60));
        m.put("gpt-4.1", new ModelSpec.Pricing(2.00, 8.00));
        m.put("gpt-4.1-mini", new ModelSpec.Pricing(0.40, 1.60));
        m.put("o3-mini", new ModelSpec.Pricing(1.10, 4.40));
        m.put("claude-sonnet-4", new ModelSpec.Pricing(3.00, 15.00));
        m.put("claude-haiku-3.5", new ModelSpec.Pricing(0.80, 4.00));
        BUILT_IN = Collections.unmodifiableMap(m);
    }

    /** One row of the table and where it comes from. */
    public record Entry(String model, ModelSpec.Pricing pricing, boolean overridden) {}

    private final Map<String, ModelSpec.Pricing> overrides;

    private PriceTable(Map<String, ModelSpec.Pricing> overrides) {
        this.overrides = Map.copyOf(overrides);
    }

    /** The built-in prices only. */
    public static PriceTable builtIn() {
        return new PriceTable(Map.of());
    }

    /** The built-in prices with {@code overrides} (by model name) on top. */
    public static PriceTable withOverrides(Map<String, ModelSpec.Pricing> overrides) {
        return new PriceTable(overrides);
    }

    /** A table with one more override. */
    public PriceTable with(String model, ModelSpec.Pricing pricing) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(pricing, "pricing");
        Map<String, ModelSpec.Pricing> m = new LinkedHashMap<>(overrides);
        m.put(model, pricing);
        return new PriceTable(m);
    }

    /** The price of {@code model}: an override, else a built-in entry, else empty. */
    public Optional<ModelSpec.Pricing> price(String model) {
        Objects.requireNonNull(model, "model");
        ModelSpec.Pricing p = overrides.get(model);
        return Optional.ofNullable(p != null ? p : BUILT_IN.get(model));
    }

    /** Every entry, sorted by model name. */
    public java.util.List<Entry> entries() {
        Map<String, Entry> all = new TreeMap<>();
        BUILT_IN.forEach((k, v) -> all.put(k, new Entry(k, v, false)));
        overrides.forEach((k, v) -> all.put(k, new Entry(k, v, true)));
        return java.util.List.copyOf(all.values());
    }
}
