package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fleet leaves an audit trail; `audit verify` passes on it and names the record someone edited. */
class AuditIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aFleetsAuditTrailVerifiesExportsAndTamperingIsNamed() throws IOException, SQLException {
        String tasks = IntStream.rangeClosed(1, 5)
                .mapToObj(i -> "{\"id\":\"t" + i + "\",\"input\":\"Write note " + i + "\"}").collect(Collectors.joining("\n"));
        Files.writeString(dir.resolve("tasks.jsonl"), tasks + "\n");
        Path fleet = dir.resolve("audited.yaml");
        Files.writeString(fleet, """
                fleet: audited
                model: {sim: {scenario: tools, tool_calls: 2, seed: 3}}
                concurrency: 4
                tasks: tasks.jsonl
                agents:
                  writer:
                    instructions: Write the note, read it back, answer.
                    tools: [fs.read, fs.write]
                """);
        String data = dir.resolve("data").toString();
        Cli.Result run = Cli.run("run", fleet.toString(), "--data", data);
        assertThat(run.exit()).as(run.err() + run.out()).isZero();

        Cli.Result verify = Cli.run("audit", "verify", "--data", data);
        assertThat(verify.exit()).as(verify.err()).isZero();
        assertThat(verify.out()).containsPattern("[0-9,]+ records, chain intact, verified in [0-9.]+ s");

        Path export = dir.resolve("audit.jsonl");
        Cli.Result exported = Cli.run("audit", "export", "--data", data, "--out", export.toString());
        assertThat(exported.exit()).as(exported.err()).isZero();
        List<JsonNode> records = Files.readAllLines(export).stream().map(AuditIT::parse).toList();
        assertThat(records).extracting(r -> r.path("action").asText())
                .startsWith("fleet.started").endsWith("fleet.finished")
                .contains("run.started", "tool.called", "tool.completed", "run.finished");
        assertThat(records.stream().filter(r -> r.path("action").asText().equals("run.started"))).hasSize(5);
        assertThat(records.stream().filter(r -> r.path("action").asText().equals("run.finished")))
                .allSatisfy(r -> assertThat(r.path("details").path("state").asText()).isEqualTo("succeeded"));
        assertThat(records.getFirst().path("actor").asText()).startsWith("local:");
        assertThat(records.get(1).path("prev").asText()).isEqualTo(records.getFirst().path("hash").asText());
        assertThat(verify.out()).startsWith(String.format(Locale.ROOT, "%,d records", records.size()));

        Cli.Result ls = Cli.run("audit", "ls", "--data", data, "--limit", "3");
        assertThat(ls.exit()).isZero();
        assertThat(ls.out()).contains("SEQ").contains("fleet.finished").contains("run.finished");

        // Someone with the file rewrites what a run's tool call was.
        long target = records.get(records.size() / 2).path("seq").asLong();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("data/myriad.db"));
             Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE audit SET details='{}' WHERE seq=" + target)).isEqualTo(1);
        }
        Cli.Result broken = Cli.run("audit", "verify", "--data", data);
        assertThat(broken.exit()).isEqualTo(1);
        assertThat(broken.err()).contains("record " + target + ": hash does not match its content (edited)");
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new AssertionError(line, e);
        }
    }
}
