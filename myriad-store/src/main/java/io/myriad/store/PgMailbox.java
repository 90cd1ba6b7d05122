package io.myriad.store;

import io.myriad.core.message.Mailbox;
import io.myriad.core.message.MailboxException;
import io.myriad.core.message.Message;
import io.myriad.core.message.MessageLimits;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Runs' inboxes on PostgreSQL: {@link SqliteMailbox}'s rules and checks ({@link MessageSql}'s
 * tables), each send and consuming read one transaction on a pooled connection.
 *
 * <p>Notes. SQLite runs one writer at a time; PostgreSQL does not, so each send and each
 * consuming read first takes an advisory lock of the recipient's inbox. It orders what SQLite's
 * write lock orders: the inbox-full check with the send it guards, two reads with one key, and
 * a message's id with the read cursor. Without it, a message given id 7 could commit after a
 * read had already moved the cursor past a message 8, and never be read. A send's idempotency
 * key is unique per sender ({@code messages_by_send_key}): a send repeated to another inbox at
 * the same time inserts nothing and returns the first.
 */
final class PgMailbox implements Mailbox {
    private final PgTx tx;
    private final UnaryOperator<String> tenantOfRun;
    private final MessageLimits limits;
    private final InstantSource clock;

    PgMailbox(PgTx tx, UnaryOperator<String> tenantOfRun, MessageLimits limits, InstantSource clock) {
        this.tx = tx;
        this.tenantOfRun = tenantOfRun;
        this.limits = Objects.requireNonNull(limits, "limits");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    private static void lockInbox(java.sql.Connection c, String runId) throws SQLException {
        PgTx.lock(c, "myriad.inbox:" + runId);
    }

    @Override
    public MessageLimits limits() {
        return limits;
    }

    @Override
    public Message send(String fromRun, String idempotencyKey, String toRun, String type, String body) {
        SqliteMailbox.checkSend(limits, fromRun, idempotencyKey, toRun, type, body);
        String tenant = tenantOfRun.apply(fromRun);
        return tx.write("send a message from " + fromRun, c -> {
            lockInbox(c, toRun);
            return SqliteMailbox.deliver(c, limits, clock, tenant, fromRun, idempotencyKey, toRun, type, body,
                    " ON CONFLICT (from_run, send_key) DO NOTHING");
        });
    }

    @Override
    public int unread(String runId) {
        Objects.requireNonNull(runId, "runId");
        return tx.read(c -> SqliteMailbox.unread(c, runId));
    }

    @Override
    public List<Message> read(String runId, String idempotencyKey, int max) {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        if (max <= 0) {
            throw new IllegalArgumentException("max must be positive, got " + max);
        }
        int limit = Math.min(max, limits.maxPerRead());
        // Nothing to read and no earlier read with this key: answer without a transaction.
        if (unread(runId) == 0 && !tx.read(c -> SqliteMailbox.readBefore(c, runId, idempotencyKey).isPresent())) {
            return List.of();
        }
        return tx.write("read the inbox of " + runId, c -> {
            lockInbox(c, runId);
            Optional<long[]> before = SqliteMailbox.readBefore(c, runId, idempotencyKey);
            if (before.isPresent()) {
                return SqliteMailbox.messages(c, runId, before.get()[0], before.get()[1], Integer.MAX_VALUE);
            }
            long after = SqliteMailbox.cursor(c, runId);
            List<Message> out = SqliteMailbox.messages(c, runId, after, Long.MAX_VALUE, limit);
            if (!out.isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO message_reads(run_id, read_key, after_id, upto_id, at) VALUES (?,?,?,?,?)")) {
                    ps.setString(1, runId);
                    ps.setString(2, idempotencyKey);
                    ps.setLong(3, after);
                    ps.setLong(4, out.getLast().id());
                    ps.setLong(5, clock.millis());
                    ps.executeUpdate();
                }
            }
            return out;
        });
    }
}
