package io.myriad.core.model;

/**
 * What a provider said about its rate limits in one response (the {@code x-ratelimit-*} headers
 * of OpenAI-compatible servers, {@code anthropic-ratelimit-*}, Retry-After). Every field is -1
 * when the provider did not say.
 *
 * @param limitRequests       requests allowed per window
 * @param remainingRequests   requests left in the current window
 * @param resetRequestsMillis milliseconds until the request window resets
 * @param limitTokens         tokens allowed per window
 * @param remainingTokens     tokens left in the current window
 * @param resetTokensMillis   milliseconds until the token window resets
 * @param retryAfterMillis    how long the provider asked callers to wait
 */
public record RateLimits(
        long limitRequests, long remainingRequests, long resetRequestsMillis,
        long limitTokens, long remainingTokens, long resetTokensMillis,
        long retryAfterMillis) {

    public static final RateLimits UNKNOWN = new RateLimits(-1, -1, -1, -1, -1, -1, -1);

    public boolean known() {
        return !equals(UNKNOWN);
    }
}
