package io.myriad.core.tool;

import java.util.List;

/**
 * A source of extra tools found with {@link java.util.ServiceLoader}: a jar on the class path
 * that declares {@code io.myriad.core.tool.ToolProvider} in {@code META-INF/services} adds its
 * tools to every fleet, which may then name them in an agent's {@code tools} list.
 */
public interface ToolProvider {
    List<Tool> tools();
}
