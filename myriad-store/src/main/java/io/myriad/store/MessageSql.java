package io.myriad.store;

import io.myriad.core.message.Message;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The SQL of messages between runs (schema version 11). {@code messages} holds every message,
 * numbered by an {@code AUTOINCREMENT} id that is never reused (a cursor stays valid), unique by
 * sender and the sending call's idempotency key. {@code message_reads} holds one row per read
 * that consumed something: the reading call's key and the id range it returned; a run's cursor
 * is the largest end of its reads.
 */
final class MessageSql {
    private MessageSql() {}

    static final String COLS = "id, tenant, from_run, to_run, type, body, sent_at";

    static void create(Statement s) throws SQLException {
        s.execute("""
                CREATE TABLE IF NOT EXISTS messages (
                  id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, from_run TEXT NOT NULL,
                  send_key TEXT NOT NULL, to_run TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL,
                  sent_at INTEGER NOT NULL)""");
        s.execute("CREATE UNIQUE INDEX IF NOT EXISTS messages_by_send_key ON messages(from_run, send_key)");
        s.execute("CREATE INDEX IF NOT EXISTS messages_by_recipient ON messages(to_run, id)");
        s.execute("""
                CREATE TABLE IF NOT EXISTS message_reads (
                  run_id TEXT NOT NULL, read_key TEXT NOT NULL, after_id INTEGER NOT NULL, upto_id INTEGER NOT NULL,
                  at INTEGER NOT NULL, PRIMARY KEY (run_id, read_key)) WITHOUT ROWID""");
        s.execute("CREATE INDEX IF NOT EXISTS message_reads_by_cursor ON message_reads(run_id, upto_id)");
    }

    /** The message of the current row, in {@link #COLS} order. */
    static Message read(ResultSet rs) throws SQLException {
        return new Message(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getLong(7));
    }
}
