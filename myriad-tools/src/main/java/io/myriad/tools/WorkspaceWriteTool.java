package io.myriad.tools;

import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A tool that changes files of the run's workspace, idempotently by the call's key, under the
 * workspace's one write lock (shared by {@code fs.write}, {@code fs.edit} and {@code fs.patch}).
 */
abstract class WorkspaceWriteTool implements Tool {
    private final ToolDefinition definition;
    private final WorkspaceLocks locks;

    WorkspaceWriteTool(ToolDefinition definition, WorkspaceLocks locks) {
        this.definition = definition;
        this.locks = Objects.requireNonNull(locks, "locks");
    }

    @Override
    public final ToolDefinition definition() {
        return definition;
    }

    @Override
    public final Effect effect() {
        return Effect.IDEMPOTENT;
    }

    /** The write lock of the workspace at {@code root}. */
    final ReentrantLock lockOf(java.nio.file.Path root) {
        return locks.of(root);
    }
}
