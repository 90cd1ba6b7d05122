package io.myriad.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.ToolDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code team} scenario of the simulated model: agents that work together.
 *
 * <ul>
 *   <li>Offered {@code delegate} and not yet delegating: splits the task among the first agent it
 *       may delegate to, one child per part. The number of parts is the task input's
 *       {@code "parts"} when the input is a JSON object with one (its {@code "question"} is the
 *       question), else 3.
 *   <li>Offered {@code handoff} and nothing handed off yet: hands the conversation to the first
 *       agent it may.
 *   <li>Once the children answered, or given results to combine (a task input with a
 *       {@code "results"} list, as a map-reduce reducer gets): a report that names every result
 *       it combined, in order, each once.
 *   <li>Otherwise: the {@code tools} scenario (its other tools, {@code tool_calls} of them), then an
 *       answer that quotes the task.
 * </ul>
 */
final class SimTeam {
    private static final int DEFAULT_PARTS = 3;

    private SimTeam() {}

    static Message.Assistant turn(ModelRequest request, String taskInput, String callId, ObjectMapper json,
            java.util.function.Supplier<Message.Assistant> otherwise) {
        List<ToolDefinition> tools = request.tools();
        List<ToolCall> made = new ArrayList<>();
        for (Message m : request.messages()) {
            if (m instanceof Message.Assistant a) {
                made.addAll(a.toolCalls());
            }
        }
        Optional<ToolDefinition> delegate = tools.stream().filter(t -> t.name().equals("delegate")).findFirst();
        Optional<ToolDefinition> handoff = tools.stream().filter(t -> t.name().equals("handoff")).findFirst();
        boolean delegated = made.stream().anyMatch(c -> c.name().equals("delegate"));
        boolean handedOff = made.stream().anyMatch(c -> c.name().equals("handoff"));
        JsonNode input = parse(taskInput, json);
        if (delegate.isPresent() && !delegated) {
            String agent = firstEnum(delegate.get().parameters().path("properties").path("agent"));
            String question = input != null && input.path("question").isTextual() ? input.get("question").asText() : taskInput;
            int parts = input != null && input.path("parts").canConvertToInt() ? Math.max(1, input.get("parts").asInt()) : DEFAULT_PARTS;
            var args = json.createObjectNode().put("agent", agent);
            ArrayNode inputs = args.putArray("inputs");
            for (int i = 1; i <= parts; i++) {
                inputs.add("Part " + i + " of " + parts + " of: " + question);
            }
            return new Message.Assistant("", List.of(new ToolCall(callId, "delegate", args.toString())));
        }
        if (handoff.isPresent() && !handedOff) {
            String agent = firstEnum(handoff.get().parameters().path("properties").path("agent"));
            var args = json.createObjectNode().put("agent", agent).put("note", "over to you: " + shorten(taskInput, 120));
            return new Message.Assistant("", List.of(new ToolCall(callId, "handoff", args.toString())));
        }
        if (delegated) {
            return new Message.Assistant(report("delegated work", lastToolResult(request, json)), List.of());
        }
        if (input != null && input.path("results").isArray()) {
            return new Message.Assistant(report("map results", input), List.of());
        }
        Message.Assistant other = otherwise.get();
        if (other.hasToolCalls()) {
            return other;
        }
        return new Message.Assistant("Simulated answer to \"" + shorten(taskInput, 160) + "\""
                + (handedOff ? " (after a handoff)" : "") + ". From Myriad's simulated model, not a real model.", List.of());
    }

    /** A report naming each combined result once, in order: {@code [task] state: output}. */
    private static String report(String what, JsonNode results) {
        StringBuilder b = new StringBuilder("Simulated report combining ");
        JsonNode list = results == null ? null : results.path("results");
        if (list == null || !list.isArray()) {
            return b.append(what).append(": no results could be read. From Myriad's simulated model.").toString();
        }
        b.append(list.size()).append(' ').append(what).append(" (from Myriad's simulated model, not a real model):");
        for (JsonNode r : list) {
            b.append("\n- [").append(r.path("task").asText()).append("] ").append(r.path("state").asText("succeeded"))
                    .append(": ").append(shorten(r.path("output").asText(), 80));
        }
        return b.toString();
    }

    private static JsonNode lastToolResult(ModelRequest request, ObjectMapper json) {
        List<Message> messages = request.messages();
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i) instanceof Message.ToolResult r) {
                return parse(r.content(), json);
            }
        }
        return null;
    }

    private static String firstEnum(JsonNode schema) {
        JsonNode e = schema.path("enum");
        return e.isArray() && !e.isEmpty() ? e.get(0).asText() : "";
    }

    private static JsonNode parse(String text, ObjectMapper json) {
        String t = text.strip();
        if (!t.startsWith("{")) {
            return null;
        }
        try {
            return json.readTree(t);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return null;
        }
    }

    private static String shorten(String s, int max) {
        String one = s.replace('\n', ' ');
        return one.length() <= max ? one : one.substring(0, max) + "…";
    }
}
