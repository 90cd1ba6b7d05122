package io.myriad.models;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelRequest.ToolChoice;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.RateLimits;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.model.Usage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The OpenAI Chat Completions wire format, in both directions.
 *
 * <p>The provider encodes requests and decodes responses; the simulated server decodes requests
 * and encodes responses. Both sides use this one class, so what the server accepts is exactly what
 * the provider sends and a request survives the round trip unchanged. Decoding is lenient where
 * OpenAI-compatible servers differ (content as a list of text parts, missing usage, missing call
 * ids) and strict where the answer would otherwise be wrong (no choices, no message).
 *
 * <p>Tool names: the provider's side sends every tool name under its wire-safe {@link ToolNames
 * wire name} and maps the names of the calls it gets back to the offered tools' Myriad names. The
 * server's side does no mapping: it sees, and answers with, the names as they are on the wire.
 */
final class ChatCompletionsCodec {
    /** The longest body excerpt quoted in an error message. */
    static final int EXCERPT_CHARS = 200;

    /**
     * Parsers and generators borrow their buffers from a pool shared by all threads: Jackson's
     * default keeps them per thread, which does nothing for the virtual thread per call that
     * both the provider and the server use.
     */
    private final ObjectMapper json = JsonMapper.builder(JsonFactory.builder()
                    .recyclerPool(JsonRecyclerPools.newConcurrentDequePool())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    ObjectMapper json() {
        return json;
    }

    // ---------------------------------------------------------------- requests

    /**
     * Encodes a request; {@code fallbackModel} is sent when the request names no model. Tool names
     * (of the offered tools, of a named tool choice and of past calls) are sent as the wire names
     * of {@code ToolNames.of(request.tools())}, the mapping with which to decode the response.
     */
    ObjectNode encodeRequest(ModelRequest request, String fallbackModel) {
        return encodeRequest(request, fallbackModel, ToolNames.of(request.tools()));
    }

    /** Encodes a request as {@link #encodeRequest(ModelRequest, String)} does, with its tools' wire names given. */
    ObjectNode encodeRequest(ModelRequest request, String fallbackModel, ToolNames names) {
        ObjectNode body = json.createObjectNode();
        body.put("model", request.model().isEmpty() ? fallbackModel : request.model());
        ArrayNode messages = body.putArray("messages");
        for (Message message : request.messages()) {
            messages.add(encodeMessage(message, names));
        }
        if (!request.tools().isEmpty()) {
            ArrayNode tools = body.putArray("tools");
            for (ToolDefinition tool : request.tools()) {
                ObjectNode function = tools.addObject().put("type", "function").putObject("function");
                function.put("name", names.toWire(tool.name()));
                function.put("description", tool.description());
                function.set("parameters", tool.parameters());
            }
            body.set("tool_choice", encodeToolChoice(request.toolChoice(), names));
        }
        if (request.outputSchema() != null) {
            ObjectNode schema = body.putObject("response_format")
                    .put("type", "json_schema")
                    .putObject("json_schema");
            schema.put("name", "output");
            schema.set("schema", request.outputSchema());
            schema.put("strict", true);
        }
        if (request.maxOutputTokens() > 0) {
            body.put("max_tokens", request.maxOutputTokens());
        }
        if (request.temperature() != null) {
            body.put("temperature", request.temperature());
        }
        return body;
    }

    /**
     * Encodes a request as {@link #encodeRequest(ModelRequest, String, ToolNames)} does, to the
     * UTF-8 bytes of its JSON text.
     */
    byte[] encodeRequestBytes(ModelRequest request, String fallbackModel, ToolNames names) {
        try {
            return json.writeValueAsBytes(encodeRequest(request, fallbackModel, names));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A JSON tree always serializes.", e);
        }
    }

    private ObjectNode encodeMessage(Message message, ToolNames names) {
        ObjectNode node = json.createObjectNode();
        switch (message) {
            case Message.System system -> node.put("role", "system").put("content", system.content());
            case Message.User user -> node.put("role", "user").put("content", user.content());
            case Message.Assistant assistant -> {
                node.put("role", "assistant");
                encodeAssistantBody(node, assistant, names::toWire);
            }
            case Message.ToolResult result -> node.put("role", "tool")
                    .put("tool_call_id", result.toolCallId())
                    .put("content", result.content());
        }
        return node;
    }

    /** Content is null, as OpenAI sends it, when the assistant only calls tools; tool names go through {@code wireName}. */
    private static void encodeAssistantBody(ObjectNode node, Message.Assistant assistant, UnaryOperator<String> wireName) {
        if (assistant.content().isEmpty() && assistant.hasToolCalls()) {
            node.putNull("content");
        } else {
            node.put("content", assistant.content());
        }
        if (assistant.hasToolCalls()) {
            ArrayNode calls = node.putArray("tool_calls");
            for (ToolCall call : assistant.toolCalls()) {
                ObjectNode callNode = calls.addObject().put("id", call.id()).put("type", "function");
                callNode.putObject("function").put("name", wireName.apply(call.name())).put("arguments", call.arguments());
            }
        }
    }

    private JsonNode encodeToolChoice(ToolChoice choice, ToolNames names) {
        return switch (choice) {
            case ToolChoice.Auto _ -> json.getNodeFactory().textNode("auto");
            case ToolChoice.None _ -> json.getNodeFactory().textNode("none");
            case ToolChoice.Required _ -> json.getNodeFactory().textNode("required");
            case ToolChoice.Named named -> {
                ObjectNode node = json.createObjectNode().put("type", "function");
                node.putObject("function").put("name", names.toWire(named.name()));
                yield node;
            }
        };
    }

    /**
     * Decodes a request body as a server receives it.
     *
     * @throws IllegalArgumentException with a message fit for an {@code invalid_request_error}
     */
    ModelRequest decodeRequest(JsonNode body, String runId, int step) {
        if (!body.isObject()) {
            throw new IllegalArgumentException("The request body must be a JSON object.");
        }
        JsonNode messagesNode = body.path("messages");
        if (!messagesNode.isArray() || messagesNode.isEmpty()) {
            throw new IllegalArgumentException("'messages' must be a non-empty array.");
        }
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < messagesNode.size(); i++) {
            messages.add(decodeMessage(messagesNode.get(i), i));
        }
        List<ToolDefinition> tools = new ArrayList<>();
        for (JsonNode tool : body.path("tools")) {
            JsonNode function = tool.path("function");
            if (!function.path("name").isTextual()) {
                throw new IllegalArgumentException("Each tool needs 'function.name'.");
            }
            JsonNode parameters = function.path("parameters");
            tools.add(new ToolDefinition(
                    function.get("name").asText(),
                    function.path("description").asText(""),
                    parameters.isObject() ? parameters : json.createObjectNode()));
        }
        JsonNode format = body.path("response_format");
        JsonNode outputSchema = "json_schema".equals(format.path("type").asText())
                ? format.path("json_schema").path("schema")
                : null;
        if (outputSchema != null && !outputSchema.isObject()) {
            throw new IllegalArgumentException("'response_format.json_schema.schema' must be an object.");
        }
        JsonNode maxTokens = body.hasNonNull("max_completion_tokens")
                ? body.get("max_completion_tokens")
                : body.path("max_tokens");
        JsonNode temperature = body.path("temperature");
        return new ModelRequest(
                body.path("model").asText(""),
                messages,
                tools,
                decodeToolChoice(body.path("tool_choice")),
                outputSchema,
                maxTokens.canConvertToLong() ? Math.max(0, maxTokens.asLong()) : 0,
                temperature.isNumber() ? temperature.asDouble() : null,
                runId,
                step);
    }

