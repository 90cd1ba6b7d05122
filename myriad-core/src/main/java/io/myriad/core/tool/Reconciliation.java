package io.myriad.core.tool;

import java.util.Objects;

/**
 * What a tool found out about a call whose outcome was unknown (started, not settled, when the
 * process died), looking it up by its idempotency key. See {@link Tool#reconcile}.
 */
public sealed interface Reconciliation {

    /** The call took effect; {@code result} is what it returned (or a description of it). */
    record Done(ToolResult result) implements Reconciliation {
        public Done {
            Objects.requireNonNull(result, "result");
        }
    }

    /** The call took no effect: invoking it now, with the same key, is safe. */
    record NotDone(String evidence) implements Reconciliation {
        public NotDone {
            Objects.requireNonNull(evidence, "evidence");
        }
    }

    /** The tool cannot tell; a person must decide. */
    record Unknown(String why) implements Reconciliation {
        public Unknown {
            Objects.requireNonNull(why, "why");
        }
    }
}
