package io.myriad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Reconciliation;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolProvider;
import io.myriad.core.tool.ToolResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Test plug-in tools whose effects land in an external ledger (a file outside the journal, named
 * by {@code MYRIAD_TEST_LEDGER}), one line per event: {@code invoke <tool> <key>} when a call
 * begins and {@code effect <tool> <key>} when its effect happens. Each call takes a little time
 * before and after its effect, as a remote API would, so that a kill often lands mid-call.
 * <ul>
 *   <li>{@code ledger.pay}: irreversible, cannot reconcile: a call in doubt needs a person;
 *   <li>{@code ledger.transfer}: irreversible, reconciles by looking its key up in the ledger;
 *   <li>{@code ledger.put}: idempotent: it writes its effect only if the key is not there yet.
 * </ul>
 */
public final class LedgerToolProvider implements ToolProvider {
    private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"amount\":{\"type\":\"integer\"},"
            + "\"to\":{\"type\":\"string\"}},\"required\":[\"amount\",\"to\"],\"additionalProperties\":false}";
    private static final Object LOCK = new Object();

    @Override
    public List<Tool> tools() {
        return List.of(new Ledger("ledger.pay", Effect.IRREVERSIBLE, false),
                new Ledger("ledger.transfer", Effect.IRREVERSIBLE, true),
                new Ledger("ledger.put", Effect.IDEMPOTENT, false));
    }

    static Path ledger() {
        String file = System.getenv("MYRIAD_TEST_LEDGER");
        if (file == null) {
            throw new ToolException("MYRIAD_TEST_LEDGER is not set");
        }
        return Path.of(file);
    }

    static boolean hasEffect(String tool, String key) {
        return hasEffectIn(ledger(), tool, key);
    }

    /** True when the ledger records the effect of the call with this key. */
    static boolean hasEffectIn(Path ledger, String tool, String key) {
        try {
            return Files.exists(ledger) && Files.readAllLines(ledger).contains("effect " + tool + " " + key);
        } catch (IOException e) {
            throw new ToolException("cannot read the ledger: " + e.getMessage(), e);
        }
    }

    private static void write(String line) {
        try {
            synchronized (LOCK) {
                Files.writeString(ledger(), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            throw new ToolException("cannot write the ledger: " + e.getMessage(), e);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ToolException("interrupted");
        }
    }

    private record Ledger(String name, Effect effect, boolean reconciles) implements Tool {
        @Override
        public ToolDefinition definition() {
            return ToolDefinition.of(name, "Moves money (test tool writing to an external ledger).", SCHEMA);
        }

        @Override
        public ToolResult invoke(JsonNode arguments, ToolContext context) {
            write("invoke " + name + " " + context.idempotencyKey());
            pause(15);
            String result = name + " " + arguments.path("amount").asInt() + " to " + arguments.path("to").asText();
            synchronized (LOCK) {
                if (effect == Effect.IDEMPOTENT && hasEffect(name, context.idempotencyKey())) {
                    return ToolResult.ok(result + " (already done)");
                }
                write("effect " + name + " " + context.idempotencyKey());
            }
            pause(15);
            return ToolResult.ok(result);
        }

        @Override
        public Reconciliation reconcile(JsonNode arguments, ToolContext context) {
            if (!reconciles) {
                return Tool.super.reconcile(arguments, context);
            }
            return hasEffect(name, context.idempotencyKey())
                    ? new Reconciliation.Done(ToolResult.ok(name + " done (found in the ledger)"))
                    : new Reconciliation.NotDone("no ledger line for key " + context.idempotencyKey());
        }
    }
}
