package io.myriad.cli.fleet;

import io.myriad.core.fleet.SecretSpec;
import io.myriad.core.secret.Secrets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code secrets} key of a fleet file: secret names and where each value is read from,
 * {@code env:VAR}, {@code file:PATH} or {@code file:} (the default secrets file). Never values.
 */
final class SecretsReader {
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** The prefix of an MCP server {@code env} value that names a secret. */
    static final String ENV_PREFIX = "secret:";

    private SecretsReader() {}

    static Map<String, SecretSpec> read(Node node, Problems problems) {
        Map<String, SecretSpec> secrets = new LinkedHashMap<>();
        Optional<Node.Mapping> mapping = Values.mapping(node, problems);
        for (Node.Entry entry : mapping.map(m -> m.entries().values()).orElse(List.of())) {
            if (!Secrets.NAME.matcher(entry.key()).matches()) {
                problems.atKey(entry, "expected a secret name (a letter or '_', then letters, digits or '_'), got '"
                        + entry.key() + "'");
                continue;
            }
            Values.string(entry.value(), problems).flatMap(s -> spec(entry.key(), s.strip(), entry.value(), problems))
                    .ifPresent(s -> secrets.put(s.name(), s));
        }
        return secrets;
    }

    private static Optional<SecretSpec> spec(String name, String ref, Node node, Problems problems) {
        if (ref.startsWith(SecretSpec.Source.ENV.prefix())) {
            String var = ref.substring(SecretSpec.Source.ENV.prefix().length()).strip();
            if (ENV_NAME.matcher(var).matches()) {
                return Optional.of(new SecretSpec(name, SecretSpec.Source.ENV, var));
            }
            problems.at(node, "expected env: followed by an environment variable name, like env:" + name + ", got '"
                    + ref + "'");
            return Optional.empty();
        }
        if (ref.startsWith(SecretSpec.Source.FILE.prefix())) {
            return Optional.of(new SecretSpec(name, SecretSpec.Source.FILE,
                    ref.substring(SecretSpec.Source.FILE.prefix().length()).strip()));
        }
        problems.at(node, "expected where secret " + name + " is read from: env:VAR, file:PATH or file: (the default "
                + "secrets file ~/.config/myriad/secrets); a fleet file never holds a secret's value");
        return Optional.empty();
    }

    /**
     * Reports MCP server {@code env} values {@code secret:NAME} whose secret the fleet does not
     * declare; {@code declared} is empty when the fleet has no {@code secrets} key.
     */
    static void checkEnvReference(String value, Node node, List<String> declared, Problems problems) {
        if (!value.startsWith(ENV_PREFIX)) {
            return;
        }
        String name = value.substring(ENV_PREFIX.length()).strip();
        if (!declared.contains(name)) {
            problems.at(node, "'" + value + "' names no secret of this fleet; " + (declared.isEmpty()
                    ? "declare it, like secrets: {" + name + ": env:" + name + "}"
                    : "declared: " + String.join(", ", declared) + Suggestions.hint(name, declared)));
        }
    }

    /** The names declared under {@code secrets}, whether or not their sources are valid. */
    static List<String> declared(Optional<Node> node) {
        return node.filter(n -> n instanceof Node.Mapping).map(n -> ((Node.Mapping) n).entries().keySet().stream()
                .filter(k -> Secrets.NAME.matcher(k).matches()).toList())
                .orElse(List.of());
    }
}
