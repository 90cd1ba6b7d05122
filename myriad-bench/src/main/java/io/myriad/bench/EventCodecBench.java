package io.myriad.bench;

import io.myriad.core.journal.EventCodec;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.model.Message;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.Usage;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The journal's stored form: encoding and decoding the two events a run writes most, a model
 * response asking for one tool call and the completion of that call with a 200-byte result.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EventCodecBench {
    /** 200 ASCII characters, the size of a short file excerpt or API answer. */
    static final String RESULT_200 = ("{\"status\":200,\"body\":\"" + "lorem ipsum dolor sit amet ".repeat(7))
            .substring(0, 198) + "\"}";

    private final RunEvent modelResponded = new RunEvent.ModelResponded(
            1_732_579_200_123L,
            new Message.Assistant("I will read the configuration before changing it.",
                    List.of(new ToolCall("call_Qm9vTjJ3aWxsZGFzaA", "fs.read",
                            "{\"path\":\"config/application.yaml\",\"max_bytes\":65536}"))),
            new Usage(1_843, 61),
            0.000312,
            842,
            "gpt-4o-mini-2024-07-18");

    private final RunEvent toolCallCompleted = new RunEvent.ToolCallCompleted(
            1_732_579_201_004L, "call_Qm9vTjJ3aWxsZGFzaA", RESULT_200, 17);

    private final String modelRespondedJson = EventCodec.encode(modelResponded);
    private final String toolCallCompletedJson = EventCodec.encode(toolCallCompleted);

    @Benchmark
    public String encodeModelResponded() {
        return EventCodec.encode(modelResponded);
    }

    @Benchmark
    public RunEvent decodeModelResponded() {
        return EventCodec.decode(modelRespondedJson);
    }

    @Benchmark
    public String encodeToolCallCompleted() {
        return EventCodec.encode(toolCallCompleted);
    }

    @Benchmark
    public RunEvent decodeToolCallCompleted() {
        return EventCodec.decode(toolCallCompletedJson);
    }
}
