package io.myriad.core.model;

import io.myriad.core.MyriadException;

/** A model call that did not produce a usable response. */
public final class ModelException extends MyriadException {
    /** What went wrong, so the gateway can decide to retry, back off or give up. */
    public enum Kind {
        /** The endpoint could not be reached (refused, DNS, reset). */
        UNREACHABLE(true),
        /** No answer within the timeout. */
        TIMEOUT(true),
        /** HTTP 429: too many requests or tokens. */
        RATE_LIMITED(true),
        /** HTTP 5xx. */
        SERVER_ERROR(true),
        /** The response was not valid JSON or lacked required fields. */
        MALFORMED_RESPONSE(true),
        /** The request itself was refused (4xx other than 429): bad key, unknown model, context too long. */
        REJECTED(false),
        /** The prompt does not fit in the model's context window. */
        CONTEXT_TOO_LONG(false);

        private final boolean retriable;

        Kind(boolean retriable) {
            this.retriable = retriable;
        }
    }

    private final Kind kind;
    private final long retryAfterMillis;
    private final RateLimits rateLimits;

    public ModelException(Kind kind, String message) {
        this(kind, message, -1, null);
    }

    public ModelException(Kind kind, String message, long retryAfterMillis, Throwable cause) {
        this(kind, message, retryAfterMillis, cause, RateLimits.UNKNOWN);
    }

    public ModelException(Kind kind, String message, long retryAfterMillis, Throwable cause, RateLimits rateLimits) {
        super(message, kind.retriable, cause);
        this.kind = kind;
        this.retryAfterMillis = retryAfterMillis;
        this.rateLimits = rateLimits == null ? RateLimits.UNKNOWN : rateLimits;
    }

    /** What the failed response said about rate limits (a 429 usually says a lot). */
    public RateLimits rateLimits() {
        return rateLimits;
    }

    public Kind kind() {
        return kind;
    }

    /** The provider's Retry-After in milliseconds, or -1 when it gave none. */
    public long retryAfterMillis() {
        return retryAfterMillis;
    }
}
