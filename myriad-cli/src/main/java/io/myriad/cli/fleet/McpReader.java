package io.myriad.cli.fleet;

import io.myriad.core.fleet.McpServerSpec;
import io.myriad.core.tool.Effect;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code mcp} key of a fleet file: MCP servers by name, each started as a process
 * ({@code command}, {@code env}, {@code cwd}) or reached over streamable HTTP ({@code url}),
 * with the effect of its tools ({@code effects}, {@code tool_effects}) and a {@code timeout}.
 */
final class McpReader {
    static final Pattern SERVER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final List<String> SERVER_KEYS = List.of("command", "env", "cwd", "url", "effects", "tool_effects", "timeout");
    private static final List<String> EFFECTS = List.of("read_only", "idempotent", "compensable", "irreversible");
    private static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    private McpReader() {}

    /**
     * Reads the servers under {@code node}; a relative {@code cwd} resolves against
     * {@code folder} (the fleet file's folder), which is also the default working folder. An
     * {@code env} value {@code secret:NAME} must name one of {@code secrets}; it is replaced by
     * the secret's value only when the server starts.
     */
    static Map<String, McpServerSpec> read(Node node, Path folder, List<String> secrets, Problems problems) {
        Optional<Node.Mapping> mapping = Values.mapping(node, problems);
        Map<String, McpServerSpec> servers = new LinkedHashMap<>();
        for (Node.Entry entry : mapping.map(m -> m.entries().values()).orElse(List.of())) {
            if (!SERVER_NAME.matcher(entry.key()).matches()) {
                problems.atKey(entry, "expected an MCP server name of 1 to 64 letters, digits, '_' or '-' (no '.', "
                        + "which separates mcp.<server>.<tool>), got '" + entry.key() + "'");
                continue;
            }
            server(entry, folder, secrets, problems).ifPresent(s -> servers.put(s.name(), s));
        }
        return servers;
    }

    private static Optional<McpServerSpec> server(Node.Entry entry, Path folder, List<String> secrets, Problems problems) {
        String what = "MCP server '" + entry.key() + "'";
        if (!(entry.value() instanceof Node.Mapping mapping)) {
            problems.at(entry.value(), what + " needs a mapping with 'command' (a list: program and arguments) or 'url', got "
                    + entry.value().describe());
            return Optional.empty();
        }
        int before = problems.count();
        Fields f = Fields.of(mapping, what, Fields.Owner.of(entry), problems, SERVER_KEYS);
        Optional<Node> command = f.get("command");
        Optional<Node> url = f.get("url");
        if (command.isPresent() && url.isPresent()) {
            problems.at(url.get(), what + " has both 'command' and 'url'; give 'command' to start a process, "
                    + "or 'url' to reach a running server, not both");
        } else if (command.isEmpty() && url.isEmpty()) {
            problems.atKey(entry, what + " needs 'command' (a list: program and arguments, like [node, server.js]) "
                    + "or 'url' (like http://localhost:3001/mcp)");
        }
        if (url.isPresent()) {
            for (String key : List.of("env", "cwd")) {
                f.entry(key).ifPresent(e -> problems.atKey(e, "'" + key + "' applies to a server started with 'command', "
                        + "not to one reached by 'url'"));
            }
        }
        McpServerSpec.Transport transport = null;
        if (command.isPresent()) {
            Optional<List<String>> argv = Values.strings(command.get(), problems).filter(list -> {
                boolean ok = !list.isEmpty() && !list.getFirst().isBlank();
                if (!ok) {
                    problems.at(command.get(), "expected the program and its arguments, like [node, server.js], got "
                            + (list.isEmpty() ? "an empty list" : "an empty program"));
                }
                return ok;
            });
            Map<String, String> env = f.get("env").map(n -> env(n, secrets, problems)).orElse(Map.of());
            Path cwd = f.get("cwd").flatMap(n -> Values.nonBlank(n, "a folder", problems).flatMap(s -> folder(n, s, folder, problems)))
                    .orElse(folder);
            if (argv.isPresent()) {
                transport = new McpServerSpec.Transport.Stdio(argv.get(), env, cwd);
            }
        } else if (url.isPresent()) {
            transport = Values.string(url.get(), problems).flatMap(s -> url(url.get(), s, problems))
                    .map(McpServerSpec.Transport.Http::new).orElse(null);
        }
        Effect effect = f.get("effects").flatMap(n -> effect(n, problems)).orElse(Effect.IRREVERSIBLE);
        Map<String, Effect> toolEffects = new LinkedHashMap<>();
        f.mapping("tool_effects").ifPresent(m -> m.entries().values()
                .forEach(e -> effect(e.value(), problems).ifPresent(v -> toolEffects.put(e.key(), v))));
        Duration timeout = f.get("timeout").flatMap(n -> Values.duration(n, false, problems).filter(d -> {
            boolean ok = d.compareTo(MAX_TIMEOUT) <= 0;
            if (!ok) {
                problems.at(n, "expected a timeout of at most " + Durations.format(MAX_TIMEOUT) + ", got " + n.describe());
            }
            return ok;
        })).orElse(McpServerSpec.DEFAULT_TIMEOUT);
        if (problems.count() > before || transport == null) {
            return Optional.empty();
        }
        return Optional.of(new McpServerSpec(entry.key(), transport, effect, toolEffects, timeout));
    }

