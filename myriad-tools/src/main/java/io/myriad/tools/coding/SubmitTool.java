package io.myriad.tools.coding;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import java.util.Objects;

/**
 * {@code submit}: the agent declares its work done, with a short explanation. The submission goes
 * to {@link Submissions}, and the platform verifies it; the tool only records it.
 *
 * <p>Its effect is {@link Effect#IDEMPOTENT}: {@link Submissions} keeps one submission per
 * idempotency key, so a call repeated by recovery records nothing new (or replaces its own
 * record) and answers alike. A submission the platform refuses or cannot verify is an error
 * result: the agent reads why and may go on.
 */
public final class SubmitTool implements Tool {
    static final String NAME = "submit";

    /** The longest explanation accepted. */
    public static final int MAX_EXPLANATION = 2000;

    private static final ToolDefinition DEFINITION = ToolDefinition.of(NAME, """
            Declare that the task is done. Call it once, when the work in the workspace is \
            complete; the platform then verifies it. Explain in a few sentences what you \
            changed and why.""", """
            {
              "type": "object",
              "properties": {
                "explanation": {"type": "string", "minLength": 1, "maxLength": %d,
                                "description": "What you changed and why, briefly."}
              },
              "required": ["explanation"],
              "additionalProperties": false
            }""".formatted(MAX_EXPLANATION));

    private final Submissions submissions;

    private SubmitTool(Submissions submissions) {
        this.submissions = submissions;
    }

    public static SubmitTool create(Submissions submissions) {
        return new SubmitTool(Objects.requireNonNull(submissions, "submissions"));
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
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(context, "context");
        JsonNode node = arguments.get("explanation");
        if (node == null || node.isNull()) {
            throw new ToolException("missing required argument 'explanation': say in a few "
                    + "sentences what you changed and why");
        }
        if (!node.isTextual()) {
            throw new ToolException("argument 'explanation' must be a string");
        }
        String explanation = node.textValue().strip();
        if (explanation.isEmpty()) {
            throw new ToolException("explanation must not be empty: say in a few sentences "
                    + "what you changed and why");
        }
        if (explanation.length() > MAX_EXPLANATION) {
            throw new ToolException("explanation is " + explanation.length() + " characters; "
                    + "the most is " + MAX_EXPLANATION + ". Shorten it to a few sentences.");
        }
        Submissions.Receipt receipt = submissions.submit(new Submissions.Submission(
                context.runId(), context.idempotencyKey(), explanation, context.workspace()));
        return receipt.accepted() ? ToolResult.ok(receipt.message()) : ToolResult.error(receipt.message());
    }
}
