package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.Limits;
import io.myriad.core.fleet.ModelSpec.OpenAiCompatible;
import io.myriad.core.fleet.ModelSpec.Pricing;
import io.myriad.core.fleet.ModelSpec.Simulated;
import io.myriad.core.fleet.TaskSpec;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FleetLoaderTest {
    static final Set<String> TOOLS = Set.of("fs.read", "fs.write", "http_get");

    @TempDir
    Path dir;

    static Path resource(String name) {
        try {
            return Path.of(FleetLoaderTest.class.getResource("/fleets/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    static String sha256(byte[]... parts) throws NoSuchAlgorithmException {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        for (byte[] part : parts) {
            digest.update(part);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    @Test
    void loadsAFileUsingEveryForm() throws Exception {
        Path file = resource("full.yaml");
        FleetSpec fleet = FleetLoader.load(file, TOOLS);

        assertThat(fleet.name()).isEqualTo("full-demo.v1");
        assertThat(fleet.concurrency()).isEqualTo(50);
        assertThat(fleet.source()).isEqualTo(file.toString());
        assertThat(fleet.httpAllowHosts()).containsExactly("api.example.com", "*.example.org", "127.0.0.1");
        assertThat(fleet.httpAllowPrivate()).isTrue();
        assertThat(fleet.digest()).isEqualTo(sha256(Files.readAllBytes(file)));
        assertThat(fleet.tasks()).containsExactly(
                new TaskSpec("t1", "mini", "first", 0),
                new TaskSpec("t2", "writer", "text input", 5),
                new TaskSpec("object-input", "reviewer",
                        "{\"repo\":\"demo\",\"goal\":\"fix the tests\",\"steps\":[1,2.5,true,null]}", 0),
                new TaskSpec("t4", "reviewer", "default id is t4", -3));

        assertThat(fleet.agents()).containsOnlyKeys("writer", "reviewer", "mini");
        AgentSpec writer = fleet.agent("writer");
        assertThat(writer.instructions()).isEqualTo("Write the thing.\n");
        assertThat(writer.model()).isEqualTo(new Simulated("tools", 3, Duration.ofMillis(250), 7, 64_000));
        assertThat(writer.tools()).containsExactly("fs.read", "fs.write");
        assertThat(writer.limits()).isEqualTo(new Limits(20, 30_000, Duration.ofMinutes(5)));
        assertThat(writer.outputSchema()).isEqualTo(new ObjectMapper().readTree(
                "{\"type\":\"object\",\"required\":[\"answer\"],\"properties\":{\"answer\":{\"type\":\"string\"}}}"));
        assertThat(writer.maxOutputTokens()).isEqualTo(1024);
        assertThat(writer.temperature()).isEqualTo(0.2);

        AgentSpec reviewer = fleet.agent("reviewer");
        assertThat(reviewer.model()).isEqualTo(new OpenAiCompatible("http://localhost:8000/v1", "my-model", "MY_KEY",
                Duration.ofSeconds(90), new Pricing(0.4, 1.6), false));
        assertThat(reviewer.tools()).isEmpty();
        assertThat(reviewer.limits()).isEqualTo(new Limits(
                Limits.DEFAULT.maxSteps(), Limits.DEFAULT.maxTokens(), Duration.ofHours(2)));
        assertThat(reviewer.outputSchemaIfAny()).isEmpty();
        assertThat(reviewer.maxOutputTokens()).isZero();
        assertThat(reviewer.temperature()).isNull();

        AgentSpec mini = fleet.agent("mini");
        assertThat(mini.model()).isEqualTo(new OpenAiCompatible("https://api.openai.com/v1", "gpt-4.1-mini",
                "OPENAI_API_KEY", ModelSpecParser.DEFAULT_TIMEOUT, Pricing.FREE, false));
        assertThat(mini.temperature()).isEqualTo(1.0);
        assertThat(mini.limits()).isEqualTo(Limits.DEFAULT);
    }

    @Test
    void defaultsApplyAndPlainStringsGoToTheOnlyAgent() {
        FleetSpec fleet = FleetLoader.load(resource("single-agent.yaml"), TOOLS);

        assertThat(fleet.concurrency()).isEqualTo(16);
        assertThat(fleet.httpAllowHosts()).isEmpty();
        assertThat(fleet.httpAllowPrivate()).isFalse();
        assertThat(fleet.agent("writer").model()).isEqualTo(Simulated.DEFAULT);
        assertThat(fleet.tasks()).containsExactly(
                new TaskSpec("t1", "writer", "a plain string is the input", 0),
                new TaskSpec("t2", "writer", "another one", 0),
                new TaskSpec("t3", "writer", "[1,\"two\"]", 0));
    }

    @Test
    void agentsInheritTheFleetModel() throws IOException {
        FleetSpec fleet = FleetLoader.load(write("fleet.yaml", """
                fleet: inherit
                model: {sim: {scenario: script}}
                tasks: [{input: x, agent: a}]
                agents:
                  a: {instructions: A}
                  b: {instructions: B, model: sim}
                """), TOOLS);

        assertThat(fleet.agent("a").model()).isEqualTo(new Simulated("script", 2, Duration.ZERO, 42, 128_000));
        assertThat(fleet.agent("b").model()).isEqualTo(Simulated.DEFAULT);
    }

    @Test
    void readsTasksFromAJsonlFileRelativeToTheFleetFile() throws Exception {
        Path file = resource("jsonl.yaml");
        FleetSpec fleet = FleetLoader.load(file, TOOLS);

        assertThat(fleet.tasks()).containsExactly(
                new TaskSpec("ticket-1", "solo", "My printer is on fire", 2),
                new TaskSpec("t3", "solo", "just a string", 0),
                new TaskSpec("t4", "solo", "{\"customer\":42,\"tags\":[\"a\",\"b\"]}", 0));
        assertThat(fleet.digest()).isEqualTo(sha256(
                Files.readAllBytes(file), Files.readAllBytes(file.resolveSibling("tasks/tickets.jsonl"))));
    }

    @Test
    void theDigestChangesWhenTheTasksFileChanges() throws IOException {
        Path file = write("fleet.yaml", "fleet: d\nagents: {a: {instructions: A}}\ntasks: t.jsonl\n");
        write("t.jsonl", "\"one\"\n");
        String before = FleetLoader.load(file, TOOLS).digest();
        write("t.jsonl", "\"two\"\n");

        assertThat(FleetLoader.load(file, TOOLS).digest()).isNotEqualTo(before);
    }

    @Test
    void yamlAnchorsAliasesAndMergeKeysWork() throws IOException {
        FleetSpec fleet = FleetLoader.load(write("fleet.yaml", """
                fleet: anchors
                tasks: [{input: x, agent: a}]
                agents:
                  a: &base
                    instructions: Shared instructions.
                    limits: &limits {max_steps: 3}
                  b:
                    <<: *base
                    tools: [http_get]
                  c:
                    instructions: Own instructions.
                    limits: *limits
                """), TOOLS);

        assertThat(fleet.agent("b").instructions()).isEqualTo("Shared instructions.");
        assertThat(fleet.agent("b").limits().maxSteps()).isEqualTo(3);
        assertThat(fleet.agent("b").tools()).containsExactly("http_get");
        assertThat(fleet.agent("c").limits().maxSteps()).isEqualTo(3);
    }

    @Test
    void yesAndNoStayStringsAndEmptyValuesAreNull() throws IOException {
        FleetSpec fleet = FleetLoader.load(write("fleet.yaml", """
                fleet: words
                agents: {a: {instructions: A}}
                tasks: [no, yes, "", {input: {answer: off}}]
                """), TOOLS);

        assertThat(fleet.tasks()).extracting(TaskSpec::input)
                .containsExactly("no", "yes", "", "{\"answer\":\"off\"}");
    }

    @Test
    void acceptsAByteOrderMarkAndWindowsLineEndings() throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, "\uFEFFfleet: crlf\r\nagents:\r\n  a: {instructions: A}\r\ntasks: t.jsonl\r\n");
        Files.writeString(dir.resolve("t.jsonl"), "\uFEFF{\"input\": \"one\"}\r\n\r\n\"two\"\r\n");

        assertThat(FleetLoader.load(file, TOOLS).tasks()).containsExactly(
                new TaskSpec("t1", "a", "one", 0), new TaskSpec("t3", "a", "two", 0));
    }

    @Test
    void loadsOneHundredThousandJsonlTasks() throws IOException {
        Path tasks = dir.resolve("big.jsonl");
        try (BufferedWriter out = Files.newBufferedWriter(tasks)) {
            for (int i = 0; i < 100_000; i++) {
                out.write("{\"id\": \"task-" + i + "\", \"input\": {\"ticket\": " + i
                        + ", \"text\": \"please help with order " + i + "\"}, \"priority\": " + (i % 10) + "}\n");
            }
        }
        Path file = write("fleet.yaml", "fleet: big\nconcurrency: 1000\nagents: {a: {instructions: A}}\n"
                + "tasks: big.jsonl\n");
        // Tests check correctness, not timings; the load time is a benchmark's business.
        FleetSpec fleet = FleetLoader.load(file, TOOLS);

        assertThat(fleet.tasks()).hasSize(100_000);
        assertThat(fleet.tasks().get(99_999)).isEqualTo(new TaskSpec("task-99999", "a",
                "{\"ticket\":99999,\"text\":\"please help with order 99999\"}", 9));
    }

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }
}
