package io.myriad.core.message;

import io.myriad.core.MyriadException;
import java.util.Objects;

/** A send or a read the mailbox refused; only a full inbox may clear by itself (retriable). */
public final class MailboxException extends MyriadException {
    /** Why the mailbox refused. */
    public enum Kind {
        /** The recipient is not a run of the sender's tenant (or no run at all: the two read the same). */
        UNKNOWN_RECIPIENT,
        /** The body is larger than {@link MessageLimits#maxBodyBytes()}. */
        BODY_TOO_LARGE,
        /** The recipient has {@link MessageLimits#maxUnread()} unread messages already. */
        INBOX_FULL
    }

    private final Kind kind;

    public MailboxException(Kind kind, String message) {
        super(message, Objects.requireNonNull(kind, "kind") == Kind.INBOX_FULL);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
