package io.myriad.core.message;

/**
 * The bounds of a mailbox.
 *
 * @param maxBodyBytes the largest body, in UTF-8 bytes
 * @param maxUnread    the most unread messages one inbox holds; a send beyond is refused
 * @param maxPerRead   the most messages one read returns
 */
public record MessageLimits(int maxBodyBytes, int maxUnread, int maxPerRead) {
    /** 64 KiB bodies, 1,000 unread messages per inbox, 100 per read. */
    public static final MessageLimits DEFAULTS = new MessageLimits(64 * 1024, 1_000, 100);

    public MessageLimits {
        if (maxBodyBytes <= 0 || maxUnread <= 0 || maxPerRead <= 0) {
            throw new IllegalArgumentException("message limits must be positive, got body " + maxBodyBytes
                    + ", unread " + maxUnread + ", per read " + maxPerRead);
        }
    }
}
