package io.myriad.server;

import io.myriad.store.Store;

/**
 * A group of API routes (runs, approvals, deliveries...). Each resource registers its routes on
 * the server's router; handlers find the caller with {@link Api#principal(io.javalin.http.Context)}
 * and answer with {@link Api#json(io.javalin.http.Context, Object)} or throw {@link ApiError}.
 */
@FunctionalInterface
public interface ApiResource {
    void register(io.javalin.config.RoutesConfig routes, Api api);

    /** What handlers share: the store, the caller, JSON. */
    interface Api {
        Store store();

        /** The authenticated caller of this request (the filter has already refused anyone else). */
        io.myriad.core.auth.Principal principal(io.javalin.http.Context ctx);

        /** Answers {@code body} (a Jackson tree or any value Jackson can write) as JSON. */
        void json(io.javalin.http.Context ctx, Object body);

        /** The request body as a JSON object, refusing anything else and fields not in {@code allowed}. */
        com.fasterxml.jackson.databind.node.ObjectNode body(io.javalin.http.Context ctx, java.util.Set<String> allowed);

        com.fasterxml.jackson.databind.ObjectMapper mapper();

        /** Routes declared so far, "METHOD /path", for the OpenAPI document and its test. */
        java.util.List<String> routes();

        /** Declares a route for the OpenAPI document: method, path, summary. */
        void describe(String method, String path, String summary);
    }
}
