package io.myriad.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.myriad.core.fleet.Faults;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelRequest.ToolChoice;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.model.Usage;
import io.myriad.core.run.Sleeper;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.Set;

/**
 * Myriad's simulated model: answers like a cooperative model would, without calling one.
 *
 * <p>Every answer is a pure function of the settings and the request: the same conversation gets
 * the same answer, token counts, call ids and latency in this process, behind {@link SimServer},
 * and after a restart. There is no per-run state; where the model is in a task is read from the
 * conversation itself. The <em>turn</em> used below is the number of assistant messages already in
 * the conversation plus one (so 1 on the first call); it is derived from the messages rather than
 * from {@link ModelRequest#step()}, which does not travel over HTTP when a request has no run id.
 *
 * <p>Scenarios:
 * <ul>
 *   <li>{@code tools}: while fewer than {@code toolCalls} assistant messages with tool calls are in
 *       the conversation and tools are offered, call one offered tool (they take turns) with
 *       arguments made up from its schema; then answer. {@link ToolChoice#NONE} suppresses tool
 *       calls; a {@link ToolChoice.Named named} choice selects that tool when it is offered.
 *   <li>{@code answer}: answer at once.
 *   <li>{@code script}: play the script carried by the first user message (see {@link SimScript}).
 * </ul>
 * A final answer is a short text saying it is simulated, or, when the request has an output schema
 * (outside {@code script}), JSON made up from that schema.
 *
 * <p>Usage: prompt tokens are a quarter of the characters of all messages (contents, tool call
 * names and arguments) and tool definitions (name, description, parameter schema), rounded up;
 * completion tokens are a quarter of the characters of the answer, rounded up, plus one. A prompt
 * above the context window is refused with {@link ModelException.Kind#CONTEXT_TOO_LONG}.
 *
 * <p>Faults ({@link Faults}, drawn as {@link SimFaults} describes) surface as what a real provider
 * would make of them: {@code RATE_LIMITED} (with the Retry-After in milliseconds, or -1),
 * {@code SERVER_ERROR}, {@code TIMEOUT} after the hang, {@code UNREACHABLE} for a reset and
 * {@code MALFORMED_RESPONSE} for a malformed or truncated body or empty choices; bad tool
 * arguments and hostile tool calls are ordinary answers, and a latency spike an ordinary answer
 * that comes late. Rate limits and server errors come at once; every other answer, failed or not,
 * after the simulated latency (a timeout after the hang instead).
 */
public final class SimulatedModel implements ModelProvider {
    /** The model name reported when a request names none. */
    static final String MODEL_NAME = "myriad-sim";

    private static final Set<String> SCENARIOS = Set.of("tools", "answer", "script", "team");

    private final ModelSpec.Simulated settings;
    private final Sleeper sleeper;
    private final SimFaults faults;
    private final ObjectMapper json = JsonMapper.builder().build();

    private SimulatedModel(ModelSpec.Simulated settings, Sleeper sleeper, InstantSource clock) {
        this.settings = settings;
        this.sleeper = sleeper;
        this.faults = new SimFaults(settings.faults(), settings.seed(), clock);
    }

    /**
     * A simulated model that waits through {@code sleeper}, so tests can skip the simulated latency.
     * A sleeper that returns with the calling thread interrupted (as {@link Sleeper#SYSTEM} does)
     * abandons the call. Faults follow the system clock.
     *
     * @throws IllegalArgumentException when the scenario is not {@code tools}, {@code answer} or {@code script}
     */
    public static SimulatedModel create(ModelSpec.Simulated settings, Sleeper sleeper) {
        return create(settings, sleeper, InstantSource.system());
    }

