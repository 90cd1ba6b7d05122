package io.myriad.models;

import static io.myriad.models.SimulatedModelTest.FS_READ;
import static io.myriad.models.SimulatedModelTest.FS_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.fleet.Faults;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelException.Kind;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelRequest.ToolChoice;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.run.Sleeper;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The simulated model's faults, in-process: the exceptions a real provider would raise, and the answers. */
class SimulatedModelFaultsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<ToolDefinition> TOOLS = List.of(FS_WRITE, FS_READ);

    private final List<Duration> slept = new ArrayList<>();
    private final Sleeper recording = slept::add;

    static Stream<Arguments> failingFaults() {
        return Stream.of(
                Arguments.of("rate_limited", (UnaryOperator<Faults.Builder>) b -> b.rateLimited(1)
                        .retryAfter(Duration.ofMillis(1500)), Kind.RATE_LIMITED, 1500L),
                Arguments.of("rate_limited_no_retry_after", (UnaryOperator<Faults.Builder>) b -> b.rateLimitedNoRetryAfter(1),
                        Kind.RATE_LIMITED, -1L),
                Arguments.of("server_error", (UnaryOperator<Faults.Builder>) b -> b.serverError(1), Kind.SERVER_ERROR, -1L),
                Arguments.of("timeout", (UnaryOperator<Faults.Builder>) b -> b.timeout(1), Kind.TIMEOUT, -1L),
                Arguments.of("reset", (UnaryOperator<Faults.Builder>) b -> b.reset(1), Kind.UNREACHABLE, -1L),
                Arguments.of("malformed", (UnaryOperator<Faults.Builder>) b -> b.malformed(1), Kind.MALFORMED_RESPONSE, -1L),
                Arguments.of("truncated", (UnaryOperator<Faults.Builder>) b -> b.truncated(1), Kind.MALFORMED_RESPONSE, -1L),
                Arguments.of("empty_choices", (UnaryOperator<Faults.Builder>) b -> b.emptyChoices(1),
                        Kind.MALFORMED_RESPONSE, -1L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failingFaults")
    void eachFailingFaultRaisesWhatARealProviderWould(String name, UnaryOperator<Faults.Builder> faults, Kind kind,
            long retryAfterMillis) {
        SimulatedModel model = model(faults.apply(Faults.builder()).build());

        ModelException e = catchThrowableOfType(ModelException.class, () -> model.complete(request("run-1", 1, 1)));

        assertThat(e).as(name).isNotNull();
        assertThat(e.kind()).isEqualTo(kind);
        assertThat(e.retriable()).isTrue();
        assertThat(e.retryAfterMillis()).isEqualTo(retryAfterMillis);
        assertThat(e.rateLimits().retryAfterMillis()).isEqualTo(retryAfterMillis);
        assertThat(e.getMessage()).contains("simulated model", "injected");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failingFaults")
    void completeAsyncFailsTheSameWay(String name, UnaryOperator<Faults.Builder> faults, Kind kind, long retryAfterMillis) {
        SimulatedModel model = SimulatedModel.create(
                settings(faults.apply(Faults.builder()).hang(Duration.ofMillis(20)).build()), recording);

        CompletableFuture<ModelResponse> future = model.completeAsync(request("run-1", 1, 1), Runnable::run);

        ExecutionException e = catchThrowableOfType(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
        assertThat(e).as(name).isNotNull();
        assertThat(e.getCause()).isInstanceOfSatisfying(ModelException.class, m -> {
            assertThat(m.kind()).isEqualTo(kind);
            assertThat(m.retryAfterMillis()).isEqualTo(retryAfterMillis);
        });
        assertThat(slept).as("completeAsync waits on a timer, not through the sleeper").isEmpty();
    }

    @Test
    void aTimeoutFailsAfterTheHangAndARateLimitAtOnce() {
        Duration latency = Duration.ofMillis(100);
        SimulatedModel hanging = SimulatedModel.create(new ModelSpec.Simulated("tools", 2, latency, 42, 128_000,
                Faults.builder().timeout(1).hang(Duration.ofSeconds(45)).build()), recording);
        assertThatThrownBy(() -> hanging.complete(request("run-1", 1, 1)))
                .isInstanceOfSatisfying(ModelException.class, e -> assertThat(e.kind()).isEqualTo(Kind.TIMEOUT));
        assertThat(slept).containsExactly(Duration.ofSeconds(45));

        slept.clear();
        SimulatedModel limited = SimulatedModel.create(new ModelSpec.Simulated("tools", 2, latency, 42, 128_000,
                Faults.builder().rateLimited(1).build()), recording);
        assertThatThrownBy(() -> limited.complete(request("run-1", 1, 1))).isInstanceOf(ModelException.class);
        assertThat(slept).isEmpty();
    }

    @Test
    void aLatencySpikeAnswersNormallyButLater() {
        Duration latency = Duration.ofMillis(100);
        ModelRequest request = request("run-1", 1, 1);
        ModelResponse calm = SimulatedModel.create(new ModelSpec.Simulated("tools", 2, latency, 42, 128_000), recording)
                .complete(request);
        ModelResponse spiked = SimulatedModel.create(new ModelSpec.Simulated("tools", 2, latency, 42, 128_000,
                Faults.builder().latencySpike(1).spike(Duration.ofSeconds(3)).build()), recording).complete(request);

        assertThat(spiked).isEqualTo(calm);
        assertThat(slept).hasSize(2);
        assertThat(slept.get(1)).isEqualTo(slept.get(0).plus(Duration.ofSeconds(3)));
    }

    @Test
    void badToolArgumentsAreNotJsonButTheRestOfTheAnswerIsNormal() {
        SimulatedModel model = model(Faults.builder().badToolArguments(1).build());
        SimulatedModel clean = model(Faults.NONE);
        for (int step = 1; step <= 50; step++) {
            ModelRequest request = request("run-" + step, step, 1);
            ModelResponse response = model.complete(request);
            ToolCall call = response.message().toolCalls().getFirst();
            ToolCall expected = clean.complete(request).message().toolCalls().getFirst();

            assertThat(call.id()).isEqualTo(expected.id());
            assertThat(call.name()).isEqualTo(expected.name());
            assertThat(expected.arguments()).startsWith(call.arguments());
            assertThat(call.arguments()).isNotEmpty();
            assertThatThrownBy(() -> JSON.readTree(call.arguments())).as(call.arguments()).isInstanceOf(IOException.class);
            assertThat(response.finishReason()).isEqualTo("tool_calls");
        }
    }

    @Test
    void badToolArgumentsTurnAFinalAnswerIntoABrokenCall() {
        SimulatedModel model = SimulatedModel.create(
                new ModelSpec.Simulated("answer", 0, Duration.ZERO, 42, 128_000, Faults.builder().badToolArguments(1).build()),
                recording);

        ModelResponse response = model.complete(request("run-1", 1, 1));

        ToolCall call = response.message().toolCalls().getFirst();
        assertThat(call.name()).isIn("fs.write", "fs.read");
        assertThatThrownBy(() -> JSON.readTree(call.arguments())).isInstanceOf(IOException.class);
    }

    @Test
    void toolFaultsNeedOfferedTools() {
        SimulatedModel model = model(Faults.builder().badToolArguments(0.5).hostile(0.5).build());
        ModelRequest noTools = new ModelRequest("", List.of(new Message.User("Hi")), List.of(), ToolChoice.AUTO, null, 0,
                null, "run-1", 1);

        ModelResponse response = model.complete(noTools);

        assertThat(response.message().hasToolCalls()).isFalse();
        assertThat(model.reply(noTools).draw().kind()).isEqualTo(SimFaults.Kind.NONE);
    }

    @Test
    void hostileCallsAreEachWrongInOneOfThreeWays() {
        ToolDefinition typed = ToolDefinition.of("counter.add", "Adds.", """
                {"type": "object", "properties": {"amount": {"type": "integer"}, "note": {"type": "string"}}}""");
        List<ToolDefinition> tools = List.of(FS_WRITE, FS_READ, typed);
        SimulatedModel model = model(Faults.builder().hostile(1).build());
        Set<SimFaults.Hostile> seen = EnumSet.noneOf(SimFaults.Hostile.class);
        Set<String> paths = new HashSet<>();
        for (int step = 1; step <= 200; step++) {
            ModelRequest request = new ModelRequest("", List.of(new Message.User("Keep notes.")), tools, ToolChoice.AUTO,
                    null, 0, null, "run-h", step);
            SimulatedModel.Reply reply = model.reply(request);
            assertThat(reply.draw().kind()).isEqualTo(SimFaults.Kind.HOSTILE);
            SimFaults.Hostile variant = SimFaults.hostileVariant(reply.draw());
            seen.add(variant);
            ToolCall call = reply.response().orElseThrow().message().toolCalls().getFirst();
            switch (variant) {
                case UNKNOWN_TOOL -> assertThat(tools).extracting(ToolDefinition::name).doesNotContain(call.name());
                case BREAKS_SCHEMA -> {
                    ToolDefinition tool = offered(tools, call.name());
                    assertThat(violatesSchema(tool, call.arguments())).as(call.toString()).isTrue();
                }
                case ESCAPING_PATH -> {
                    offered(tools, call.name());
                    JsonNode args = parse(call.arguments());
                    List<String> found = new ArrayList<>();
                    args.properties().forEach(p -> {
                        if (p.getValue().isTextual() && (p.getValue().asText().contains("..") || p.getValue().asText().startsWith("/"))) {
                            found.add(p.getValue().asText());
                        }
                    });
                    assertThat(found).as(call.toString()).isNotEmpty();
                    paths.addAll(found);
                }
            }
        }
        assertThat(seen).containsExactlyInAnyOrder(SimFaults.Hostile.values());
        assertThat(paths).containsExactlyInAnyOrder("../../etc/passwd", "/etc/shadow");
    }

    @Test
    void theSameAttemptAlwaysGetsTheSameFault() {
        Faults faults = mixed();
        SimulatedModel one = model(faults);
        SimulatedModel other = model(faults);
        for (int step = 1; step <= 300; step++) {
            ModelRequest request = request("run-d", step, 1 + step % 3);
            assertThat(other.reply(request).draw()).isEqualTo(one.reply(request).draw());
            assertThat(one.reply(request).draw()).isEqualTo(one.reply(request).draw());
        }
    }

    @Test
    void aRetryGetsAFreshDraw() {
        SimulatedModel model = model(Faults.builder().serverError(0.5).build());
        int agree = 0;
        int failedFirst = 0;
        int n = 2000;
        for (int step = 1; step <= n; step++) {
            boolean first = model.reply(request("run-r", step, 1)).draw().kind() != SimFaults.Kind.NONE;
            boolean second = model.reply(request("run-r", step, 2)).draw().kind() != SimFaults.Kind.NONE;
            agree += first == second ? 1 : 0;
            failedFirst += first ? 1 : 0;
        }
        // Independent draws agree half the time; the same draw would agree always.
        assertThat(agree).isBetween(n * 40 / 100, n * 60 / 100);
        assertThat(failedFirst).isBetween(n * 45 / 100, n * 55 / 100);
    }

    @Test
    void aRateOfOneHalfFaultsAboutHalfTheRequestsAndSplitsServerErrors() {
        SimulatedModel model = model(Faults.builder().serverError(0.5).build());
        int failed = 0;
        Set<Integer> statuses = new HashSet<>();
        int n = 2000;
        for (int i = 0; i < n; i++) {
            SimFaults.Draw draw = model.reply(request("run-" + i, i % 7, 1)).draw();
            if (draw.kind() == SimFaults.Kind.SERVER_ERROR) {
                failed++;
                statuses.add(SimFaults.serverStatus(draw));
            }
        }
        // The standard deviation is about 22; 100 is more than four of them.
        assertThat(failed).isBetween(n / 2 - 100, n / 2 + 100);
        assertThat(statuses).containsExactlyInAnyOrder(500, 502, 503);
    }

    @Test
    void exclusiveFaultsShareTheRequestsByTheirRates() {
        SimulatedModel model = model(mixed());
        int[] counts = new int[SimFaults.Kind.values().length];
        int n = 4000;
        for (int i = 0; i < n; i++) {
            counts[model.reply(request("run-m", i, 1)).draw().kind().ordinal()]++;
        }
        assertThat(counts[SimFaults.Kind.RATE_LIMITED.ordinal()]).isBetween(n * 20 / 100 - 130, n * 20 / 100 + 130);
        assertThat(counts[SimFaults.Kind.TIMEOUT.ordinal()]).isBetween(n * 10 / 100 - 100, n * 10 / 100 + 100);
        assertThat(counts[SimFaults.Kind.MALFORMED.ordinal()]).isBetween(n * 30 / 100 - 150, n * 30 / 100 + 150);
        assertThat(counts[SimFaults.Kind.NONE.ordinal()]).isBetween(n * 40 / 100 - 160, n * 40 / 100 + 160);
    }

    @Test
    void requestsWithoutARunIdDrawFromTheirConversation() {
        SimulatedModel model = model(Faults.builder().rateLimited(0.5).build());
        Set<SimFaults.Kind> kinds = EnumSet.noneOf(SimFaults.Kind.class);
        for (int i = 0; i < 40; i++) {
            ModelRequest request = new ModelRequest("", List.of(new Message.User("task " + i)), TOOLS, ToolChoice.AUTO, null,
                    0, null, "", 0);
            kinds.add(model.reply(request).draw().kind());
            assertThat(model.reply(request.withAttempt(1)).draw()).isEqualTo(model.reply(request).draw());
        }
        assertThat(kinds).containsExactlyInAnyOrder(SimFaults.Kind.NONE, SimFaults.Kind.RATE_LIMITED);
    }

    @Test
    void faultsApplyOnlyInsideTheirWindow() {
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
        InstantSource clock = now::get;
        Faults faults = Faults.builder().rateLimited(1).from(Duration.ofSeconds(10)).until(Duration.ofMinutes(1)).build();
        SimulatedModel model = SimulatedModel.create(settings(faults), recording, clock);
        ModelRequest request = request("run-w", 1, 1);

        assertThat(model.complete(request)).isNotNull();
        now.set(now.get().plusSeconds(10));
        assertThatThrownBy(() -> model.complete(request))
                .isInstanceOfSatisfying(ModelException.class, e -> assertThat(e.kind()).isEqualTo(Kind.RATE_LIMITED));
        now.set(now.get().plusSeconds(49));
        assertThatThrownBy(() -> model.complete(request)).isInstanceOf(ModelException.class);
        now.set(now.get().plusSeconds(1));
        assertThat(model.complete(request)).isNotNull();
    }

    @Test
    void aStormOfRateLimitsOnHalfTheRequestsForTheFirstMinute() {
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
        Faults storm = Faults.builder().rateLimited(0.5).until(Duration.ofMinutes(1)).build();
        SimulatedModel model = SimulatedModel.create(settings(storm), recording, now::get);
        int during = 0;
        int after = 0;
        for (int i = 0; i < 400; i++) {
            now.set(Instant.parse("2026-01-01T00:00:00Z").plusMillis(i * 100L));
            during += model.reply(request("run-s", i, 1)).draw().kind() == SimFaults.Kind.NONE ? 0 : 1;
            now.set(Instant.parse("2026-01-01T00:01:00Z").plusMillis(i * 100L));
            after += model.reply(request("run-s", i, 1)).draw().kind() == SimFaults.Kind.NONE ? 0 : 1;
        }
        assertThat(during).isBetween(150, 250);
        assertThat(after).isZero();
    }

    @Test
    void describesItsFaults() {
        SimulatedModel model = model(Faults.builder().rateLimited(0.1).serverError(0.05).build());
        assertThat(model.describe()).contains("simulated", "faults: 429 10% (Retry-After 1s), 5xx 5%");
        assertThat(model(Faults.NONE).describe()).doesNotContain("faults");
    }

    // ---------------------------------------------------------------- helpers

    private static Faults mixed() {
        return Faults.builder().rateLimited(0.2).timeout(0.1).malformed(0.3).latencySpike(0.5).build();
    }

    private SimulatedModel model(Faults faults) {
        return SimulatedModel.create(settings(faults), recording);
    }

    private static ModelSpec.Simulated settings(Faults faults) {
        return new ModelSpec.Simulated("tools", 2, Duration.ZERO, 42, 128_000, faults);
    }

    static ModelRequest request(String run, int step, int attempt) {
        return new ModelRequest("", List.of(new Message.System("Be useful."), new Message.User("Keep notes.")), TOOLS,
                ToolChoice.AUTO, null, 0, null, run, step, attempt);
    }

    private static ToolDefinition offered(List<ToolDefinition> tools, String name) {
        return tools.stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("not an offered tool: " + name));
    }

    /** A required property missing, a property of the wrong type, or arguments that are not an object. */
    static boolean violatesSchema(ToolDefinition tool, String arguments) {
        JsonNode args = parse(arguments);
        if (!args.isObject()) {
            return true;
        }
        JsonNode schema = tool.parameters();
        for (JsonNode required : schema.path("required")) {
            if (!args.has(required.asText())) {
                return true;
            }
        }
        for (var property : schema.path("properties").properties()) {
            JsonNode value = args.get(property.getKey());
            if (value == null) {
                continue;
            }
            boolean ok = switch (property.getValue().path("type").asText()) {
                case "string" -> value.isTextual();
                case "integer" -> value.isIntegralNumber();
                case "number" -> value.isNumber();
                case "boolean" -> value.isBoolean();
                default -> true;
            };
            if (!ok) {
                return true;
            }
        }
        return false;
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }
}
