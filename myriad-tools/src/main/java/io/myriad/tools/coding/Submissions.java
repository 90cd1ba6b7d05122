package io.myriad.tools.coding;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where {@code submit} hands a run's declaration that its work is done; the platform verifies
 * it from there (runs the hidden tests, diffs the workspace).
 *
 * <p>Implementations are thread-safe and idempotent by {@link Submission#idempotencyKey()}: a
 * second submission with a key already seen is the same submission, answered with the same
 * receipt, and changes nothing.
 */
public interface Submissions {

    /**
     * Records a submission.
     *
     * @return the receipt; for a key already seen, the first submission's receipt
     */
    Receipt submit(Submission submission);

    /**
     * A run's declaration that it is done.
     *
     * @param runId          the run
     * @param idempotencyKey the {@code submit} call's key, stable across retries
     * @param explanation    the agent's short account of what it did
     * @param workspace      the run's workspace, as it is to be verified
     */
    record Submission(String runId, String idempotencyKey, String explanation, Path workspace) {
        public Submission {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(idempotencyKey, "idempotencyKey");
            Objects.requireNonNull(explanation, "explanation");
            Objects.requireNonNull(workspace, "workspace");
        }
    }

    /**
     * What a submission became.
     *
     * @param id       the submission's id, to find it again
     * @param message  what the agent reads back
     * @param accepted false when the submission was refused or not verified: the agent reads the
     *                 message as an error and may go on working
     */
    record Receipt(String id, String message, boolean accepted) {
        public Receipt {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(message, "message");
        }

        /** A submission recorded, to be verified later. */
        public Receipt(String id) {
            this(id, "Submitted (" + id + "). The platform will now verify the workspace; nothing more is "
                    + "needed from you.", true);
        }
    }

    /** Submissions kept in memory, for tests and single-process runs. */
    static InMemorySubmissions inMemory() {
        return new InMemorySubmissions();
    }
}
