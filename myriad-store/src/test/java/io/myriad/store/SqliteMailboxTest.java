package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.message.Mailbox;
import io.myriad.core.message.MessageLimits;
import io.myriad.core.run.RunState;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs' inboxes on SQLite only: a version 10 database is migrated ({@link AdminStoreContract} holds the rest). */
class SqliteMailboxTest {
    private static final InstantSource CLOCK = InstantSource.fixed(Instant.ofEpochMilli(1_000));

    /** Executions alpha-1 (tenant alpha, runs t1 and t2 started) and beta-1 (tenant beta, run t1 started). */
    private static SqliteStore store(Path dir) {
        SqliteStore s = SqliteStore.open(dir.resolve("m.db"));
        s.createExecution("alpha", "alpha", "d", "a.yaml", 2, 1);
        s.createExecution("beta", "beta", "d", "b.yaml", 1, 1);
        start(s, "alpha-1:t1");
        start(s, "alpha-1:t2");
        start(s, "beta-1:t1");
        return s;
    }

    private static void start(SqliteStore s, String runId) {
        String execution = runId.substring(0, runId.indexOf(':'));
        s.append(new Journal.Append(runId, 0, List.of(new RunEvent.RunStarted(1, execution.substring(0, execution.indexOf('-')),
                execution, runId.substring(runId.indexOf(':') + 1), "a", "in", "m")),
                new RunStatus(RunState.AWAITING_MODEL, 1, 0, 0, 1, ""))).join();
    }

    @Test
    void aVersion10DatabaseIsMigrated(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.db");
        try (SqliteStore s = store(dir)) {
            assertThat(s.execution("alpha-1")).isPresent();
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            st.execute("DROP TABLE messages");
            st.execute("DROP TABLE message_reads");
            st.execute("PRAGMA user_version=10");
        }
        try (SqliteStore s = SqliteStore.open(file)) {
            assertThat(s.execution("alpha-1")).isPresent();
            Mailbox box = s.mailbox(MessageLimits.DEFAULTS, CLOCK);
            box.send("alpha-1:t1", "k", "alpha-1:t2", "n", "{}");
            assertThat(box.read("alpha-1:t2", "r", 5)).hasSize(1);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("PRAGMA user_version")) {
                assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(11);
            }
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_master WHERE type='index' "
                    + "AND name IN ('messages_by_send_key', 'messages_by_recipient', 'message_reads_by_cursor')")) {
                assertThat(rs.getInt(1)).as("indexes").isEqualTo(3);
            }
        }
    }
}
