package io.myriad.core.budget;

import io.myriad.core.model.Message;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.ToolDefinition;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The worst case of a model call, and how budget figures are shown.
 *
 * <p>Prompt tokens are bounded by the UTF-8 bytes of everything the request carries (message
 * texts, tool calls, tool definitions, the output schema) plus {@value #PER_MESSAGE_OVERHEAD}
 * tokens per message and {@value #REQUEST_OVERHEAD} per request for the chat framing. Byte-level
 * BPE tokenizers (the GPT and Claude families, Llama 3) never make more tokens than bytes, since
 * every token covers at least one byte; the simulated model counts a quarter of the characters.
 * The bound is loose (about 4x for English), so a budget admits fewer calls near its ceiling
 * than a tight estimate would: it is what makes the ceiling hold.
 */
public final class Budgets {
    /** Framing tokens counted per message (role markers, separators). */
    public static final int PER_MESSAGE_OVERHEAD = 8;
    /** Framing tokens counted per request. */
    public static final int REQUEST_OVERHEAD = 16;
    /**
     * The output bound sent with a request under a budget when the agent sets no
     * {@code max_output_tokens}: without a bound the worst case would be unknown.
     */
    public static final long DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

    private Budgets() {}

    /** An upper bound of the prompt tokens of {@code request} for byte-level BPE tokenizers. */
    public static long promptTokensBound(ModelRequest request) {
        long bytes = REQUEST_OVERHEAD;
        for (Message m : request.messages()) {
            bytes += PER_MESSAGE_OVERHEAD + switch (m) {
                case Message.System s -> utf8(s.content());
                case Message.User u -> utf8(u.content());
                case Message.ToolResult r -> utf8(r.content()) + utf8(r.toolCallId());
                case Message.Assistant a -> {
                    long n = utf8(a.content());
                    for (ToolCall c : a.toolCalls()) {
                        n += utf8(c.id()) + utf8(c.name()) + utf8(c.arguments()) + PER_MESSAGE_OVERHEAD;
                    }
                    yield n;
                }
            };
        }
        for (ToolDefinition t : request.tools()) {
            bytes += PER_MESSAGE_OVERHEAD + utf8(t.name()) + utf8(t.description()) + utf8(t.parameters().toString());
        }
        if (request.outputSchema() != null) {
            bytes += utf8(request.outputSchema().toString());
        }
        return bytes;
    }

    private static long utf8(String s) {
        return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** A figure in its unit: {@code $1.2345}, {@code 12,000 tokens}, {@code 3 steps}, {@code 40 s}. */
    public static String format(Resource r, double value) {
        return switch (r) {
            case USD -> String.format(Locale.ROOT, "$%.4f", value);
            case TOKENS -> String.format(Locale.ROOT, "%,d tokens", (long) value);
            case STEPS -> String.format(Locale.ROOT, "%,d steps", (long) value);
            case TOOL_CALLS -> String.format(Locale.ROOT, "%,d tool calls", (long) value);
            case WALL -> String.format(Locale.ROOT, "%.1f s", value / 1000.0);
        };
    }
}
