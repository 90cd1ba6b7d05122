package io.myriad.tools.swe;

import java.nio.file.Path;
import java.util.Objects;

/** What became of a submission. */
public sealed interface DeliveryResult {
    /**
     * The test command failed on the base and passed with the diff: delivered.
     *
     * @param branch    the branch in the target repository, {@code myriad/<task id>}
     * @param commitSha the delivered commit, parent the base
     * @param patchFile the commit as a patch ({@code git am} applies it)
     */
    record Verified(String branch, String commitSha, Path patchFile, Evidence evidence)
            implements DeliveryResult {
        public Verified {
            Objects.requireNonNull(branch, "branch");
            Objects.requireNonNull(commitSha, "commitSha");
            Objects.requireNonNull(patchFile, "patchFile");
            Objects.requireNonNull(evidence, "evidence");
        }
    }

    /** Checked and not proven: nothing delivered; the evidence says what ran. */
    record Unverified(String reason, Evidence evidence) implements DeliveryResult {
        public Unverified {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(evidence, "evidence");
        }
    }

    /** Not checked at all: the diff breaks a guard (the .git directory, test files, size). */
    record Refused(String reason) implements DeliveryResult {
        public Refused {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
