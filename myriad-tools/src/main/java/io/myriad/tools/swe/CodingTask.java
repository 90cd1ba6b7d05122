package io.myriad.tools.swe;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One piece of work for a virtual software engineer: change {@code repository} at {@code base}
 * so that {@code testCommand} passes.
 *
 * @param id             names the delivery branch {@code myriad/<id>} and the patch file; letters,
 *                       digits, {@code . _ -}, starting with a letter or digit, at most 64
 * @param repository     a local path to a git repository (bare or not) or a {@code file://} URL
 * @param base           the commit or branch the work starts from
 * @param goal           what to achieve, in words, for the agent
 * @param testCommand    the shell command whose success proves the work; it runs in the sandbox
 *                       at the root of a checkout
 * @param setupCommand   run before each test run in the same checkout (fetching nothing: the
 *                       sandbox has no network)
 * @param allowTestEdits whether the diff may touch test files
 */
public record CodingTask(String id, String repository, String base, String goal,
        String testCommand, Optional<String> setupCommand, boolean allowTestEdits) {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public CodingTask {
        Objects.requireNonNull(setupCommand, "setupCommand");
        required("id", id);
        if (!ID.matcher(id).matches() || id.contains("..") || id.endsWith(".lock")
                || id.endsWith(".")) {
            throw new IllegalArgumentException("task id '" + id + "' is not allowed: use letters, "
                    + "digits, '.', '_' and '-', starting with a letter or digit, at most 64 "
                    + "characters, no '..', not ending with '.' or '.lock' (it names a git branch)");
        }
        required("repository", repository);
        required("base", base);
        if (base.startsWith("-") || base.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("base '" + base + "' of task " + id
                    + " is not a commit or branch name");
        }
        required("goal", goal);
        required("testCommand", testCommand);
        setupCommand.ifPresent(s -> required("setupCommand", s));
    }

    /** A task without set-up command whose diff may not touch test files. */
    public static CodingTask of(String id, String repository, String base, String goal,
            String testCommand) {
        return new CodingTask(id, repository, base, goal, testCommand, Optional.empty(), false);
    }

    /** The branch a verified delivery is committed to in the target repository. */
    public String deliveryBranch() {
        return "myriad/" + id;
    }

    private static void required(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a coding task needs a non-blank '" + name + "'");
        }
    }
}