    private static Message decodeMessage(JsonNode node, int index) {
        String role = node.path("role").asText("");
        String content = text(node.path("content"));
        if (content == null) {
            throw new IllegalArgumentException("messages[" + index + "].content must be a string, "
                    + "a list of text parts or null.");
        }
        return switch (role) {
            case "system", "developer" -> new Message.System(content);
            case "user" -> new Message.User(content);
            case "assistant" -> new Message.Assistant(content, decodeToolCalls(node.path("tool_calls"), false));
            case "tool" -> {
                if (!node.path("tool_call_id").isTextual()) {
                    throw new IllegalArgumentException("messages[" + index + "] has role 'tool' but no 'tool_call_id'.");
                }
                yield new Message.ToolResult(node.get("tool_call_id").asText(), content);
            }
            default -> throw new IllegalArgumentException(
                    "messages[" + index + "].role must be system, developer, user, assistant or tool, not '" + role + "'.");
        };
    }

    private static ToolChoice decodeToolChoice(JsonNode node) {
        if (node.isTextual()) {
            return switch (node.asText()) {
                case "none" -> ToolChoice.NONE;
                case "required" -> ToolChoice.REQUIRED;
                default -> ToolChoice.AUTO;
            };
        }
        if (node.path("function").path("name").isTextual()) {
            return new ToolChoice.Named(node.path("function").path("name").asText());
        }
        return ToolChoice.AUTO;
    }

