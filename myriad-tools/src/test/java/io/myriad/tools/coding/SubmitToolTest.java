package io.myriad.tools.coding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SubmitToolTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final InMemorySubmissions submissions = Submissions.inMemory();
    private final SubmitTool tool = SubmitTool.create(submissions);

    private static ToolContext call(String key) {
        return new ToolContext("run-1", "call-" + key, key, Path.of("/tmp/ws-run-1"));
    }

    private static JsonNode args(String json) throws Exception {
        return JSON.readTree(json);
    }

    @Test
    void recordsTheSubmissionAndSaysThePlatformVerifiesIt() throws Exception {
        ToolResult r = tool.invoke(args("{\"explanation\": \"  Fixed add(): it subtracted. \"}"),
                call("k1"));
        assertThat(r.error()).isFalse();
        assertThat(r.content()).contains("verify");
        assertThat(submissions.all()).containsExactly(new Submissions.Submission("run-1", "k1",
                "Fixed add(): it subtracted.", Path.of("/tmp/ws-run-1")));
        assertThat(tool.effect()).isEqualTo(Effect.IDEMPOTENT);
        assertThat(tool.name()).isEqualTo("submit");
        assertThat(tool.definition().parameters().at("/required/0").asText())
                .isEqualTo("explanation");
    }

    @Test
    void theSameKeyIsTheSameSubmission() throws Exception {
        ToolResult first = tool.invoke(args("{\"explanation\": \"done\"}"), call("k1"));
        ToolResult again = tool.invoke(args("{\"explanation\": \"done\"}"), call("k1"));
        assertThat(again).isEqualTo(first);
        assertThat(submissions.all()).hasSize(1);
        tool.invoke(args("{\"explanation\": \"done, really\"}"), call("k2"));
        assertThat(submissions.all()).extracting(Submissions.Submission::idempotencyKey)
                .containsExactly("k1", "k2");
        assertThat(submissions.find("k2")).get().extracting(Submissions.Submission::explanation)
                .isEqualTo("done, really");
    }

    @Test
    void rejectsMissingBlankWrongTypedAndOverlongExplanations() {
        assertThatThrownBy(() -> tool.invoke(args("{}"), call("a")))
                .isInstanceOf(ToolException.class).hasMessageContaining("missing required");
        assertThatThrownBy(() -> tool.invoke(args("{\"explanation\": \" \\n \"}"), call("b")))
                .isInstanceOf(ToolException.class).hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> tool.invoke(args("{\"explanation\": 3}"), call("c")))
                .isInstanceOf(ToolException.class).hasMessageContaining("must be a string");
        String tooLong = "x".repeat(SubmitTool.MAX_EXPLANATION + 1);
        assertThatThrownBy(() -> tool.invoke(args("{\"explanation\": \"" + tooLong + "\"}"),
                call("d"))).isInstanceOf(ToolException.class).hasMessageContaining("2001");
        assertThat(submissions.all()).isEmpty();
        String longest = "y".repeat(SubmitTool.MAX_EXPLANATION);
        assertThat(tool.invoke(JSON.createObjectNode().put("explanation", longest), call("e"))
                .error()).isFalse();
    }
}
