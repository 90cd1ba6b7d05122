package io.myriad.tools;

import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolNames;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Tools from plain Java methods. Each public method annotated with {@link ToolMethod} becomes a
 * tool whose argument schema is derived from its parameters (see {@link Param}); the JSON
 * arguments are converted into the parameter types, and the return value becomes the result:
 * a {@code String} as is, a {@link io.myriad.core.tool.ToolResult} as is, nothing as
 * {@code "done"}, anything else as JSON. An exception the method throws becomes an error
 * result carrying its message, which the model reads.
 *
 * <pre>{@code
 * final class Crm {
 *     @ToolMethod(name = "crm.lookup", description = "Finds a customer by email",
 *             effect = Effect.READ_ONLY, timeout = "10s", parallel = true)
 *     public Customer lookup(@Param(description = "the customer's email") String email) { ... }
 * }
 * List<Tool> tools = JavaTools.from(new Crm());
 * }</pre>
 */
public final class JavaTools {

    private JavaTools() {}

    /**
     * The tools of every {@link ToolMethod} of {@code beans}, sorted by name.
     *
     * @throws IllegalArgumentException when a bean has no tool methods, a name is invalid or
     *                                  taken twice, a timeout does not parse, a parameter type
     *                                  is not supported, or parameter names were not compiled
     *                                  in and no {@link Param#name()} gives them
     */
    public static List<Tool> from(Object... beans) {
        Objects.requireNonNull(beans, "beans");
        List<Tool> tools = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Object bean : beans) {
            Objects.requireNonNull(bean, "bean");
            List<Method> methods = Arrays.stream(bean.getClass().getMethods())
                    .filter(m -> m.isAnnotationPresent(ToolMethod.class))
                    .sorted(Comparator.comparing(m -> m.getAnnotation(ToolMethod.class).name()))
                    .toList();
            if (methods.isEmpty()) {
                throw new IllegalArgumentException(bean.getClass().getName()
                        + " has no public method annotated with @ToolMethod");
            }
            for (Method m : methods) {
                ToolMethod spec = m.getAnnotation(ToolMethod.class);
                String where = "@ToolMethod " + m.getDeclaringClass().getSimpleName() + "." + m.getName();
                try {
                    ToolNames.requireStrict(spec.name());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
                }
                if (!names.add(spec.name())) {
                    throw new IllegalArgumentException(where + ": tool name " + spec.name() + " is taken twice");
                }
                if (spec.description().isBlank()) {
                    throw new IllegalArgumentException(where + ": give a description; the model reads it");
                }
                if (spec.maxOutputChars() < 0) {
                    throw new IllegalArgumentException(where + ": maxOutputChars must not be negative");
                }
                Object target = Modifier.isStatic(m.getModifiers()) ? null : bean;
                tools.add(MethodTool.of(target, m, spec, timeout(spec.timeout(), where)));
            }
        }
        return List.copyOf(tools);
    }

    /** {@code "10s"}, {@code "500ms"}, {@code "2m"}, {@code "1h"} or ISO-8601; empty for the default. */
    static Duration timeout(String text, String where) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.isEmpty()) {
            return Tool.DEFAULT_TIMEOUT;
        }
        Duration d;
        try {
            if (t.startsWith("pt")) {
                d = Duration.parse(t);
            } else if (t.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2).strip()));
            } else if (t.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1).strip()));
            } else if (t.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1).strip()));
            } else if (t.endsWith("h")) {
                d = Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1).strip()));
            } else {
                d = null;
            }
        } catch (NumberFormatException | DateTimeParseException e) {
            d = null;
        }
        if (d == null || !d.isPositive()) {
            throw new IllegalArgumentException(where + ": timeout '" + text
                    + "' is not a positive duration such as 500ms, 10s, 2m, 1h or PT10S");
        }
        return d;
    }
}
