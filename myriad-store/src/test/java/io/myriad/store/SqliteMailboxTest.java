package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.message.Mailbox;
import io.myriad.core.message.MailboxException;
import io.myriad.core.message.Message;
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

/** Runs' inboxes on SQLite: idempotent sends, durable cursors, tenant isolation, bounds, migration. */
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
    void aSendMadeAgainWithTheSameKeyIsNotSentTwice(@TempDir Path dir) {
        try (SqliteStore s = store(dir)) {
            Mailbox box = s.mailbox(MessageLimits.DEFAULTS, CLOCK);
            Message first = box.send("alpha-1:t1", "k1", "alpha-1:t2", "finding", "{\"x\":1}");
            Message again = box.send("alpha-1:t1", "k1", "alpha-1:t2", "finding", "{\"x\":1}");
            assertThat(again).isEqualTo(first);
            assertThat(first.tenant()).isEqualTo("alpha");
            assertThat(first.sentAt()).isEqualTo(1_000);
            assertThat(box.unread("alpha-1:t2")).isEqualTo(1);
            box.send("alpha-1:t1", "k2", "alpha-1:t2", "finding", "{\"x\":2}");
            assertThat(box.unread("alpha-1:t2")).isEqualTo(2);
        }
    }

    @Test
    void aReadMadeAgainReturnsTheSameMessagesAndTheCursorSurvivesARestart(@TempDir Path dir) {
        try (SqliteStore s = store(dir)) {
            Mailbox box = s.mailbox(MessageLimits.DEFAULTS, CLOCK);
            for (int i = 1; i <= 3; i++) {
                box.send("alpha-1:t1", "k" + i, "alpha-1:t2", "n", "{\"i\":" + i + "}");
            }
            List<Message> first = box.read("alpha-1:t2", "r1", 2);
            assertThat(first).extracting(Message::body).containsExactly("{\"i\":1}", "{\"i\":2}");
            box.send("alpha-1:t1", "k4", "alpha-1:t2", "n", "{\"i\":4}");
            assertThat(box.read("alpha-1:t2", "r1", 2)).isEqualTo(first);
            assertThat(box.unread("alpha-1:t2")).isEqualTo(2);
            assertThat(box.read("alpha-1:t1", "r1", 10)).as("another run's inbox").isEmpty();
        }
        try (SqliteStore s = SqliteStore.open(dir.resolve("m.db"))) {
            Mailbox box = s.mailbox(MessageLimits.DEFAULTS, CLOCK);
            assertThat(box.read("alpha-1:t2", "r1", 2)).extracting(Message::body).containsExactly("{\"i\":1}", "{\"i\":2}");
            assertThat(box.read("alpha-1:t2", "r2", 10)).extracting(Message::body).containsExactly("{\"i\":3}", "{\"i\":4}");
            assertThat(box.read("alpha-1:t2", "r3", 10)).isEmpty();
            assertThat(box.unread("alpha-1:t2")).isZero();
        }
    }

    @Test
    void anotherTenantsRunAndANonexistentRunAreTheSameRefusal(@TempDir Path dir) {
        try (SqliteStore s = store(dir)) {
            Mailbox box = s.mailbox(MessageLimits.DEFAULTS, CLOCK);
            String cross = refusal(box, "beta-1:t1");
            String missing = refusal(box, "gamma-1:t1");
            String notStarted = refusal(box, "beta-1:t9");
            assertThat(cross.replace("beta-1:t1", "X")).isEqualTo(missing.replace("gamma-1:t1", "X"))
                    .isEqualTo(notStarted.replace("beta-1:t9", "X"));
            assertThat(cross).doesNotContain("beta\"").doesNotContain("tenant beta");
            assertThat(refusal(box, "no-colon")).contains("no run 'no-colon'");
            assertThat(box.unread("beta-1:t1")).isZero();
            // A run of the sender's own execution that has not started yet may receive.
            assertThat(box.send("alpha-1:t1", "k9", "alpha-1:t3", "n", "{}").to()).isEqualTo("alpha-1:t3");
        }
    }

    private static String refusal(Mailbox box, String to) {
        try {
            box.send("alpha-1:t1", "k-" + to, to, "n", "{}");
        } catch (MailboxException e) {
            assertThat(e.kind()).isEqualTo(MailboxException.Kind.UNKNOWN_RECIPIENT);
            assertThat(e.retriable()).isFalse();
            return e.getMessage();
        }
        throw new AssertionError("a send to " + to + " was accepted");
    }

    @Test
    void bodiesInboxesAndReadsAreBounded(@TempDir Path dir) {
        try (SqliteStore s = store(dir)) {
            Mailbox box = s.mailbox(new MessageLimits(16, 2, 1), CLOCK);
            assertThatThrownBy(() -> box.send("alpha-1:t1", "big", "alpha-1:t2", "n", "\"" + "x".repeat(20) + "\""))
                    .isInstanceOfSatisfying(MailboxException.class, e -> assertThat(e.kind())
                            .isEqualTo(MailboxException.Kind.BODY_TOO_LARGE))
                    .hasMessageContaining("limit is 16 bytes");
            box.send("alpha-1:t1", "a", "alpha-1:t2", "n", "1");
            box.send("alpha-1:t1", "b", "alpha-1:t2", "n", "2");
            assertThatThrownBy(() -> box.send("alpha-1:t1", "c", "alpha-1:t2", "n", "3"))
                    .isInstanceOfSatisfying(MailboxException.class, e -> {
                        assertThat(e.kind()).isEqualTo(MailboxException.Kind.INBOX_FULL);
                        assertThat(e.retriable()).isTrue();
                    })
                    .hasMessageContaining("inbox of run alpha-1:t2 is full");
            assertThat(box.send("alpha-1:t1", "a", "alpha-1:t2", "n", "1").body()).as("a replay is not a new send").isEqualTo("1");
            assertThat(box.read("alpha-1:t2", "r1", 50)).hasSize(1);
            box.send("alpha-1:t1", "c", "alpha-1:t2", "n", "3");
        }
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