    /**
     * A simulated model that waits through {@code sleeper} and reads the time of the fault window
     * from {@code clock}; the window opens now, as {@code clock} tells it.
     *
     * @throws IllegalArgumentException when the scenario is not {@code tools}, {@code answer} or
     *     {@code script}, or the latency is negative
     */
    public static SimulatedModel create(ModelSpec.Simulated settings, Sleeper sleeper, InstantSource clock) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(sleeper, "sleeper");
        Objects.requireNonNull(clock, "clock");
        if (!SCENARIOS.contains(settings.scenario())) {
            throw new IllegalArgumentException("Unknown simulated scenario '" + settings.scenario()
                    + "': use tools, answer or script.");
        }
        if (settings.latency().isNegative()) {
            throw new IllegalArgumentException("The simulated latency must not be negative, not " + settings.latency() + ".");
        }
        return new SimulatedModel(settings, sleeper, clock);
    }

    /** A simulated model that really waits for its simulated latency. */
    public static SimulatedModel create(ModelSpec.Simulated settings) {
        return create(settings, Sleeper.SYSTEM);
    }

    /**
     * Answers the request as described in the class documentation, after the simulated latency.
     *
     * @throws ModelException {@code CONTEXT_TOO_LONG} when the prompt exceeds the context window,
     *     {@code REJECTED} when the {@code script} scenario gets no valid script, {@code TIMEOUT}
     *     when the calling thread is interrupted while waiting, and the kind of an injected fault
     */
    @Override
    public ModelResponse complete(ModelRequest request) {
        Reply reply = reply(request);
        sleep(reply.latency());
        if (reply.draw().kind().fails()) {
            throw faults.exception(reply.draw());
        }
        return reply.response().orElseThrow();
    }

    /**
     * Answers without holding a thread while the simulated latency (or an injected hang) passes:
     * the response is computed at once and delivered, or the call failed, by a timer, so a million
     * waiting calls cost a timer entry each.
     */
    @Override
    public CompletableFuture<ModelResponse> completeAsync(ModelRequest request, Executor executor) {
        Reply reply;
        try {
            reply = reply(request);
        } catch (ModelException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<ModelResponse> future = new CompletableFuture<>();
        Runnable deliver = () -> {
            if (reply.draw().kind().fails()) {
                future.completeExceptionally(faults.exception(reply.draw()));
            } else {
                future.complete(reply.response().orElseThrow());
            }
        };
        if (reply.latency().isZero()) {
            deliver.run();
        } else {
            // Completed on the delay scheduler's own thread: the caller's continuation (the gateway
            // admitting the next call) must not queue behind busy workers.
            CompletableFuture.delayedExecutor(reply.latency().toNanos(), TimeUnit.NANOSECONDS, Runnable::run)
                    .execute(deliver);
        }
        return future;
    }

    /**
     * What the model does with one request, faults included.
     *
     * @param draw     the faults drawn for it (those that did not apply removed)
     * @param response the answer, bad tool arguments and hostile calls included; empty for a
     *                 fault that comes before any answer (rate limit, server error)
     * @param latency  how long the answer, or the failure, takes
     */
    record Reply(SimFaults.Draw draw, Optional<ModelResponse> response, Duration latency) {}

    /**
     * Draws the faults of {@code request} and computes its answer.
     *
     * @throws ModelException {@code CONTEXT_TOO_LONG} or {@code REJECTED} as {@link #complete} does
     */
    Reply reply(ModelRequest request) {
        Objects.requireNonNull(request, "request");
        String taskInput = firstUserMessage(request);
        int turn = assistantMessages(request) + 1;
        SimFaults.Draw draw = faults.draw(request, taskInput, turn);
        if (draw.kind().answerless()) {
            return new Reply(draw.withoutSpike(), Optional.empty(), Duration.ZERO);
        }
        long promptTokens = promptTokens(request);
        if (promptTokens > settings.contextWindow()) {
            throw new ModelException(ModelException.Kind.CONTEXT_TOO_LONG,
                    "This model's maximum context length is " + settings.contextWindow()
                            + " tokens. However, your messages resulted in " + promptTokens
                            + " tokens (simulated model). Shorten the conversation or the tool output,"
                            + " or raise the simulated context window.");
        }
        Message.Assistant answer = switch (settings.scenario()) {
            case "tools" -> toolsTurn(request, taskInput, turn);
            case "script" -> scriptTurn(request, taskInput, turn);
            case "team" -> SimTeam.turn(request, taskInput, callId(taskInput, turn, 0), json,
                    () -> toolsTurn(withoutEngineTools(request), taskInput, turn));
            default -> finalAnswer(request, turn);
        };
        boolean toolsOffered = !request.tools().isEmpty();
        switch (draw.kind()) {
            case BAD_TOOL_ARGUMENTS -> {
                if (toolsOffered) {
                    answer = SimFaults.badArguments(answer, request, draw, turn, callId(taskInput, turn, 0), json);
                } else {
                    draw = draw.withoutFault();
                }
            }
            case HOSTILE -> {
                if (toolsOffered) {
                    answer = SimFaults.hostile(request, draw, turn, callId(taskInput, turn, 0));
                } else {
                    draw = draw.withoutFault();
                }
            }
            default -> {
                // the other faults leave the answer as it is
            }
        }
        ModelResponse response = new ModelResponse(
                answer,
                new Usage(promptTokens, completionTokens(answer)),
                answer.hasToolCalls() ? "tool_calls" : "stop",
                request.model().isEmpty() ? MODEL_NAME : request.model());
        Duration latency = draw.kind() == SimFaults.Kind.TIMEOUT
                ? faults.settings().hang()
                : draw.spike() ? latency(taskInput, turn).plus(faults.settings().spike()) : latency(taskInput, turn);
        return new Reply(draw, Optional.of(response), latency);
    }

    /** The faults the model injects. */
    Faults faults() {
        return settings.faults();
    }

    /** Waits as {@link #complete} does, through the model's sleeper. */
    void pause(Duration duration) {
        sleep(duration);
    }

    /** Says that the answers are simulated, with the scenario and seed that make them reproducible. */
    @Override
    public String describe() {
        return "sim (simulated model, scenario " + settings.scenario() + ", seed " + settings.seed()
                + (settings.faults().any() ? ", faults: " + settings.faults().describe() : "") + ")";
    }

    @Override
    public boolean simulated() {
        return true;
    }

    // ---------------------------------------------------------------- scenarios

    private Message.Assistant toolsTurn(ModelRequest request, String taskInput, int turn) {
        List<ToolDefinition> tools = request.tools();
        long done = request.messages().stream()
                .filter(m -> m instanceof Message.Assistant a && a.hasToolCalls())
                .count();
        if (done >= settings.toolCalls() || tools.isEmpty() || request.toolChoice() instanceof ToolChoice.None) {
            return finalAnswer(request, turn);
        }
        ToolDefinition tool = tools.get((int) (done % tools.size()));
        if (request.toolChoice() instanceof ToolChoice.Named named) {
            tool = tools.stream().filter(t -> t.name().equals(named.name())).findFirst().orElse(tool);
        }
        String arguments = SchemaFaker.value(tool.parameters(), "", turn).toString();
        return new Message.Assistant("", List.of(new ToolCall(callId(taskInput, turn, 0), tool.name(), arguments)));
    }

    /** The request without the engine's own tools (delegate, handoff): the team scenario calls those itself. */
    private static ModelRequest withoutEngineTools(ModelRequest r) {
        List<ToolDefinition> tools = r.tools().stream().filter(t -> !t.name().equals("delegate") && !t.name().equals("handoff")).toList();
        if (tools.size() == r.tools().size()) {
            return r;
        }
        return new ModelRequest(r.model(), r.messages(), tools, tools.isEmpty() ? ToolChoice.NONE : r.toolChoice(),
                r.outputSchema(), r.maxOutputTokens(), r.temperature(), r.runId(), r.step(), r.attempt());
    }

    private Message.Assistant scriptTurn(ModelRequest request, String taskInput, int turn) {
        SimScript.Turn step = SimScript.turn(taskInput, turn - 1, json);
        if (!step.callsTool()) {
            return new Message.Assistant(step.answer(), List.of());
        }
        return new Message.Assistant("", List.of(new ToolCall(callId(taskInput, turn, 0), step.tool(), step.arguments())));
    }

    private Message.Assistant finalAnswer(ModelRequest request, int turn) {
        if (request.outputSchema() != null) {
            return new Message.Assistant(SchemaFaker.value(request.outputSchema(), "", turn).toString(), List.of());
        }
        List<String> used = new ArrayList<>();
        for (Message message : request.messages()) {
            if (message instanceof Message.Assistant assistant) {
                assistant.toolCalls().forEach(call -> used.add(call.name()));
            }
        }
        String tools = used.isEmpty() ? "without tool calls"
                : "after " + used.size() + " tool call" + (used.size() == 1 ? "" : "s") + " (" + String.join(", ", used) + ")";
        return new Message.Assistant("Simulated answer: the task is done " + tools
                + ". This text comes from Myriad's simulated model (seed " + settings.seed() + "), not a real model.",
                List.of());
    }

    // ---------------------------------------------------------------- determinism

    private String callId(String taskInput, int turn, int index) {
        return "call_" + SimHash.hex(SimHash.of(settings.seed(), "call", taskInput, turn, index)).substring(0, 16)
                + SimHash.hex(SimHash.of(settings.seed(), "call2", taskInput, turn, index)).substring(0, 8);
    }

    /** The latency times a factor in [0.5, 1.5) drawn from the seed, the task input and the turn. */
    Duration latency(String taskInput, int turn) {
        if (settings.latency().isZero()) {
            return Duration.ZERO;
        }
        double u = SimHash.unit(SimHash.of(settings.seed(), "latency", taskInput, turn));
        return Duration.ofNanos(Math.round(settings.latency().toNanos() * (0.5 + u)));
    }

    private void sleep(Duration duration) {
        if (duration.isZero()) {
            return;
        }
        sleeper.sleep(duration);
        if (Thread.currentThread().isInterrupted()) {
            throw new ModelException(ModelException.Kind.TIMEOUT,
                    "The simulated model call was abandoned because the calling thread was interrupted"
                            + " (the run was probably cancelled).");
        }
    }

    // ---------------------------------------------------------------- accounting

    static long promptTokens(ModelRequest request) {
        long chars = 0;
        for (Message message : request.messages()) {
            chars += switch (message) {
                case Message.System system -> system.content().length();
                case Message.User user -> user.content().length();
                case Message.ToolResult result -> result.content().length();
                case Message.Assistant assistant -> assistantChars(assistant);
            };
        }
        for (ToolDefinition tool : request.tools()) {
            chars += tool.name().length() + tool.description().length() + tool.parameters().toString().length();
        }
        return ceilQuarter(chars);
    }

    static long completionTokens(Message.Assistant answer) {
        return ceilQuarter(assistantChars(answer)) + 1;
    }

    private static long assistantChars(Message.Assistant assistant) {
        long chars = assistant.content().length();
        for (ToolCall call : assistant.toolCalls()) {
            chars += call.name().length() + call.arguments().length();
        }
        return chars;
    }

    private static long ceilQuarter(long chars) {
        return (chars + 3) / 4;
    }

    private static String firstUserMessage(ModelRequest request) {
        for (Message message : request.messages()) {
            if (message instanceof Message.User user) {
                return user.content();
            }
        }
        return "";
    }

    private static int assistantMessages(ModelRequest request) {
        int count = 0;
        for (Message message : request.messages()) {
            if (message instanceof Message.Assistant) {
                count++;
            }
        }
        return count;
    }
}
