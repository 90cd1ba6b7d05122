package io.myriad.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document names exactly the routes the router answers, each declared once, and is
 * a structurally valid OpenAPI 3.1 document.
 */
class OpenApiRoutesTest {
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

    @TempDir
    Path dir;

    @Test
    void theDocumentListsExactlyTheRoutesTheServerAnswers() {
        try (ApiFixture f = new ApiFixture(dir)) {
            var r = f.get(f.alphaViewer, "/openapi.json");
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode doc = ApiFixture.json(r);

            assertThat(doc.path("openapi").asText()).startsWith("3.1");
            assertThat(doc.path("info").path("title").asText()).isNotBlank();
            assertThat(doc.path("info").path("version").asText()).isNotBlank();
            JsonNode paths = doc.path("paths");
            assertThat(paths.isObject()).isTrue();
            Set<String> documented = new TreeSet<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
                var path = it.next();
                assertThat(path.getKey()).startsWith("/");
                assertThat(path.getValue().size()).as(path.getKey()).isPositive();
                for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
                    var op = ops.next();
                    assertThat(METHODS).as(path.getKey()).contains(op.getKey());
                    assertThat(op.getValue().path("responses").size()).as(op.getKey() + " " + path.getKey()).isPositive();
                    op.getValue().path("responses").forEach(resp -> assertThat(resp.path("description").isTextual()).isTrue());
                    op.getValue().path("parameters").forEach(p -> {
                        assertThat(p.path("name").asText()).isNotBlank();
                        assertThat(path.getKey()).contains("{" + p.path("name").asText() + "}");
                    });
                    documented.add(op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey());
                }
            }

            Set<String> answered = new TreeSet<>(f.server.answeredRoutes());
            assertThat(answered).isNotEmpty().contains("GET /v1/runs", "POST /v1/kill", "DELETE /v1/keys/{id}");
            assertThat(documented).isEqualTo(answered);
            assertThat(f.server.declaredRoutes()).doesNotHaveDuplicates();
            assertThat(new TreeSet<>(f.server.declaredRoutes())).isEqualTo(answered);
        }
    }
}
