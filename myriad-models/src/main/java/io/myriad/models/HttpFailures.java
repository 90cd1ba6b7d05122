package io.myriad.models;

import io.myriad.core.gateway.RateLimitHeaders;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelException.Kind;
import io.myriad.core.model.RateLimits;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Turns what went wrong with one HTTP exchange into a {@link ModelException} whose kind tells the
 * gateway whether to retry, back off or give up, and whose message tells the user what to do.
 * Every status failure carries the rate limits its headers reported.
 */
final class HttpFailures {

    private HttpFailures() {}

    /** The exception for a non-2xx status. */
    static ModelException forStatus(
            int status, String body, HttpHeaders headers, String url, Clock clock, ChatCompletionsCodec codec) {
        return forStatus(status, body, headers::firstValue, url, clock, codec);
    }

    /**
     * The exception for a non-2xx status, with {@code headers} giving the first value of a header
     * by its name, case-insensitively.
     */
    static ModelException forStatus(int status, String body, Function<String, Optional<String>> headers, String url,
            Clock clock, ChatCompletionsCodec codec) {
        Optional<ChatCompletionsCodec.ApiError> error = codec.decodeError(body);
        String detail = error.map(ChatCompletionsCodec.ApiError::message)
                .filter(message -> !message.isBlank())
                .orElseGet(() -> ChatCompletionsCodec.excerpt(body));
        String prefix = "The model server at " + url + " answered HTTP " + status + ": " + detail;
        RateLimits limits = rateLimits(headers, clock);
        long retryAfter = limits.retryAfterMillis();
        if (status == 429) {
            return new ModelException(Kind.RATE_LIMITED,
                    prefix + " Too many requests or tokens; lower the concurrency or wait"
                            + (retryAfter >= 0 ? " " + retryAfter + " ms." : "."),
                    retryAfter, null, limits);
        }
        if (status == 408 || status == 409) {
            // Request timeout, or a conflict the server resolves by itself (a lock on its side): retriable.
            return new ModelException(status == 408 ? Kind.TIMEOUT : Kind.SERVER_ERROR,
                    prefix + " The server gave up on the request; trying again may help.", retryAfter, null, limits);
        }
        if (status >= 500) {
            return new ModelException(Kind.SERVER_ERROR,
                    prefix + " The server failed; trying again later may help.", retryAfter, null, limits);
        }
        if (status == 400 && isContextTooLong(error)) {
            return new ModelException(Kind.CONTEXT_TOO_LONG,
                    prefix + " Shorten the conversation or the tool output, or use a model with a larger context window.",
                    -1, null, limits);
        }
        String advice = switch (status) {
            case 401 -> " Check the API key: the environment variable named by api_key_env must hold a valid key"
                    + " for this server.";
            case 403 -> " The key is not allowed to use this model or endpoint; check its permissions.";
            case 404 -> " Check the model name and that the base URL ends with /v1.";
            default -> status >= 300 && status < 400
                    ? " The base URL redirects; use the final URL instead."
                    : " The request was refused; fix it before trying again.";
        };
        return new ModelException(Kind.REJECTED, prefix + advice, -1, null, limits);
    }

    private static boolean isContextTooLong(Optional<ChatCompletionsCodec.ApiError> error) {
        return error.map(e -> e.code().equals("context_length_exceeded")
                        || e.message().toLowerCase(Locale.ROOT).contains("maximum context length"))
                .orElse(false);
    }

    /** The exception for an exchange that produced no response. */
    static ModelException forIo(IOException e, String url, Duration timeout) {
        if (e instanceof HttpConnectTimeoutException) {
            return new ModelException(Kind.TIMEOUT,
                    "No connection to the model server at " + url + " within " + timeout.toMillis()
                            + " ms. Check that the server is running and reachable.", -1, e);
        }
        if (e instanceof HttpTimeoutException || e instanceof SocketTimeoutException) {
            return timeout(url, timeout, e);
        }
        if (e instanceof EOFException || (e instanceof SocketException && isReset(e))) {
            // The server was reached, then dropped the connection: a crash, a restart, a proxy's timeout.
            return new ModelException(Kind.UNREACHABLE,
                    "The model server at " + url + " closed the connection before its answer was complete ("
                            + e.getMessage() + "). Trying again may help; if it keeps happening, check the server's"
                            + " logs and any proxy in between.", -1, e);
        }
        String why = hasCause(e, UnresolvedAddressException.class) || hasCause(e, UnknownHostException.class)
                ? "unknown host"
                : e instanceof ConnectException ? "connection refused"
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new ModelException(Kind.UNREACHABLE,
                "Cannot reach the model server at " + url + " (" + why + "). Check that the server is running"
                        + " and that the base URL is right.", -1, e);
    }

    static ModelException timeout(String url, Duration timeout, Throwable cause) {
        return new ModelException(Kind.TIMEOUT,
                "The model server at " + url + " did not answer within " + timeout.toMillis()
                        + " ms. Raise the timeout or check the server's load.", -1, cause);
    }

    static ModelException interrupted(String url, InterruptedException e) {
        Thread.currentThread().interrupt();
        return new ModelException(Kind.TIMEOUT,
                "The call to the model server at " + url + " was abandoned because the calling thread was interrupted"
                        + " (the run was probably cancelled).", -1, e);
    }

    private static boolean isReset(IOException e) {
        return e.getMessage() != null && e.getMessage().toLowerCase(Locale.ROOT).contains("reset");
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * What the response headers say about rate limits (see {@link RateLimitHeaders}), with
     * timestamps turned into delays from the clock's now.
     */
    static RateLimits rateLimits(HttpHeaders headers, Clock clock) {
        return rateLimits(headers::firstValue, clock);
    }

    /** What the headers, looked up by name case-insensitively, say about rate limits. */
    static RateLimits rateLimits(Function<String, Optional<String>> headers, Clock clock) {
        return RateLimitHeaders.parse(headers, clock.instant());
    }

    /**
     * The server's wish, in milliseconds, from {@code retry-after-ms} (OpenAI's precise header) or
     * {@code Retry-After} (seconds or an HTTP date); -1 when it gave none that can be read.
     */
    static long retryAfterMillis(HttpHeaders headers, Clock clock) {
        return rateLimits(headers, clock).retryAfterMillis();
    }
}