    private static Map<String, String> env(Node node, List<String> secrets, Problems problems) {
        Map<String, String> env = new LinkedHashMap<>();
        Values.mapping(node, problems).ifPresent(m -> m.entries().values().forEach(e -> {
            if (!ENV_NAME.matcher(e.key()).matches()) {
                problems.atKey(e, "expected an environment variable name (letters, digits, '_'), got '" + e.key() + "'");
                return;
            }
            Values.string(e.value(), problems).ifPresent(v -> {
                SecretsReader.checkEnvReference(v, e.value(), secrets, problems);
                env.put(e.key(), v);
            });
        }));
        return env;
    }

    private static Optional<Path> folder(Node node, String text, Path base, Problems problems) {
        try {
            Path p = Path.of(text.strip());
            return Optional.of(p.isAbsolute() || base == null ? p : base.resolve(p));
        } catch (InvalidPathException e) {
            problems.at(node, "expected a folder, got " + node.describe());
            return Optional.empty();
        }
    }

    private static Optional<URI> url(Node node, String text, Problems problems) {
        try {
            URI uri = new URI(text.strip());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                return Optional.of(uri);
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        problems.at(node, "expected an http:// or https:// URL of an MCP endpoint, like http://localhost:3001/mcp, got "
                + node.describe());
        return Optional.empty();
    }

    private static Optional<Effect> effect(Node node, Problems problems) {
        return Values.string(node, problems).flatMap(s -> {
            if (EFFECTS.contains(s)) {
                return Optional.of(Effect.valueOf(s.toUpperCase(Locale.ROOT)));
            }
            problems.at(node, "unknown effect '" + s + "'; expected one of: " + String.join(", ", EFFECTS)
                    + Suggestions.hint(s, EFFECTS));
            return Optional.empty();
        });
    }

    /** The names declared under {@code mcp}, whether or not their settings are valid. */
    static List<String> declared(Optional<Node> node) {
        return node.filter(n -> n instanceof Node.Mapping).map(n -> ((Node.Mapping) n).entries().keySet().stream()
                .filter(k -> SERVER_NAME.matcher(k).matches()).toList()).orElse(List.of());
    }

    /**
     * Whether {@code tool} is an MCP tool name ({@code mcp.} prefix); if so, reports at
     * {@code node} unless it names a declared server and a tool, {@code mcp.<server>.<tool>}.
     * Which tools a server has is known only once it runs; {@code myriad run} checks that.
     */
    static boolean checkToolName(String tool, Node node, List<String> servers, Problems problems) {
        if (!tool.startsWith(McpServerSpec.TOOL_PREFIX)) {
            return false;
        }
        String rest = tool.substring(McpServerSpec.TOOL_PREFIX.length());
        int dot = rest.indexOf('.');
        if (dot <= 0 || dot == rest.length() - 1) {
            problems.at(node, "expected an MCP tool as mcp.<server>.<tool>, like mcp.fs.read_text_file, got '" + tool + "'");
            return true;
        }
        String server = rest.substring(0, dot);
        if (!servers.contains(server)) {
            List<String> declared = servers;
            problems.at(node, "tool '" + tool + "' names MCP server '" + server + "', which is not declared under mcp"
                    + (declared.isEmpty() ? "; declare it there, like mcp: {" + server + ": {command: [node, server.js]}}"
                    : "; declared: " + String.join(", ", declared) + Suggestions.hint(server, declared)));
        }
        return true;
    }
}
