package io.myriad.tools;

import io.myriad.core.tool.Tool;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The tools every fleet may name: {@code fs.read}, {@code fs.write}, {@code fs.list},
 * {@code fs.edit}, {@code fs.patch}, {@code fs.search} (confined to the run's workspace),
 * {@code http_get} and {@code http_request} (confined to the fleet's allowed hosts, and to
 * public addresses unless the fleet allows private ones), and {@code shell} (commands in a
 * sandbox around the run's workspace), and {@code a2a} (messages to the external A2A agents the
 * fleet declares).
 */
public final class BuiltinTools {
    private static final Set<String> NAMES = Collections.unmodifiableSet(
            new LinkedHashSet<>(List.of(FsReadTool.NAME, FsWriteTool.NAME, FsListTool.NAME,
                    FsEditTool.NAME, FsPatchTool.NAME, FsSearchTool.NAME, HttpGetTool.NAME,
                    HttpGetTool.REQUEST_NAME, ShellTool.NAME, A2aTool.NAME)));

    private BuiltinTools() {}

    /**
     * How the built-in tools are limited; every fleet gets its own.
     *
     * @param httpAllowHosts the hosts {@code http_get} may reach: exact names or IP addresses, or
     *                       {@code *.example.com} for any subdomain of example.com; matching
     *                       ignores case; an empty list allows nothing
     * @param httpTimeout    the most one {@code http_get} call may take, redirects included
     * @param maxReadBytes   the most text {@code fs.read} returns from one call
     * @param maxHttpBytes   the most body {@code http_get} returns from one call
     * @param httpAllowPrivate whether the HTTP tools may reach loopback, private, link-local
     *                       and other internal addresses (the SSRF guard is off); false by
     *                       default
     * @param shell          how {@code shell} runs commands: its sandbox and limits
     * @param a2aAgents      the external A2A agents {@code a2a} may ask, by name; none by default
     */
    public record Settings(List<String> httpAllowHosts, Duration httpTimeout, long maxReadBytes,
            long maxHttpBytes, boolean httpAllowPrivate, ShellTool.Settings shell,
            java.util.Map<String, io.myriad.core.fleet.A2aSpec.Agent> a2aAgents) {

        /** Settings without A2A agents. */
        public Settings(List<String> httpAllowHosts, Duration httpTimeout, long maxReadBytes,
                long maxHttpBytes, boolean httpAllowPrivate, ShellTool.Settings shell) {
            this(httpAllowHosts, httpTimeout, maxReadBytes, maxHttpBytes, httpAllowPrivate, shell,
                    java.util.Map.of());
        }

        /**
         * No hosts allowed, a 30-second HTTP timeout, 256 KiB from a read and from a fetch, no
         * private addresses, shell commands in bubblewrap with {@link ShellTool.Settings#DEFAULTS}.
         */
        public static final Settings DEFAULTS = new Settings(List.of(), Duration.ofSeconds(30),
                256 * 1024, 256 * 1024, false, ShellTool.Settings.DEFAULTS);

        /** Settings with the shell's defaults. */
        public Settings(List<String> httpAllowHosts, Duration httpTimeout, long maxReadBytes,
                long maxHttpBytes, boolean httpAllowPrivate) {
            this(httpAllowHosts, httpTimeout, maxReadBytes, maxHttpBytes, httpAllowPrivate,
                    ShellTool.Settings.DEFAULTS);
        }

        /** Settings with the SSRF guard on. */
        public Settings(List<String> httpAllowHosts, Duration httpTimeout, long maxReadBytes,
                long maxHttpBytes, ShellTool.Settings shell) {
            this(httpAllowHosts, httpTimeout, maxReadBytes, maxHttpBytes, false, shell);
        }

        /** The largest byte cap accepted; larger values would not fit in one Java string. */
        public static final long MAX_CAP = 64L * 1024 * 1024;

        /**
         * Checks the settings.
         *
         * @throws IllegalArgumentException when a host entry is malformed, the timeout is not
         *                                  positive, or a cap is not between 1 and
         *                                  {@link #MAX_CAP}
         */
        public Settings {
            Objects.requireNonNull(httpAllowHosts, "httpAllowHosts");
            Objects.requireNonNull(httpTimeout, "httpTimeout");
            Objects.requireNonNull(shell, "shell");
            a2aAgents = java.util.Map.copyOf(a2aAgents);
            httpAllowHosts = List.copyOf(httpAllowHosts);
            HostAllowList.of(httpAllowHosts);
            if (httpTimeout.isNegative() || httpTimeout.isZero()) {
                throw new IllegalArgumentException("http timeout must be positive, got "
                        + httpTimeout);
            }
            checkCap("maxReadBytes", maxReadBytes);
            checkCap("maxHttpBytes", maxHttpBytes);
        }

        /** Settings that keep the SSRF guard on. */
        public Settings(List<String> httpAllowHosts, Duration httpTimeout, long maxReadBytes,
                long maxHttpBytes) {
            this(httpAllowHosts, httpTimeout, maxReadBytes, maxHttpBytes, false);
        }

        /** These settings with another list of allowed hosts. */
        public Settings withHttpAllowHosts(List<String> hosts) {
            return new Settings(hosts, httpTimeout, maxReadBytes, maxHttpBytes,
                    httpAllowPrivate, shell, a2aAgents);
        }

        /** These settings with another shell configuration, e.g. {@code sandbox: none}. */
        public Settings withShell(ShellTool.Settings shellSettings) {
            return new Settings(httpAllowHosts, httpTimeout, maxReadBytes, maxHttpBytes,
                    httpAllowPrivate, shellSettings, a2aAgents);
        }

        /** These settings with another HTTP timeout. */
        public Settings withHttpTimeout(Duration timeout) {
            return new Settings(httpAllowHosts, timeout, maxReadBytes, maxHttpBytes,
                    httpAllowPrivate, shell, a2aAgents);
        }

        /** These settings with the A2A agents {@code a2a} may ask. */
        public Settings withA2aAgents(java.util.Map<String, io.myriad.core.fleet.A2aSpec.Agent> agents) {
            return new Settings(httpAllowHosts, httpTimeout, maxReadBytes, maxHttpBytes,
                    httpAllowPrivate, shell, agents);
        }

        /** These settings with private addresses allowed or not. */
        public Settings withHttpAllowPrivate(boolean allow) {
            return new Settings(httpAllowHosts, httpTimeout, maxReadBytes, maxHttpBytes, allow, shell, a2aAgents);
        }

        private static void checkCap(String name, long value) {
            if (value < 1 || value > MAX_CAP) {
                throw new IllegalArgumentException(name + " must be between 1 and " + MAX_CAP
                        + " bytes, got " + value);
            }
        }
    }

    /**
     * Creates the built-in tools with the given limits, in the order of {@link #names()}. The
     * tools are thread-safe and may serve many runs at once.
     */
    public static List<Tool> create(Settings settings) {
        return create(settings, io.myriad.core.secret.Secrets.none());
    }

    /**
     * As {@link #create(Settings)}, with HTTP tools whose header values may refer to
     * {@code secrets} as {@code {{secret:NAME}}}.
     */
    public static List<Tool> create(Settings settings, io.myriad.core.secret.Secrets secrets) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(secrets, "secrets");
        WorkspaceLocks locks = new WorkspaceLocks();
        HostAllowList hosts = HostAllowList.of(settings.httpAllowHosts());
        AddressGuard guard = AddressGuard.of(settings.httpAllowPrivate());
        return List.of(
                new FsReadTool(settings.maxReadBytes()),
                new FsWriteTool(FsWriteTool.DEFAULT_MAX_CONTENT_BYTES, locks),
                new FsListTool(),
                new FsEditTool(locks),
                new FsPatchTool(locks),
                new FsSearchTool(),
                HttpGetTool.get(hosts, guard, settings.httpTimeout(),
                        (int) settings.maxHttpBytes(), secrets),
                HttpGetTool.request(hosts, guard, settings.httpTimeout(),
                        (int) settings.maxHttpBytes(), secrets),
                new ShellTool(settings.shell()),
                new A2aTool(settings.a2aAgents(), guard, secrets));
    }

    /** The names of the built-in tools, in a stable order. */
    public static Set<String> names() {
        return NAMES;
    }
}
