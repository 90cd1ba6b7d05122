package io.myriad.cli;

import io.myriad.cli.fleet.Durations;
import io.myriad.core.fleet.Faults;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.models.SimServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code myriad sim-server}: the simulated model behind an OpenAI-compatible HTTP endpoint. */
@Command(name = "sim-server", mixinStandardHelpOptions = true,
        description = {"Serves Myriad's SIMULATED model over the OpenAI Chat Completions protocol.",
                "Point any OpenAI-compatible client at http://127.0.0.1:PORT/v1 (e.g. myriad run --model-url)."})
final class SimServerCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "8089", description = "Port to listen on; 0 picks a free one (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--scenario", defaultValue = "tools", description = "tools, answer or script (default ${DEFAULT-VALUE}).")
    String scenario;

    @Option(names = "--tool-calls", defaultValue = "2", description = "Tool calls before answering in the tools scenario (default ${DEFAULT-VALUE}).")
    int toolCalls;

    @Option(names = "--latency", defaultValue = "0ms", description = "Mean simulated latency per call, e.g. 50ms (default ${DEFAULT-VALUE}).")
    String latency;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the simulation (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--context-window", defaultValue = "128000", description = "Prompt tokens accepted at most (default ${DEFAULT-VALUE}).")
    long contextWindow;

    @Option(names = "--request-log", paramLabel = "FILE",
            description = "Append one JSON line per chat request (run, step, time, injected fault).")
    Path requestLog;

    @Option(names = "--fault-429", paramLabel = "RATE", defaultValue = "0",
            description = "Share of requests answered HTTP 429 with Retry-After (0 to 1; default ${DEFAULT-VALUE}).")
    double fault429;

    @Option(names = "--fault-429-no-retry-after", paramLabel = "RATE", defaultValue = "0",
            description = "Share of requests answered HTTP 429 without Retry-After.")
    double fault429NoRetryAfter;

    @Option(names = "--fault-5xx", paramLabel = "RATE", defaultValue = "0",
            description = "Share of requests answered HTTP 500, 502 or 503.")
    double fault5xx;

    @Option(names = "--fault-timeout", paramLabel = "RATE", defaultValue = "0",
            description = "Share of requests answered only after --hang.")
    double faultTimeout;

    @Option(names = "--fault-reset", paramLabel = "RATE", defaultValue = "0",
            description = "Share of requests whose connection is closed in the middle of the answer.")
    double faultReset;

    @Option(names = "--fault-malformed", paramLabel = "RATE", defaultValue = "0",
            description = "Share of requests answered HTTP 200 with a body that is not JSON.")
    double faultMalformed;

    @Option(names = "--fault-truncated", paramLabel = "RATE", defaultValue = "0",
            description = "Share of requests answered HTTP 200 with JSON cut in the middle.")
    double faultTruncated;

    @Option(names = "--fault-empty-choices", paramLabel = "RATE", defaultValue = "0",
            description = "Share of requests answered HTTP 200 with \"choices\": [].")
    double faultEmptyChoices;

    @Option(names = "--fault-bad-tool-args", paramLabel = "RATE", defaultValue = "0",
            description = "Share of requests (with tools) answered by a tool call whose arguments are not JSON.")
    double faultBadToolArgs;

    @Option(names = "--fault-latency-spike", paramLabel = "RATE", defaultValue = "0",
            description = "Share of requests answered --spike later than usual (may add to another fault).")
    double faultLatencySpike;

    @Option(names = "--hostile", paramLabel = "RATE", defaultValue = "0",
            description = "Share of requests (with tools) answered by a tool call to refuse: an unknown tool,"
                    + " arguments against the schema, or paths such as ../../etc/passwd.")
    double hostile;

    @Option(names = "--retry-after", paramLabel = "DUR", defaultValue = "1s",
            description = "Retry-After of the 429 answers (default ${DEFAULT-VALUE}).")
    String retryAfter;

    @Option(names = "--hang", paramLabel = "DUR", defaultValue = "30s",
            description = "How long a timed-out request hangs (default ${DEFAULT-VALUE}).")
    String hang;

    @Option(names = "--spike", paramLabel = "DUR", defaultValue = "2s",
            description = "Extra latency of a latency spike (default ${DEFAULT-VALUE}).")
    String spike;

    @Option(names = "--faults-from", paramLabel = "DUR", defaultValue = "0s",
            description = "Inject faults from this long after the start (default ${DEFAULT-VALUE}).")
    String faultsFrom;

    @Option(names = "--faults-until", paramLabel = "DUR",
            description = "Inject faults until this long after the start (default: for ever).")
    String faultsUntil;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        var settings = new ModelSpec.Simulated(scenario, toolCalls, Durations.parse(latency), seed, contextWindow, faults());
        try (SimServer server = SimServer.start(port, settings, Optional.ofNullable(requestLog))) {
            out.println("myriad sim-server: SIMULATED model (" + settings.describe() + ") listening on http://127.0.0.1:"
                    + server.port() + "/v1");
            out.flush();
            CountDownLatch forever = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
            forever.await();
        }
        return Main.EXIT_OK;
    }

    /**
     * The faults the options ask for.
     *
     * @throws IllegalArgumentException naming the option at fault
     */
    private Faults faults() {
        Map<String, Double> exclusive = new LinkedHashMap<>();
        exclusive.put("--fault-429", rate("--fault-429", fault429));
        exclusive.put("--fault-429-no-retry-after", rate("--fault-429-no-retry-after", fault429NoRetryAfter));
        exclusive.put("--fault-5xx", rate("--fault-5xx", fault5xx));
        exclusive.put("--fault-timeout", rate("--fault-timeout", faultTimeout));
        exclusive.put("--fault-reset", rate("--fault-reset", faultReset));
        exclusive.put("--fault-malformed", rate("--fault-malformed", faultMalformed));
        exclusive.put("--fault-truncated", rate("--fault-truncated", faultTruncated));
        exclusive.put("--fault-empty-choices", rate("--fault-empty-choices", faultEmptyChoices));
        exclusive.put("--fault-bad-tool-args", rate("--fault-bad-tool-args", faultBadToolArgs));
        exclusive.put("--hostile", rate("--hostile", hostile));
        double sum = exclusive.values().stream().mapToDouble(Double::doubleValue).sum();
        if (sum > 1 + 1e-9) {
            throw new IllegalArgumentException("the fault rates " + exclusive.entrySet().stream()
                    .filter(e -> e.getValue() > 0).map(e -> e.getKey() + " " + e.getValue())
                    .collect(Collectors.joining(", ")) + " add up to more than 1, but a request gets at most one of"
                    + " these faults; lower them (--fault-latency-spike is not counted)");
        }
        Duration from = duration("--faults-from", faultsFrom);
        Duration until = faultsUntil == null ? Faults.NO_END : duration("--faults-until", faultsUntil);
        if (until.compareTo(from) <= 0) {
            throw new IllegalArgumentException("--faults-until (" + faultsUntil + ") must be after --faults-from ("
                    + faultsFrom + ")");
        }
        return Faults.builder()
                .rateLimited(fault429)
                .rateLimitedNoRetryAfter(fault429NoRetryAfter)
                .serverError(fault5xx)
                .timeout(faultTimeout)
                .reset(faultReset)
                .malformed(faultMalformed)
                .truncated(faultTruncated)
                .emptyChoices(faultEmptyChoices)
                .badToolArguments(faultBadToolArgs)
                .latencySpike(rate("--fault-latency-spike", faultLatencySpike))
                .hostile(hostile)
                .retryAfter(duration("--retry-after", retryAfter))
                .hang(duration("--hang", hang))
                .spike(duration("--spike", spike))
                .from(from)
                .until(until)
                .build();
    }

    private static double rate(String option, double rate) {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException(option + " expects a rate from 0 to 1 (a share of the requests), not " + rate);
        }
        return rate;
    }

    private static Duration duration(String option, String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
        }
    }
}
