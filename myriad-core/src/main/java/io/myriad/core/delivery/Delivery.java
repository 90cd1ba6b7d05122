package io.myriad.core.delivery;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the platform made of one submission of a coding run: a verified delivery, or a
 * submission it could not verify or refused to check, with the evidence either way.
 *
 * @param id          the submission's id: the {@code submit} call's idempotency key, so recovery
 *                    that submits again replaces the record instead of adding one
 * @param runId       the run that submitted (its transcript: {@code myriad runs show RUN})
 * @param execution   the run's execution
 * @param tenant      the run's tenant
 * @param taskId      the coding task
 * @param model       the model the run's agent talked to (for SWE-bench predictions)
 * @param verdict     what the platform concluded
 * @param reason      why, in words (for a verified delivery, what was checked)
 * @param explanation the agent's own account of what it changed
 * @param branch      the delivery branch in the target repository, when verified
 * @param commit      the delivered commit, when verified
 * @param patchFile   the patch file written, when verified
 * @param patch       the diff the platform computed (empty when it was refused before diffing)
 * @param files       the paths the diff touches
 * @param steps       the commands the platform ran to check it, in order
 * @param createdAt   when the verdict was recorded (epoch millis)
 */
public record Delivery(String id, String runId, String execution, String tenant, String taskId,
        String model, Verdict verdict, String reason, String explanation,
        Optional<String> branch, Optional<String> commit, Optional<String> patchFile,
        String patch, List<String> files, List<Check> steps, long createdAt) {

    public Delivery {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(execution, "execution");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(explanation, "explanation");
        Objects.requireNonNull(branch, "branch");
        Objects.requireNonNull(commit, "commit");
        Objects.requireNonNull(patchFile, "patchFile");
        Objects.requireNonNull(patch, "patch");
        files = List.copyOf(files);
        steps = List.copyOf(steps);
        if (verdict == Verdict.VERIFIED && (branch.isEmpty() || commit.isEmpty() || patchFile.isEmpty())) {
            throw new IllegalArgumentException("a verified delivery names its branch, commit and patch file");
        }
    }

    /** What the platform concluded about a submission. */
    public enum Verdict {
        /** The tests failed on the base and passed with the diff: delivered. */
        VERIFIED,
        /** Checked and not proven (tests still fail, already passed on the base, did not apply). */
        UNVERIFIED,
        /** Not checked: the diff breaks a guard (empty, too large, .git, test files). */
        REFUSED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Verdict parse(String label) {
            for (Verdict v : values()) {
                if (v.label().equalsIgnoreCase(label.strip())) {
                    return v;
                }
            }
            throw new IllegalArgumentException("unknown verdict '" + label + "': use verified, unverified or refused");
        }
    }

    /**
     * One command the platform ran in the sandbox to check the submission.
     *
     * @param phase      {@code setup_before}, {@code test_before}, {@code setup_after} or {@code test_after}
     * @param command    the command line
     * @param exitCode   its exit code
     * @param millis     how long it took
     * @param timedOut   whether it was stopped at its time limit
     * @param outputTail the end of its output
     */
    public record Check(String phase, String command, int exitCode, long millis, boolean timedOut,
            String outputTail) {
        public Check {
            Objects.requireNonNull(phase, "phase");
            Objects.requireNonNull(command, "command");
            Objects.requireNonNull(outputTail, "outputTail");
        }
    }
}
