package io.myriad.tools;

import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;

/** A tool that changes nothing: read-only, and free to run beside the run's other parallel calls. */
abstract class ReadOnlyTool implements Tool {
    private final ToolDefinition definition;

    ReadOnlyTool(ToolDefinition definition) {
        this.definition = definition;
    }

    @Override
    public final ToolDefinition definition() {
        return definition;
    }

    /** Reads only; may run beside other parallel calls. */
    @Override
    public final boolean parallel() {
        return true;
    }

    @Override
    public final Effect effect() {
        return Effect.READ_ONLY;
    }
}
