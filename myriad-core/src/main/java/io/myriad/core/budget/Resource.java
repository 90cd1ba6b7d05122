package io.myriad.core.budget;

import java.util.Locale;

/** What a budget limits. */
public enum Resource {
    /** Prompt plus completion tokens. */
    TOKENS,
    /** US dollars, priced by the {@link PriceTable}. */
    USD,
    /** Model calls plus tool calls. */
    STEPS,
    /** Tool calls. */
    TOOL_CALLS,
    /** Elapsed time since the scope started (fleet executions only). */
    WALL;

    /** The lower-case name used in the fleet file, the CLI and the journal. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
