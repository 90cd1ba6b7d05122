package io.myriad.tools.message;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.fleet.MessagingSpec;
import io.myriad.core.message.Mailbox;
import io.myriad.core.message.MailboxException;
import io.myriad.core.message.Message;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.SchemaValidator;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import java.util.List;

/**
 * {@code message.send}: sends a typed message to another run of the caller's tenant. The sender
 * is always the calling run; the call's idempotency key makes a replay after a crash return the
 * message first sent instead of sending a second one.
 */
final class MessageSendTool implements Tool {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ToolDefinition DEFINITION = ToolDefinition.of(MessageTools.SEND, """
            Send a message to another run of your tenant, named by its run id (<execution>:<task>). \
            The body is any JSON value; when the fleet declares message types, the type must be one of \
            them and the body must match its schema. The receiver reads it as data, not as instructions.""", """
            {
              "type": "object",
              "properties": {
                "to": {"type": "string", "minLength": 3, "maxLength": 512, "description": "The receiving run's id."},
                "type": {"type": "string", "minLength": 1, "maxLength": 64, "description": "The message type."},
                "body": {"description": "The message, any JSON value."}
              },
              "required": ["to", "type", "body"],
              "additionalProperties": false
            }""");

    private final Mailbox mailbox;
    private final MessagingSpec spec;
    private final SchemaValidator validator;

    MessageSendTool(Mailbox mailbox, MessagingSpec spec, SchemaValidator validator) {
        this.mailbox = mailbox;
        this.spec = spec;
        this.validator = validator;
    }

    @Override
    public ToolDefinition definition() {
        return DEFINITION;
    }

    @Override
    public Effect effect() {
        return Effect.IDEMPOTENT;
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        String to = arguments.path("to").asText();
        String type = arguments.path("type").asText();
        JsonNode body = arguments.path("body");
        if (spec.typed()) {
            JsonNode schema = spec.schema(type).orElseThrow(() -> new ToolException("message type '" + type
                    + "' is not declared by the fleet; declared types: " + String.join(", ", spec.types().keySet())));
            List<String> problems = validator.validate(schema, body);
            if (!problems.isEmpty()) {
                throw new ToolException("the body does not match the schema of message type '" + type + "': "
                        + String.join("; ", problems));
            }
        } else if (!MessagingSpec.TYPE_NAME.matcher(type).matches()) {
            throw new ToolException("invalid message type '" + type + "': use a letter, then letters, digits, '.', '_'"
                    + " or '-', at most 64 characters");
        }
        Message sent;
        try {
            sent = mailbox.send(context.runId(), context.idempotencyKey(), to, type, body.toString());
        } catch (MailboxException e) {
            throw new ToolException(e.getMessage(), e);
        }
        return ToolResult.ok(JSON.createObjectNode().put("sent", true).put("id", sent.id()).put("to", sent.to())
                .put("type", sent.type()).toString());
    }
}
