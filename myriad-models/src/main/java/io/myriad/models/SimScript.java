package io.myriad.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.model.ModelException;

/**
 * The {@code script} scenario of the simulated model: the task input is a JSON object whose
 * {@code script} list says what the model does on each turn.
 *
 * <pre>{@code
 * {"script": [
 *   {"tool": "fs.write", "args": {"path": "a.txt", "content": "hi"}},
 *   {"tool": "fs.write", "args_raw": "not json"},     // invalid arguments, sent as they are
 *   {"tool": "no.such.tool", "args": {}},              // a tool that was not offered
 *   {"answer": "done"}
 * ]}
 * }</pre>
 *
 * <p>Turn {@code n} (the number of assistant messages already in the conversation) plays
 * {@code script[n]}; past the end the model answers {@code script finished}.
 */
final class SimScript {
    static final String FINISHED = "script finished";

    private SimScript() {}

    /** What one turn does: call {@code tool} with {@code arguments}, or answer {@code answer}. */
    record Turn(String tool, String arguments, String answer) {
        static Turn answer(String text) {
            return new Turn(null, null, text);
        }

        boolean callsTool() {
            return tool != null;
        }
    }

    /**
     * The turn at {@code index} of the script carried by {@code taskInput}.
     *
     * @throws ModelException of kind {@code REJECTED} when the input is not a valid script
     */
    static Turn turn(String taskInput, int index, ObjectMapper json) {
        JsonNode root;
        try {
            root = json.readTree(taskInput);
        } catch (JsonProcessingException e) {
            throw rejected("the first user message is not JSON");
        }
        if (root == null || !root.path("script").isArray()) {
            throw rejected("the first user message has no \"script\" list");
        }
        JsonNode script = root.get("script");
        if (index >= script.size()) {
            return Turn.answer(FINISHED);
        }
        JsonNode step = script.get(index);
        if (step.has("answer")) {
            JsonNode answer = step.get("answer");
            return Turn.answer(answer.isTextual() ? answer.asText() : answer.toString());
        }
        if (step.path("tool").isTextual()) {
            String arguments;
            if (step.has("args_raw")) {
                JsonNode raw = step.get("args_raw");
                arguments = raw.isTextual() ? raw.asText() : raw.toString();
            } else {
                arguments = step.has("args") ? step.get("args").toString() : "{}";
            }
            return new Turn(step.get("tool").asText(), arguments, null);
        }
        throw rejected("script[" + index + "] has neither \"tool\" nor \"answer\"");
    }

    private static ModelException rejected(String why) {
        return new ModelException(ModelException.Kind.REJECTED,
                "The simulated model runs scenario 'script', but " + why + ". Give the task an input like "
                        + "{\"script\": [{\"tool\": \"fs.write\", \"args\": {\"path\": \"a.txt\"}}, {\"answer\": \"done\"}]}"
                        + " or choose another scenario (tools, answer).");
    }
}
