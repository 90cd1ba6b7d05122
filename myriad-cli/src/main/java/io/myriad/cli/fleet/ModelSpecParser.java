package io.myriad.cli.fleet;

import io.myriad.core.fleet.Faults;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.fleet.ModelSpec.OpenAiCompatible;
import io.myriad.core.fleet.ModelSpec.Pricing;
import io.myriad.core.fleet.ModelSpec.Simulated;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code model} value, at fleet or agent level. Forms:
 * <ul>
 *   <li>{@code sim} or {@code sim:<scenario>}: the simulated model ({@link Simulated#DEFAULT}
 *       with the scenario replaced);
 *   <li>{@code openai:<name>}: OpenAI's API with the key from {@code OPENAI_API_KEY};
 *   <li>{@code {sim: {scenario, tool_calls, latency, seed, context_window, faults}}}, each
 *       optional; {@code faults} is a mapping of fault rates (probabilities per request:
 *       {@code rate_limited}, {@code rate_limited_no_retry_after}, {@code server_error},
 *       {@code timeout}, {@code reset}, {@code malformed}, {@code truncated},
 *       {@code empty_choices}, {@code bad_tool_arguments}, {@code latency_spike}, {@code hostile};
 *       all but {@code latency_spike} exclude each other and add up to at most 1) and durations
 *       ({@code retry_after}, {@code hang}, {@code spike}, and the window {@code from},
 *       {@code until}, counted from the simulator's start), each optional (see {@link Faults});
 *   <li>{@code {base_url, name, api_key_env, timeout, price: {input_per_mtok, output_per_mtok},
 *       simulated}}: any OpenAI-compatible endpoint; {@code base_url} and {@code name} required.
 * </ul>
 */
final class ModelSpecParser {
    static final String OPENAI_BASE_URL = "https://api.openai.com/v1";
    static final String OPENAI_KEY_ENV = "OPENAI_API_KEY";
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    static final List<String> SCENARIOS = List.of("tools", "answer", "script", "team");
    private static final List<String> SIM_MAPPING_KEYS = List.of("sim");
    private static final List<String> SIM_KEYS =
            List.of("scenario", "tool_calls", "latency", "seed", "context_window", "faults");
    /** The fault rates, in the order of {@link Faults}; all but {@code latency_spike} exclude each other. */
    private static final List<String> FAULT_RATES = List.of("rate_limited", "rate_limited_no_retry_after",
            "server_error", "timeout", "reset", "malformed", "truncated", "empty_choices", "bad_tool_arguments",
            "latency_spike", "hostile");
    private static final List<String> FAULT_KEYS = Stream.concat(FAULT_RATES.stream(),
            Stream.of("retry_after", "hang", "spike", "from", "until")).toList();
    private static final List<String> ENDPOINT_KEYS =
            List.of("base_url", "name", "api_key_env", "timeout", "price", "simulated");
    private static final List<String> PRICE_KEYS = List.of("input_per_mtok", "output_per_mtok");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final String FORMS =
            "sim, sim:<scenario>, openai:<name>, {sim: {...}} or {base_url: ..., name: ...}";

    private ModelSpecParser() {}

    /** The model {@code node} describes; empty after reporting its problems. */
    static Optional<ModelSpec> parse(Node node, Problems problems) {
        return switch (node) {
            case Node.Scalar s when s.kind() == Node.Kind.STRING -> shorthand(s, problems);
            case Node.Mapping m when m.entries().containsKey("sim") -> simulated(m, problems);
            case Node.Mapping m -> endpoint(m, problems);
            default -> {
                problems.at(node, "expected a model (" + FORMS + "), got " + node.describe());
                yield Optional.empty();
            }
        };
    }

    private static Optional<ModelSpec> shorthand(Node.Scalar node, Problems problems) {
        String text = ((String) node.value()).strip();
        if (text.equals("sim")) {
            return Optional.of(Simulated.DEFAULT);
        }
        if (text.startsWith("sim:")) {
            return scenario(text.substring(4), node, problems).map(ModelSpecParser::withScenario);
        }
        if (text.startsWith("openai:")) {
            String name = text.substring("openai:".length()).strip();
            if (name.isEmpty()) {
                problems.at(node, "expected a model name after 'openai:', like openai:gpt-4.1-mini");
                return Optional.empty();
            }
            return Optional.of(new OpenAiCompatible(
                    OPENAI_BASE_URL, name, OPENAI_KEY_ENV, DEFAULT_TIMEOUT, Pricing.FREE, false));
        }
        String hint = text.contains(":") || text.isEmpty() ? "" : "; did you mean 'openai:" + text + "'?";
        problems.at(node, "expected a model (" + FORMS + "), got " + node.describe() + hint);
        return Optional.empty();
    }

    private static Simulated withScenario(String scenario) {
        Simulated d = Simulated.DEFAULT;
        return new Simulated(scenario, d.toolCalls(), d.latency(), d.seed(), d.contextWindow());
    }

    private static Optional<String> scenario(String text, Node node, Problems problems) {
        String scenario = text.strip().toLowerCase(Locale.ROOT);
        if (SCENARIOS.contains(scenario)) {
            return Optional.of(scenario);
        }
        problems.at(node, "unknown simulated scenario '" + text + "'; expected one of: "
                + String.join(", ", SCENARIOS) + Suggestions.hint(text, SCENARIOS));
        return Optional.empty();
    }

    private static Optional<ModelSpec> simulated(Node.Mapping mapping, Problems problems) {
        int before = problems.count();
        Fields.of(mapping, "the model mapping", Fields.Owner.of(mapping), problems, SIM_MAPPING_KEYS);
        Node.Entry entry = mapping.entries().get("sim");
        Node value = entry.value();
        if (value instanceof Node.Scalar s && s.kind() == Node.Kind.NULL) {
            return problems.count() > before ? Optional.empty() : Optional.of(Simulated.DEFAULT);
        }
        Optional<Node.Mapping> settings = Values.mapping(value, problems);
        if (settings.isEmpty()) {
            return Optional.empty();
        }
        Fields f = Fields.of(settings.get(), "the simulated model", Fields.Owner.of(entry), problems, SIM_KEYS);
        Simulated d = Simulated.DEFAULT;
        String scenario = f.get("scenario")
                .flatMap(n -> Values.string(n, problems).flatMap(s -> scenario(s, n, problems)))
                .orElse(d.scenario());
        long toolCalls = f.integer("tool_calls", 0, 10_000).orElse((long) d.toolCalls());
        Duration latency = f.duration("latency", true).orElse(d.latency());
        long seed = f.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE).orElse(d.seed());
        long contextWindow = f.integer("context_window", 1, 1_000_000_000).orElse(d.contextWindow());
        Optional<Faults> faults = f.entry("faults").flatMap(e -> faults(e, problems));
        if (problems.count() > before) {
            return Optional.empty();
        }
        return Optional.of(new Simulated(scenario, (int) toolCalls, latency, seed, contextWindow,
                faults.orElse(Faults.NONE)));
    }

    /** The {@code faults} of the simulated model; empty after reporting its problems (or when null). */
    private static Optional<Faults> faults(Node.Entry entry, Problems problems) {
        if (entry.value() instanceof Node.Scalar s && s.kind() == Node.Kind.NULL) {
            return Optional.of(Faults.NONE);
        }
        Optional<Node.Mapping> mapping = Values.mapping(entry.value(), problems);
        if (mapping.isEmpty()) {
            return Optional.empty();
        }
        int before = problems.count();
        Fields f = Fields.of(mapping.get(), "faults", Fields.Owner.of(entry), problems, FAULT_KEYS);
        Map<String, Double> rates = new LinkedHashMap<>();
        for (String key : FAULT_RATES) {
            rates.put(key, f.number(key, 0, 1).orElse(0.0));
        }
        Faults.Builder faults = Faults.builder()
                .rateLimited(rates.get("rate_limited"))
                .rateLimitedNoRetryAfter(rates.get("rate_limited_no_retry_after"))
                .serverError(rates.get("server_error"))
                .timeout(rates.get("timeout"))
                .reset(rates.get("reset"))
                .malformed(rates.get("malformed"))
                .truncated(rates.get("truncated"))
                .emptyChoices(rates.get("empty_choices"))
                .badToolArguments(rates.get("bad_tool_arguments"))
                .latencySpike(rates.get("latency_spike"))
                .hostile(rates.get("hostile"));
        f.duration("retry_after", true).ifPresent(faults::retryAfter);
        f.duration("hang", true).ifPresent(faults::hang);
        f.duration("spike", true).ifPresent(faults::spike);
        Optional<Duration> from = f.duration("from", true);
        Optional<Duration> until = f.duration("until", false);
        from.ifPresent(faults::from);
        until.ifPresent(faults::until);
        if (problems.count() > before) {
            return Optional.empty();
        }
        List<String> exclusive = new ArrayList<>();
        double sum = 0;
        for (Map.Entry<String, Double> rate : rates.entrySet()) {
            if (!rate.getKey().equals("latency_spike") && rate.getValue() > 0) {
                exclusive.add(rate.getKey() + " " + plain(rate.getValue()));
                sum += rate.getValue();
            }
        }
        if (sum > 1 + 1e-9) {
            problems.atKey(entry, "the fault rates add up to " + plain(sum) + " (" + String.join(" + ", exclusive)
                    + "), but a request gets at most one of these faults: lower them to a sum of at most 1"
                    + " (latency_spike is not counted)");
            return Optional.empty();
        }
        if (until.isPresent() && until.get().compareTo(from.orElse(Duration.ZERO)) <= 0) {
            problems.at(f.get("until").orElseThrow(), "expected 'until' to be after 'from' ("
                    + Durations.format(from.orElse(Duration.ZERO)) + "), got " + f.get("until").orElseThrow().describe());
            return Optional.empty();
        }
        try {
            return Optional.of(faults.build());
        } catch (IllegalArgumentException e) {
            problems.atKey(entry, e.getMessage());
            return Optional.empty();
        }
    }

    /** A rate as people write it: {@code 0.5}, {@code 1.2}, {@code 1}. */
    private static String plain(double value) {
        return String.format(Locale.ROOT, "%.6f", value).replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    private static Optional<ModelSpec> endpoint(Node.Mapping mapping, Problems problems) {
        int before = problems.count();
        Fields f = Fields.of(mapping, "the model mapping", Fields.Owner.of(mapping), problems, ENDPOINT_KEYS);
        if (mapping.entry("base_url").isEmpty()) {
            problems.at(mapping, "the model mapping is missing the required key 'base_url' (or use sim: {...} "
                    + "for the simulated model)");
        }
        Optional<String> baseUrl = f.get("base_url").flatMap(n -> baseUrl(n, problems));
        Optional<String> name = f.required("name").flatMap(n -> Values.nonBlank(n, "a model name", problems));
        String keyEnv = f.get("api_key_env").flatMap(n -> envName(n, problems)).orElse("");
        Duration timeout = f.duration("timeout", false).orElse(DEFAULT_TIMEOUT);
        Pricing pricing = f.get("price").flatMap(n -> pricing(n, problems)).orElse(Pricing.FREE);
        boolean simulated = f.bool("simulated").orElse(false);
        if (problems.count() > before || baseUrl.isEmpty() || name.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new OpenAiCompatible(baseUrl.get(), name.get(), keyEnv, timeout, pricing, simulated));
    }

    private static Optional<String> baseUrl(Node node, Problems problems) {
        Optional<String> text = Values.string(node, problems);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        String url = text.get().strip();
        try {
            URI uri = new URI(url);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return Optional.of(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        problems.at(node, "expected an http or https URL up to and including /v1, like http://localhost:8000/v1, got "
                + node.describe());
        return Optional.empty();
    }

    private static Optional<String> envName(Node node, Problems problems) {
        return Values.string(node, problems).filter(name -> {
            boolean ok = name.isEmpty() || ENV_NAME.matcher(name).matches();
            if (!ok) {
                problems.at(node, "expected the name of an environment variable, like MY_API_KEY, got "
                        + node.describe() + " (write the variable's name, never the key itself)");
            }
            return ok;
        });
    }

    private static Optional<Pricing> pricing(Node node, Problems problems) {
        Optional<Node.Mapping> mapping = Values.mapping(node, problems);
        if (mapping.isEmpty()) {
            return Optional.empty();
        }
        int before = problems.count();
        Fields f = Fields.of(mapping.get(), "price", Fields.Owner.of(node), problems, PRICE_KEYS);
        Optional<Double> input = f.number("input_per_mtok", 0, Double.MAX_VALUE);
        Optional<Double> output = f.number("output_per_mtok", 0, Double.MAX_VALUE);
        if (problems.count() > before) {
            return Optional.empty();
        }
        return Optional.of(new Pricing(input.orElse(0.0), output.orElse(0.0)));
    }
}
