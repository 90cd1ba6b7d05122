package io.myriad.server;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The web dashboard: {@code /} answers its page and {@code /dashboard/{file}} its scripts and
 * styles, read from the class path ({@code dashboard/} in this module's resources). Everything it
 * needs is served by the process itself (no CDN, no external fonts); it talks to the API under
 * {@code /v1} with the cookie {@code POST /v1/session} sets. Answers carry
 * {@code Cache-Control: no-cache} so a new build is picked up on reload.
 */
public final class DashboardResource implements ApiResource {
    private static final String ROOT = "dashboard/";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]*\\.(html|js|css|svg|png|ico)");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon");

    @Override
    public void register(RoutesConfig routes, Api api) {
        routes.get("/", ctx -> serve(ctx, "index.html"));
        routes.get("/dashboard/{file}", ctx -> serve(ctx, ctx.pathParam("file")));
    }

    private static void serve(Context ctx, String file) {
        if (!NAME.matcher(file).matches()) {
            throw ApiError.notFound("no dashboard file " + file);
        }
        byte[] bytes = read(file);
        if (bytes == null) {
            throw ApiError.notFound("no dashboard file " + file);
        }
        String ext = file.substring(file.lastIndexOf('.') + 1);
        ctx.header("Cache-Control", "no-cache");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.contentType(TYPES.get(ext)).result(bytes);
    }

    private static byte[] read(String file) {
        try (InputStream in = DashboardResource.class.getClassLoader().getResourceAsStream(ROOT + file)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dashboard's " + file, e);
        }
    }
}
