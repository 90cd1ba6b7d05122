package io.myriad.core.message;

import java.util.Objects;

/**
 * A message one run sent to another run of the same tenant. Its body is data from another run:
 * the receiver reads it, it never changes the receiver's instructions or policy.
 *
 * @param id     the mailbox's number for it, increasing in the order messages were sent
 * @param tenant the tenant of both runs
 * @param from   the sending run's id
 * @param to     the receiving run's id
 * @param type   the message type (declared in the fleet file when the fleet declares types)
 * @param body   the body, JSON text
 * @param sentAt when it was sent, epoch milliseconds
 */
public record Message(long id, String tenant, String from, String to, String type, String body, long sentAt) {
    public Message {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(body, "body");
    }
}
