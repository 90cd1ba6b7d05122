package io.myriad.core.tool;

import java.util.regex.Pattern;

/**
 * The rules for tool names. A name is namespaced with dots ({@code fs.read},
 * {@code mcp.github.create_issue}). Tools defined in Java follow the strict rule: lower-case
 * identifiers joined by dots. Names that come from elsewhere (an MCP server's tools) may also
 * contain upper-case letters and dashes.
 */
public final class ToolNames {
    /** The longest name accepted; model APIs limit function names to about this length. */
    public static final int MAX_LENGTH = 128;

    private static final Pattern STRICT = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*");
    private static final Pattern PERMISSIVE = Pattern.compile("[A-Za-z][A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]+)*");

    private ToolNames() {}

    /** True when {@code name} follows the strict rule for tools defined in Java. */
    public static boolean isStrict(String name) {
        return name.length() <= MAX_LENGTH && STRICT.matcher(name).matches();
    }

    /** True when {@code name} is acceptable for any tool, including tools adopted from MCP servers. */
    public static boolean isValid(String name) {
        return name.length() <= MAX_LENGTH && PERMISSIVE.matcher(name).matches();
    }

    /**
     * Returns {@code name} when it follows the strict rule.
     *
     * @throws IllegalArgumentException otherwise, saying what a name looks like
     */
    public static String requireStrict(String name) {
        if (!isStrict(name)) {
            throw new IllegalArgumentException("invalid tool name '" + name + "': use lower-case identifiers"
                    + " (letters, digits, underscores) joined by dots, such as crm.lookup, at most " + MAX_LENGTH + " characters");
        }
        return name;
    }
}
