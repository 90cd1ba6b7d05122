package io.myriad.cli;

import io.myriad.cli.fleet.Durations;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.models.SimServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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

    @Option(names = "--request-log", paramLabel = "FILE", description = "Append one JSON line per chat request (run, step, time).")
    Path requestLog;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        var settings = new ModelSpec.Simulated(scenario, toolCalls, Durations.parse(latency), seed, contextWindow);
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
}
