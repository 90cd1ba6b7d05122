package io.myriad.core.budget;

import java.util.Locale;

/** The nested scopes a budget applies to: a tenant holds fleet executions, which hold runs. */
public enum Level {
    TENANT,
    FLEET,
    RUN;

    /** The lower-case name used in the CLI and the journal. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
