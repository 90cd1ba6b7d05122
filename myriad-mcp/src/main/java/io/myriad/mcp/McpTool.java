package io.myriad.mcp;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One tool of an MCP server, offered to agents as {@code mcp.<server>.<tool>} with the server's
 * own input schema (so the run loop validates arguments before the server sees them) and the
 * effect the fleet file declares for it.
 */
final class McpTool implements Tool {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    private final McpServer server;
    private final String remoteName;
    private final ToolDefinition definition;
    private final Effect effect;

    McpTool(McpServer server, McpSchema.Tool tool) {
        this.server = server;
        this.remoteName = tool.name();
        this.definition = new ToolDefinition(server.spec().toolName(tool.name()), description(tool), schema(tool));
        this.effect = server.spec().effectOf(tool.name());
    }

    private static String description(McpSchema.Tool tool) {
        if (tool.description() != null && !tool.description().isBlank()) {
            return tool.description();
        }
        return tool.title() != null ? tool.title() : tool.name();
    }

    private static JsonNode schema(McpSchema.Tool tool) {
        if (tool.inputSchema() == null || tool.inputSchema().isEmpty()) {
            ObjectNode empty = JSON.createObjectNode();
            empty.put("type", "object");
            return empty;
        }
        return JSON.valueToTree(tool.inputSchema());
    }

    @Override
    public ToolDefinition definition() {
        return definition;
    }

    /** A restart and a request may each take the server's timeout; the run loop waits for both. */
    @Override
    public Duration timeout() {
        return server.timeout().multipliedBy(2).plusSeconds(10);
    }

    @Override
    public Effect effect() {
        return effect;
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        Map<String, Object> args = arguments == null || arguments.isNull() ? Map.of() : JSON.convertValue(arguments, MAP);
        McpSchema.CallToolResult result;
        try {
            result = server.call(remoteName, args);
        } catch (McpError e) {
            return ToolResult.error("MCP server '" + server.spec().name() + "' refused " + name() + ": " + e.getMessage());
        } catch (McpException e) {
            return ToolResult.error(e.getMessage());
        }
        String text = render(result);
        return Boolean.TRUE.equals(result.isError()) ? ToolResult.error(text) : ToolResult.ok(text);
    }

    /** Text content joined by blank lines; other content summarised in one line each. */
    static String render(McpSchema.CallToolResult result) {
        List<String> parts = new ArrayList<>();
        for (McpSchema.Content c : result.content() == null ? List.<McpSchema.Content>of() : result.content()) {
            parts.add(switch (c) {
                case McpSchema.TextContent t -> t.text();
                case McpSchema.ImageContent i -> "[image " + i.mimeType() + ", " + base64Bytes(i.data()) + " bytes]";
                case McpSchema.AudioContent a -> "[audio " + a.mimeType() + ", " + base64Bytes(a.data()) + " bytes]";
                case McpSchema.ResourceLink l -> "[resource link " + l.uri() + (l.mimeType() == null ? "" : ", " + l.mimeType()) + "]";
                case McpSchema.EmbeddedResource r -> switch (r.resource()) {
                    case McpSchema.TextResourceContents t -> "[resource " + t.uri() + "]\n" + t.text();
                    case McpSchema.BlobResourceContents b -> "[resource " + b.uri() + (b.mimeType() == null ? "" : ", " + b.mimeType())
                            + ", " + base64Bytes(b.blob()) + " bytes]";
                    default -> "[resource " + r.resource().uri() + "]";
                };
                default -> "[" + c.type() + " content]";
            });
        }
        if (parts.isEmpty() && result.structuredContent() != null) {
            parts.add(JSON.valueToTree(result.structuredContent()).toString());
        }
        return String.join("\n\n", parts);
    }

    private static long base64Bytes(String data) {
        if (data == null) {
            return 0;
        }
        int padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
        return Math.max(0, data.length() / 4L * 3 - padding);
    }
}
