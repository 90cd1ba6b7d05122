package io.myriad.core.message;

import java.util.List;

/**
 * Durable inboxes of runs: a run sends typed messages to other runs of its own tenant and reads
 * its own inbox. Thread-safe; every method is durable when it returns.
 *
 * <p>Both operations are keyed by the idempotency key of the tool call that makes them, so a
 * call replayed after a crash does the same thing again rather than something new: a send made
 * again with the same sender and key returns the message first sent (nothing is sent twice); a
 * read made again with the same reader and key returns the same messages it returned first. A
 * run's cursor (what it has consumed) is the end of its last read, so a restarted run neither
 * loses nor re-reads messages.
 */
public interface Mailbox {

    /**
     * Sends a message from {@code fromRun} to {@code toRun}.
     *
     * @param idempotencyKey the sending call's key; a second send with the same sender and key
     *                       returns the first message
     * @param body           JSON text
     * @throws MailboxException when the recipient is not a run of the sender's tenant
     *                          ({@code UNKNOWN_RECIPIENT}, the same for a run of another tenant
     *                          and for no run at all), the body is too large, or the inbox full
     */
    Message send(String fromRun, String idempotencyKey, String toRun, String type, String body);

    /**
     * Consumes up to {@code max} (capped by {@link MessageLimits#maxPerRead()}) of the messages
     * {@code runId} received after its cursor, oldest first, and moves the cursor past them.
     * Nothing is consumed (and the key stays free) when there is nothing to read.
     *
     * @param idempotencyKey the reading call's key: a read made again with it returns the same messages
     */
    List<Message> read(String runId, String idempotencyKey, int max);

    /** How many messages {@code runId} received and has not read yet. */
    int unread(String runId);

    /** The bounds this mailbox enforces. */
    MessageLimits limits();
}
