package io.myriad.server;

import java.util.Objects;

/**
 * An error the API answers with, in one JSON shape:
 * {@code {"error": {"code": "not_found", "message": "...", "status": 404}}}. Codes are stable;
 * messages are for people.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String code;

    public ApiError(int status, String code, String message) {
        super(Objects.requireNonNull(message, "message"), null, false, false);
        this.status = status;
        this.code = Objects.requireNonNull(code, "code");
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public static ApiError badRequest(String message) {
        return new ApiError(400, "bad_request", message);
    }

    public static ApiError notFound(String message) {
        return new ApiError(404, "not_found", message);
    }

    public static ApiError conflict(String message) {
        return new ApiError(409, "conflict", message);
    }
}
