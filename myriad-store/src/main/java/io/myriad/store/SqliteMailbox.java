package io.myriad.store;

import io.myriad.core.message.Mailbox;
import io.myriad.core.message.MailboxException;
import io.myriad.core.message.Message;
import io.myriad.core.message.MessageLimits;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Runs' inboxes on SQLite ({@link MessageSql}). Sends and consuming reads are each one
 * transaction on the store's admin connection (begun IMMEDIATE, so a check and the write that
 * depends on it see the same database); {@link #unread} uses a read connection.
 *
 * <p>Notes. The recipient must be a run of the sender's tenant: its execution is recorded in that
 * tenant and either the run has started (its summary row exists) or it belongs to the sender's
 * own execution (runs of one execution start in any order, so a message may wait for a run that
 * has not started yet). Anything else, another tenant's run included, is the same refusal, which
 * names only the id the sender gave.
 */
final class SqliteMailbox implements Mailbox {
    private final SqliteStore store;
    private final MessageLimits limits;
    private final InstantSource clock;

    SqliteMailbox(SqliteStore store, MessageLimits limits, InstantSource clock) {
        this.store = store;
        this.limits = limits;
        this.clock = clock;
    }

    @Override
    public MessageLimits limits() {
        return limits;
    }

    /** The checks every store makes before sending: nothing missing, and a body within the limit. */
    static void checkSend(MessageLimits limits, String fromRun, String idempotencyKey, String toRun, String type, String body) {
        Objects.requireNonNull(fromRun, "fromRun");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(toRun, "toRun");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(body, "body");
        int bytes = body.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > limits.maxBodyBytes()) {
            throw new MailboxException(MailboxException.Kind.BODY_TOO_LARGE, "the message body is " + bytes
                    + " bytes; the limit is " + limits.maxBodyBytes() + " bytes: send less, or a reference to it");
        }
    }

    /**
     * Sends within the caller's transaction: the message sent before under the same key, or a new
     * one once the recipient is known and its inbox has room. {@code onConflict} ends the insert
     * (PostgreSQL's {@code ON CONFLICT … DO NOTHING}; empty on SQLite, whose writes are serialized).
     */
    static Message deliver(Connection c, MessageLimits limits, InstantSource clock, String tenant, String fromRun,
            String idempotencyKey, String toRun, String type, String body, String onConflict) throws SQLException {
        Optional<Message> sent = sentBefore(c, fromRun, idempotencyKey);
        if (sent.isPresent()) {
            return sent.get();
        }
        if (!knownRecipient(c, tenant, fromRun, toRun)) {
            throw new MailboxException(MailboxException.Kind.UNKNOWN_RECIPIENT, "no run '" + toRun
                    + "' to send to: the recipient must be a run of your tenant, named by its run id"
                    + " (<execution>:<task>)");
        }
        if (unread(c, toRun) >= limits.maxUnread()) {
            throw new MailboxException(MailboxException.Kind.INBOX_FULL, "the inbox of run " + toRun + " is full ("
                    + limits.maxUnread() + " unread messages): try again after it has read some");
        }
        long now = clock.millis();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO messages(tenant, from_run, send_key, to_run, "
                + "type, body, sent_at) VALUES (?,?,?,?,?,?,?)" + onConflict)) {
            ps.setString(1, tenant);
            ps.setString(2, fromRun);
            ps.setString(3, idempotencyKey);
            ps.setString(4, toRun);
            ps.setString(5, type);
            ps.setString(6, body);
            ps.setLong(7, now);
            ps.executeUpdate();
        }
        return sentBefore(c, fromRun, idempotencyKey).orElseThrow(() -> new SQLException("the message just sent is missing"));
    }

    @Override
    public Message send(String fromRun, String idempotencyKey, String toRun, String type, String body) {
        checkSend(limits, fromRun, idempotencyKey, toRun, type, body);
        String tenant = store.tenantOfRun(fromRun);
        return store.admin("send a message from " + fromRun, c -> {
            return deliver(c, limits, clock, tenant, fromRun, idempotencyKey, toRun, type, body, "");
        });
    }

    static Optional<Message> sentBefore(Connection c, String fromRun, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + MessageSql.COLS
                + " FROM messages WHERE from_run=? AND send_key=?")) {
            ps.setString(1, fromRun);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(MessageSql.read(rs)) : Optional.empty();
            }
        }
    }

    static boolean knownRecipient(Connection c, String tenant, String fromRun, String toRun) throws SQLException {
        int colon = toRun.indexOf(':');
        if (colon <= 0 || colon == toRun.length() - 1) {
            return false;
        }
        String execution = toRun.substring(0, colon);
        try (PreparedStatement ps = c.prepareStatement("SELECT tenant FROM executions WHERE id=?")) {
            ps.setString(1, execution);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || !rs.getString(1).equals(tenant)) {
                    return false;
                }
            }
        }
        if (fromRun.startsWith(execution + ":")) {
            return true;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM runs WHERE run_id=?")) {
            ps.setString(1, toRun);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    static long cursor(Connection c, String runId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(upto_id), 0) FROM message_reads WHERE run_id=?")) {
            ps.setString(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    static int unread(Connection c, String runId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM messages WHERE to_run=? AND id>?")) {
            ps.setString(1, runId);
            ps.setLong(2, cursor(c, runId));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        }
    }

    @Override
    public int unread(String runId) {
        Objects.requireNonNull(runId, "runId");
        return store.read(c -> unread(c, runId));
    }

    @Override
    public List<Message> read(String runId, String idempotencyKey, int max) {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        if (max <= 0) {
            throw new IllegalArgumentException("max must be positive, got " + max);
        }
        int limit = Math.min(max, limits.maxPerRead());
        // Nothing to read and no earlier read with this key: answer without taking the write lock.
        if (unread(runId) == 0 && !store.read(c -> readBefore(c, runId, idempotencyKey).isPresent())) {
            return List.of();
        }
        return store.admin("read the inbox of " + runId, c -> {
            Optional<long[]> before = readBefore(c, runId, idempotencyKey);
            if (before.isPresent()) {
                return messages(c, runId, before.get()[0], before.get()[1], Integer.MAX_VALUE);
            }
            long after = cursor(c, runId);
            List<Message> out = messages(c, runId, after, Long.MAX_VALUE, limit);
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

    /** The id range {@code (after, upto]} an earlier read with this key returned. */
    static Optional<long[]> readBefore(Connection c, String runId, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT after_id, upto_id FROM message_reads WHERE run_id=? AND read_key=?")) {
            ps.setString(1, runId);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new long[] {rs.getLong(1), rs.getLong(2)}) : Optional.empty();
            }
        }
    }

    static List<Message> messages(Connection c, String runId, long after, long upto, int limit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + MessageSql.COLS
                + " FROM messages WHERE to_run=? AND id>? AND id<=? ORDER BY id LIMIT ?")) {
            ps.setString(1, runId);
            ps.setLong(2, after);
            ps.setLong(3, upto);
            ps.setInt(4, limit);
            try (ResultSet rs = ps.executeQuery()) {
                List<Message> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(MessageSql.read(rs));
                }
                return out;
            }
        }
    }
}
