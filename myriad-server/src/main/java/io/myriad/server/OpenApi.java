package io.myriad.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The OpenAPI 3.1 document of the routes the resources declared. */
final class OpenApi {
    private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}");

    private OpenApi() {}

    static ObjectNode document(ObjectMapper mapper, List<ObjectNode> routes) {
        ObjectNode doc = mapper.createObjectNode().put("openapi", "3.1.0");
        doc.putObject("info").put("title", "Myriad API").put("version", "1")
                .put("description", "Fleets of agents: runs, transcripts, approvals, deliveries, audit, control.");
        ObjectNode bearer = doc.putObject("components").putObject("securitySchemes").putObject("bearer");
        bearer.put("type", "http").put("scheme", "bearer");
        doc.putArray("security").addObject().putArray("bearer");
        ObjectNode paths = doc.putObject("paths");
        for (ObjectNode r : List.copyOf(routes)) {
            String path = r.path("path").asText();
            ObjectNode op = paths.has(path) ? (ObjectNode) paths.get(path) : paths.putObject(path);
            ObjectNode o = op.putObject(r.path("method").asText().toLowerCase(java.util.Locale.ROOT));
            o.put("summary", r.path("summary").asText());
            Matcher m = PARAM.matcher(path);
            var params = o.putArray("parameters");
            while (m.find()) {
                params.addObject().put("name", m.group(1)).put("in", "path").put("required", true)
                        .putObject("schema").put("type", "string");
            }
            ObjectNode responses = o.putObject("responses");
            responses.putObject("200").put("description", "OK");
            responses.putObject("default").put("description", "an error: {\"error\": {\"code\", \"message\", \"status\"}}");
        }
        return doc;
    }
}