    // ---------------------------------------------------------------- responses

    /** Encodes a {@code chat.completion} object as a server sends it. */
    ObjectNode encodeResponse(ModelResponse response, String id, long created, String systemFingerprint) {
        ObjectNode body = json.createObjectNode()
                .put("id", id)
                .put("object", "chat.completion")
                .put("created", created)
                .put("model", response.model())
                .put("system_fingerprint", systemFingerprint);
        ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
        ObjectNode message = choice.putObject("message").put("role", "assistant");
        encodeAssistantBody(message, response.message(), UnaryOperator.identity());
        choice.putNull("logprobs");
        choice.put("finish_reason", response.finishReason());
        body.putObject("usage")
                .put("prompt_tokens", response.usage().promptTokens())
                .put("completion_tokens", response.usage().completionTokens())
                .put("total_tokens", response.usage().total());
        return body;
    }

    /**
     * Decodes a response body as the provider receives it, with tool names as they are on the wire.
     *
     * @throws ModelException of kind {@code MALFORMED_RESPONSE}, quoting the start of the body
     */
    ModelResponse decodeResponse(String body, String source) {
        return decodeResponse(body, source, ToolNames.of(List.of()));
    }

    /**
     * Decodes a response body as the provider receives it, naming each called tool by its Myriad
     * name when {@code names} (the mapping of the request's offered tools) knows its wire name.
     *
     * @throws ModelException of kind {@code MALFORMED_RESPONSE}, quoting the start of the body
     */
    ModelResponse decodeResponse(String body, String source, ToolNames names) {
        return decodeResponse(body, source, names, RateLimits.UNKNOWN);
    }

    /**
     * Decodes a response body as {@link #decodeResponse(String, String, ToolNames)} does, with the
     * rate limits the response's headers reported.
     *
     * @throws ModelException of kind {@code MALFORMED_RESPONSE}, quoting the start of the body
     */
    ModelResponse decodeResponse(String body, String source, ToolNames names, RateLimits rateLimits) {
        return decodeResponse(parse(body, source), () -> body, source, names, rateLimits);
    }

