package io.myriad.store;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server for tests, on loopback, one per test JVM; or the server named by
 * {@code MYRIAD_TEST_PG_URL} (a {@code jdbc:postgresql:} URL of a database the tests may create
 * schemas in).
 *
 * <p>Notes. The server is created with {@code initdb} in a temporary folder, started with {@code
 * pg_ctl} on a free port of 127.0.0.1 (its socket in the same folder), trusted for local
 * connections and without fsync (tests lose nothing they keep), and stopped when the JVM exits.
 * initdb refuses to run as root: as root, the binaries run as the {@code postgres} user with
 * {@code runuser}, in a folder that user owns. Each test gets a schema of its own ({@link
 * #freshUrl()}), which is cheaper than a database. Binaries are looked up in {@code
 * MYRIAD_PG_BIN}, then {@code /usr/lib/postgresql/<newest>/bin}, then the PATH; when there are
 * none the tests FAIL, saying how to install them: test.sh installs Debian's {@code postgresql}.
 */
public final class PgTestServer {
    private static final AtomicInteger SCHEMAS = new AtomicInteger();
    private static volatile String baseUrl;

    private PgTestServer() {
    }

    /** A URL of a new, empty schema on the test server (started on first use). */
    public static String freshUrl() {
        String base = baseUrl();
        String schema = "t" + ProcessHandle.current().pid() + "_" + SCHEMAS.incrementAndGet();
        try (Connection c = DriverManager.getConnection(base); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a schema on the test PostgreSQL at " + base + ": " + e.getMessage(), e);
        }
        return base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    public static synchronized String baseUrl() {
        if (baseUrl == null) {
            String given = System.getenv("MYRIAD_TEST_PG_URL");
            baseUrl = given != null && !given.isBlank() ? given : start();
        }
        return baseUrl;
    }

    private static Path binaries() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("MYRIAD_PG_BIN");
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                versions.map(v -> v.resolve("bin"))
                        .sorted(Comparator.comparingInt(PgTestServer::major).reversed())
                        .forEach(candidates::add);
            } catch (IOException ignored) {
                // fall through to the PATH
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir));
            }
        }
        return candidates.stream().filter(d -> Files.isExecutable(d.resolve("initdb")) && Files.isExecutable(d.resolve("pg_ctl")))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("PostgreSQL's server binaries (initdb, pg_ctl) were not found in"
                        + " MYRIAD_PG_BIN, /usr/lib/postgresql/*/bin or the PATH: the PostgreSQL tests need them."
                        + " Install Debian's package (apt-get install postgresql; test.sh does this when they are missing),"
                        + " or set MYRIAD_TEST_PG_URL to a database the tests may use."));
    }

    private static int major(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String start() {
        Path bin = binaries();
        boolean root = "root".equals(System.getProperty("user.name"));
        try {
            Path dir = Files.createTempDirectory("myriad-pg-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if (root) {
                run(List.of("chown", "postgres:postgres", dir.toString()), false);
            }
            Path data = dir.resolve("data");
            int port = freePort();
            run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "myriad", "--auth=trust", "-E", "UTF8",
                    "--locale=C", "--no-sync"), root);
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("log").toString(), "-w",
                    "-t", "60", "-o", "-c listen_addresses=127.0.0.1 -p " + port + " -c unix_socket_directories=" + dir
                            + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                    "start"), root);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), root);
                } catch (RuntimeException ignored) {
                    // the JVM is going away; the folder is left for the OS to clean
                }
                deleteQuietly(dir);
            }));
            return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=myriad";
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a test PostgreSQL: " + e.getMessage(), e);
        }
    }

    private static void run(List<String> command, boolean asPostgres) {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(Arrays.asList("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        try {
            // A folder every user may enter: the postgres user cannot read root's working directory.
            Process p = new ProcessBuilder(full).directory(new java.io.File("/")).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("test PostgreSQL: " + String.join(" ", full) + " failed:\n" + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("test PostgreSQL: cannot run " + String.join(" ", full) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted starting the test PostgreSQL", e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
