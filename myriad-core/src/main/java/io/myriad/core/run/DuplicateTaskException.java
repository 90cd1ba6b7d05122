package io.myriad.core.run;

import io.myriad.core.MyriadException;
import java.util.List;

/** Tasks submitted to an execution with ids it already used; nothing of the submission was kept. */
public final class DuplicateTaskException extends MyriadException {
    private final List<String> ids;

    public DuplicateTaskException(String execution, List<String> ids) {
        super("execution " + execution + " already has tasks " + String.join(", ", ids)
                + ": give each submitted task an id not used before in the execution", false);
        this.ids = List.copyOf(ids);
    }

    /** The ids already used. */
    public List<String> ids() {
        return ids;
    }
}