    /**
     * Decodes the UTF-8 bytes of a response body as {@link #decodeResponse(String, String,
     * ToolNames, RateLimits)} decodes its text; the text is made only to quote a malformed body.
     *
     * @throws ModelException of kind {@code MALFORMED_RESPONSE}, quoting the start of the body
     */
    ModelResponse decodeResponse(byte[] body, String source, ToolNames names, RateLimits rateLimits) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (IOException e) {
            // Not valid JSON, or not valid UTF-8: the text's reading decides (and words the failure).
            return decodeResponse(new String(body, StandardCharsets.UTF_8), source, names, rateLimits);
        }
        Supplier<String> bodyText = () -> new String(body, StandardCharsets.UTF_8);
        if (root == null || !root.isObject()) {
            throw malformed(source, "it is not a JSON object", bodyText.get());
        }
        return decodeResponse(root, bodyText, source, names, rateLimits);
    }

    private ModelResponse decodeResponse(JsonNode root, Supplier<String> bodyText, String source, ToolNames names,
            RateLimits rateLimits) {
        JsonNode choices = root.path("choices");
        if (!choices.isArray() || choices.isEmpty()) {
            String why = choices.isArray() ? "its 'choices' list is empty" : "it has no 'choices' list";
            throw malformed(source, why, bodyText.get());
        }
        JsonNode message = choices.get(0).path("message");
        if (!message.isObject()) {
            throw malformed(source, "choices[0] has no 'message' object", bodyText.get());
        }
        String content = text(message.path("content"));
        if (content == null) {
            throw malformed(source, "choices[0].message.content is neither text nor null", bodyText.get());
        }
        if (content.isEmpty() && message.path("refusal").isTextual()) {
            content = message.get("refusal").asText();
        }
        List<ToolCall> calls;
        try {
            calls = decodeToolCalls(message.path("tool_calls"), true).stream()
                    .map(call -> new ToolCall(call.id(), names.fromWire(call.name()), call.arguments()))
                    .toList();
        } catch (IllegalArgumentException e) {
            throw malformed(source, e.getMessage(), bodyText.get());
        }
        return new ModelResponse(
                new Message.Assistant(content, calls),
                decodeUsage(root.path("usage")),
                choices.get(0).path("finish_reason").asText(""),
                root.path("model").asText(""),
                rateLimits);
    }

    private JsonNode parse(String body, String source) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JsonProcessingException e) {
            throw malformed(source, "it is not valid JSON (" + firstLine(e.getOriginalMessage()) + ")", body);
        }
        if (root == null || !root.isObject()) {
            throw malformed(source, "it is not a JSON object", body);
        }
        return root;
    }

    private static List<ToolCall> decodeToolCalls(JsonNode node, boolean inventMissingIds) {
        if (node.isMissingNode() || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException("'tool_calls' is not a list");
        }
        List<ToolCall> calls = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode call = node.get(i);
            JsonNode function = call.path("function");
            if (!function.path("name").isTextual()) {
                throw new IllegalArgumentException("tool_calls[" + i + "] has no 'function.name'");
            }
            String id = call.path("id").asText("");
            if (id.isEmpty()) {
                if (!inventMissingIds) {
                    throw new IllegalArgumentException("tool_calls[" + i + "] has no 'id'");
                }
                id = "call_" + i;
            }
            JsonNode arguments = function.path("arguments");
            String args = arguments.isTextual() ? arguments.asText()
                    : arguments.isMissingNode() || arguments.isNull() ? "" : arguments.toString();
            calls.add(new ToolCall(id, function.get("name").asText(), args));
        }
        return calls;
    }

    private static Usage decodeUsage(JsonNode usage) {
        if (!usage.isObject()) {
            return Usage.ZERO;
        }
        return new Usage(
                Math.max(0, usage.path("prompt_tokens").asLong(0)),
                Math.max(0, usage.path("completion_tokens").asLong(0)));
    }

    // ---------------------------------------------------------------- errors

    /** An error object in the OpenAI format: {@code {"error": {message, type, param, code}}}. */
    ObjectNode encodeError(String message, String type, String param, String code) {
        ObjectNode body = json.createObjectNode();
        ObjectNode error = body.putObject("error").put("message", message).put("type", type);
        error.put("param", param);
        error.put("code", code);
        return body;
    }

    /** The error object of an error response, when the body has one. */
    Optional<ApiError> decodeError(String body) {
        try {
            JsonNode error = json.readTree(body).path("error");
            if (error.isObject()) {
                return Optional.of(new ApiError(
                        error.path("message").asText(""), error.path("type").asText(""), error.path("code").asText("")));
            }
            if (error.isTextual()) {
                return Optional.of(new ApiError(error.asText(), "", ""));
            }
            return Optional.empty();
        } catch (JsonProcessingException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The fields of an OpenAI error object that decide what to do; absent ones are empty. */
    record ApiError(String message, String type, String code) {
        ApiError {
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(code, "code");
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Text of a content field: a string, null (empty) or a list of text parts; null when none of these. */
    private static String text(JsonNode content) {
        if (content.isMissingNode() || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                text.append(part.isTextual() ? part.asText() : part.path("text").asText(""));
            }
            return text.toString();
        }
        return null;
    }

    static ModelException malformed(String source, String why, String body) {
        return new ModelException(ModelException.Kind.MALFORMED_RESPONSE,
                "The model server at " + source + " sent a response that is not a usable chat completion: "
                        + why + ". Body starts with: " + excerpt(body)
                        + " Trying again may help (a server or proxy under strain sends such answers); if it keeps"
                        + " happening, check that the base URL points to an OpenAI-compatible /v1 endpoint.");
    }

    /** At most {@link #EXCERPT_CHARS} characters of a body, on one line, quoted. */
    static String excerpt(String body) {
        if (body == null || body.isEmpty()) {
            return "(empty body)";
        }
        String line = body.replaceAll("\\s+", " ").strip();
        return "\"" + (line.length() <= EXCERPT_CHARS ? line : line.substring(0, EXCERPT_CHARS - 3) + "...") + "\"";
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "unreadable";
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
