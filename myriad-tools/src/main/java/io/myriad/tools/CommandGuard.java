package io.myriad.tools;

import io.myriad.core.tool.ToolContext;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides, before the {@code shell} tool runs a command, whether to refuse it, and says why.
 *
 * <p>A guard reads the command as text, so it gives early, explainable refusals of commands that
 * are obviously unwanted; it is not the enforcement (the sandbox is). A refused command is never
 * run: the call fails with the reason, the run goes on, and the model reads why.
 */
@FunctionalInterface
public interface CommandGuard {
    /** Refuses nothing. */
    CommandGuard NONE = (command, context) -> Optional.empty();

    /**
     * Why {@code command} must not run, or empty when it may.
     *
     * @param command the command line as the model wrote it
     * @param context the call it comes from (its run and workspace)
     */
    Optional<String> refusal(String command, ToolContext context);

    /** This guard, then {@code other} when this one lets the command through. */
    default CommandGuard and(CommandGuard other) {
        Objects.requireNonNull(other, "other");
        return (command, context) -> {
            Optional<String> first = refusal(command, context);
            return first.isPresent() ? first : other.refusal(command, context);
        };
    }
}
