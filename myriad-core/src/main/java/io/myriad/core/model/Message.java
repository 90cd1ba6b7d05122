package io.myriad.core.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** One message of a conversation with a model. */
public sealed interface Message {

    /** Instructions from the agent spec. */
    record System(String content) implements Message {
        public System {
            Objects.requireNonNull(content, "content");
        }
    }

    /** The task input, or any other user turn. */
    record User(String content) implements Message {
        public User {
            Objects.requireNonNull(content, "content");
        }
    }

    /** What the model said: text, tool calls, or both. {@code content} may be empty. */
    record Assistant(String content, List<ToolCall> toolCalls) implements Message {
        public Assistant {
            content = content == null ? "" : content;
            toolCalls = List.copyOf(toolCalls);
        }

        public boolean hasToolCalls() {
            return !toolCalls.isEmpty();
        }

        public Optional<String> text() {
            return content.isEmpty() ? Optional.empty() : Optional.of(content);
        }
    }

    /** The result of one tool call, sent back to the model. */
    record ToolResult(String toolCallId, String content) implements Message {
        public ToolResult {
            Objects.requireNonNull(toolCallId, "toolCallId");
            Objects.requireNonNull(content, "content");
        }
    }
}
