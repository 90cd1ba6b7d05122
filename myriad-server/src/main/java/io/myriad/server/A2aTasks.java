package io.myriad.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.run.RunState;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A run as an A2A task (protocol 0.3, JSON-RPC binding): its state, the user's message, the
 * agent's answer as an artifact, and a short text for each journal event worth telling a client.
 *
 * <p>States: a started run that has not ended is {@code working}, also while it waits for a
 * person (an approval, a call in doubt): {@code input-required} would invite the A2A client to
 * send more input, which a Myriad run does not take; the status message says what it waits for.
 * {@code succeeded} is {@code completed}, {@code cancelled} is {@code canceled}, and every other
 * end (failed, limited, stuck, budget exhausted) is {@code failed} with the reason as its message.
 */
final class A2aTasks {
    static final String ARTIFACT_ID = "output";

    private final ObjectMapper json;

    A2aTasks(ObjectMapper json) {
        this.json = json;
    }

    /** The A2A state of a run's state. */
    static String state(RunState state) {
        return switch (state) {
            case NEW -> "submitted";
            case SUCCEEDED -> "completed";
            case CANCELLED -> "canceled";
            case FAILED, LIMITED, STUCK, BUDGET_EXHAUSTED -> "failed";
            case AWAITING_MODEL, ACTING, ANSWERED, IN_DOUBT, AWAITING_APPROVAL, AWAITING_CHILDREN -> "working";
        };
    }

    static boolean isFinal(String a2aState) {
        return switch (a2aState) {
            case "completed", "canceled", "failed", "rejected" -> true;
            default -> false;
        };
    }

    /** What a client is told about an event while the run goes on; empty for events not worth a word. */
    static Optional<String> activity(RunEvent event) {
        return Optional.ofNullable(switch (event) {
            case RunEvent.RunStarted s -> "started (agent " + s.agent() + ")";
            case RunEvent.ModelResponded r when r.message().hasToolCalls() -> "calling "
                    + String.join(", ", r.message().toolCalls().stream().map(io.myriad.core.model.ToolCall::name).toList());
            case RunEvent.ModelResponded r -> "answering";
            case RunEvent.ModelRetried r -> "retrying the model (attempt " + r.attempt() + ")";
            case RunEvent.ToolCallCompleted c -> "a tool call completed";
            case RunEvent.ToolCallFailed f -> "a tool call failed";
            case RunEvent.ToolCallRejected r -> "a tool call was refused";
            case RunEvent.ApprovalRequested a -> "waiting for a person to approve " + a.tool();
            case RunEvent.ToolCallInDoubt d -> "waiting for a person: the outcome of " + d.tool() + " is unknown";
            case RunEvent.ChildrenStarted c -> "delegated to " + c.count() + " child run" + (c.count() == 1 ? "" : "s");
            case RunEvent.ChildrenFinished c -> c.succeeded() + " child runs succeeded, " + c.failed() + " did not";
            case RunEvent.HandedOff h -> "handed off to agent " + h.to();
            default -> null;
        });
    }

    /** The A2A state an event ends the run in, and its message; empty for an event that does not end it. */
    static Optional<End> end(RunEvent event) {
        return Optional.ofNullable(switch (event) {
            case RunEvent.RunSucceeded s -> new End("completed", s.output(), true);
            case RunEvent.RunCancelled c -> new End("canceled", "cancelled: " + c.reason(), false);
            case RunEvent.RunFailed f -> new End("failed", "failed (" + f.reason() + "): " + f.message(), false);
            case RunEvent.RunLimited l -> new End("failed", "stopped at a limit (" + l.limit() + "): " + l.message(), false);
            case RunEvent.RunStuck s -> new End("failed", "stuck (" + s.reason() + "): " + s.message(), false);
            case RunEvent.RunBudgetExhausted b -> new End("failed", "budget exhausted: " + b.message(), false);
            default -> null;
        });
    }

    /** How a run ended: the A2A state, the text, and whether the text is the agent's output. */
    record End(String state, String text, boolean output) {}

    /** The task of a run whose journal is {@code records} (possibly none yet: submitted). */
    ObjectNode task(String taskId, String contextId, List<JournalRecord> records, Optional<String> input, int historyLength) {
        String state = records.isEmpty() ? "submitted" : "working";
        String text = null;
        Optional<End> end = Optional.empty();
        long at = System.currentTimeMillis();
        for (JournalRecord r : records) {
            at = r.event().at();
            if (r.event() instanceof RunEvent.RunStarted s) {
                input = Optional.of(s.input());
            }
            Optional<String> a = activity(r.event());
            if (a.isPresent()) {
                text = a.get();
            }
            Optional<End> e = end(r.event());
            if (e.isPresent()) {
                end = e;
                state = e.get().state();
                text = e.get().text();
            }
        }
        ObjectNode task = json.createObjectNode().put("kind", "task").put("id", taskId).put("contextId", contextId);
        task.set("status", status(taskId, contextId, state, Optional.ofNullable(text), at));
        if (historyLength != 0) {
            var history = task.putArray("history");
            input.ifPresent(i -> history.add(message(taskId, contextId, "user", taskId + "/input", i)));
            end.ifPresent(e -> history.add(message(taskId, contextId, "agent", taskId + "/answer", e.text())));
        }
        var artifacts = task.putArray("artifacts");
        end.filter(End::output).ifPresent(e -> artifacts.add(artifact(e.text())));
        task.putObject("metadata").put("myriad_run", taskId);
        return task;
    }

    ObjectNode status(String taskId, String contextId, String state, Optional<String> text, long at) {
        ObjectNode status = json.createObjectNode().put("state", state).put("timestamp", Instant.ofEpochMilli(at).toString());
        text.ifPresent(t -> status.set("message", message(taskId, contextId, "agent", taskId + "/" + state + "/" + at, t)));
        return status;
    }

    ObjectNode message(String taskId, String contextId, String role, String messageId, String text) {
        ObjectNode m = json.createObjectNode().put("kind", "message").put("messageId", messageId).put("role", role);
        m.putArray("parts").addObject().put("kind", "text").put("text", text);
        return m.put("taskId", taskId).put("contextId", contextId);
    }

    ObjectNode artifact(String output) {
        ObjectNode a = json.createObjectNode().put("artifactId", ARTIFACT_ID).put("name", "output");
        a.putArray("parts").addObject().put("kind", "text").put("text", output);
        return a;
    }

    ObjectNode statusUpdate(String taskId, String contextId, String state, Optional<String> text, long at, boolean last) {
        ObjectNode u = json.createObjectNode().put("kind", "status-update").put("taskId", taskId).put("contextId", contextId);
        u.set("status", status(taskId, contextId, state, text, at));
        return u.put("final", last);
    }

    ObjectNode artifactUpdate(String taskId, String contextId, String output) {
        ObjectNode u = json.createObjectNode().put("kind", "artifact-update").put("taskId", taskId).put("contextId", contextId);
        u.set("artifact", artifact(output));
        return u.put("append", false).put("lastChunk", true);
    }
}
