package io.myriad.tools.message;

import io.myriad.core.fleet.MessagingSpec;
import io.myriad.core.message.Mailbox;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.SchemaValidator;
import io.myriad.core.tool.Tool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The messaging tools: {@code message.send} (a typed message to another run of the same tenant)
 * and {@code message.read} (the calling run's inbox, returned as untrusted data). Both are
 * idempotent by the call's idempotency key, so recovery may invoke them again.
 */
public final class MessageTools {
    /** The name of the sending tool. */
    public static final String SEND = "message.send";
    /** The name of the reading tool. */
    public static final String READ = "message.read";
    /** The tools' names with their effect, to list and judge them without a mailbox. */
    public static final Map<String, Effect> EFFECTS = Map.of(SEND, Effect.IDEMPOTENT, READ, Effect.IDEMPOTENT);
    /** The longest a read may wait for a message. */
    public static final Duration MAX_WAIT = Duration.ofSeconds(30);

    private MessageTools() {}

    /**
     * The two tools over {@code mailbox}; sends are checked against {@code spec}'s types with
     * {@code validator}.
     */
    public static List<Tool> create(Mailbox mailbox, MessagingSpec spec, SchemaValidator validator) {
        Objects.requireNonNull(mailbox, "mailbox");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(validator, "validator");
        return List.of(new MessageSendTool(mailbox, spec, validator), new MessageReadTool(mailbox, Duration.ofMillis(200)));
    }
}
