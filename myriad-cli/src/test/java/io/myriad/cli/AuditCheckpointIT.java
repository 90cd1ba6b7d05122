package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.audit.AuditChain;
import io.myriad.core.audit.AuditCheckpoint;
import io.myriad.core.audit.AuditEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the chain alone cannot see, a signed checkpoint kept apart can: records cut from the end,
 * a tail rewritten with every hash recomputed, and a forged checkpoint.
 */
class AuditCheckpointIT {
    @TempDir
    Path dir;

    private String data;
    private Path key;
    private Path checkpoints;

    @BeforeEach
    void aFleetRanAndItsLogWasCheckpointed() throws Exception {
        Path fleet = dir.resolve("f.yaml");
        Files.writeString(fleet, """
                fleet: anchored
                model: {sim: {scenario: tools, tool_calls: 1, latency: 1ms, seed: 5}}
                agents:
                  w: {instructions: write then answer, tools: [fs.write, fs.read]}
                tasks: ["a", "b", "c", "d"]
                """);
        data = dir.resolve("data").toString();
        key = dir.resolve("keys/audit.key");
        checkpoints = dir.resolve("elsewhere/checkpoints.jsonl");
        Files.createDirectories(checkpoints.getParent());
        assertThat(Cli.run("run", fleet.toString(), "--data", data).exit()).isZero();
        var c = Cli.run("audit", "checkpoint", "--data", data, "--signing-key", key.toString(), "--out", checkpoints.toString());
        assertThat(c.exit()).as(c.err()).isZero();
        assertThat(c.err()).contains("created the audit signing key");
        assertThat(Files.getPosixFilePermissions(key)).hasSize(2);
    }

    private Cli.Result verify() {
        return Cli.run("audit", "verify", "--data", data, "--signing-key", key.toString(), "--checkpoints", checkpoints.toString());
    }

    private Connection db() throws Exception {
        return DriverManager.getConnection("jdbc:sqlite:" + Path.of(data, "myriad.db"));
    }

    @Test
    void anUntouchedLogHoldsItsCheckpoints() {
        var v = verify();
        assertThat(v.exit()).as(v.err()).isZero();
        assertThat(v.out()).contains("chain intact", "1 signed checkpoint hold");
    }

    @Test
    void recordsCutFromTheEndAreCaught() throws Exception {
        try (Connection c = db(); Statement s = c.createStatement()) {
            s.executeUpdate("DELETE FROM audit WHERE seq > (SELECT max(seq) - 3 FROM audit)");
        }
        var v = verify();
        assertThat(v.out()).as("the chain itself is still intact").contains("chain intact");
        assertThat(v.exit()).isEqualTo(Main.EXIT_TASKS_FAILED);
        assertThat(v.err()).contains("records were cut from the end");
    }

    @Test
    void aTailRewrittenWithRecomputedHashesIsCaught() throws Exception {
        try (Connection c = db()) {
            record Row(long seq, AuditEntry e) {}
            List<Row> rows = new ArrayList<>();
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT seq, at, tenant, actor, action, subject, details FROM audit ORDER BY seq")) {
                while (rs.next()) {
                    rows.add(new Row(rs.getLong(1), new AuditEntry(rs.getLong(2), rs.getString(3), rs.getString(4),
                            rs.getString(5), rs.getString(6), rs.getString(7))));
                }
            }
            // A forger edits one record in the middle and recomputes every hash after it.
            int edit = rows.size() / 2;
            AuditChain chain = AuditChain.create();
            String prev = AuditChain.GENESIS;
            try (PreparedStatement up = c.prepareStatement("UPDATE audit SET actor=?, prev=?, hash=? WHERE seq=?")) {
                for (int i = 0; i < rows.size(); i++) {
                    AuditEntry e = rows.get(i).e();
                    if (i == edit) {
                        e = new AuditEntry(e.at(), e.tenant(), "key:k_innocent", e.action(), e.subject(), e.details());
                    }
                    String hash = chain.hash(rows.get(i).seq(), prev, e);
                    up.setString(1, e.actor());
                    up.setString(2, prev);
                    up.setString(3, hash);
                    up.setLong(4, rows.get(i).seq());
                    up.executeUpdate();
                    prev = hash;
                }
            }
        }
        var v = verify();
        assertThat(v.out()).as("the forgery fools the chain").contains("chain intact");
        assertThat(v.exit()).isEqualTo(Main.EXIT_TASKS_FAILED);
        assertThat(v.err()).contains("the log was rewritten up to there");
    }

    @Test
    void aCheckpointSignedWithAnotherKeyIsRefused() throws Exception {
        String line = Files.readString(checkpoints).strip();
        var original = new com.fasterxml.jackson.databind.ObjectMapper().readValue(line, AuditCheckpoint.class);
        var forged = AuditCheckpoint.sign(original.seq(), original.head(), original.at(), AuditCheckpoint.newKeyPair());
        Files.writeString(checkpoints, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(forged) + "\n");
        var v = verify();
        assertThat(v.exit()).isEqualTo(Main.EXIT_TASKS_FAILED);
        assertThat(v.err()).contains("not signed by your audit signing key");
    }
}
