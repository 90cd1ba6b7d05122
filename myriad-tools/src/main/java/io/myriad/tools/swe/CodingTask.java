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
 * @param allowNetwork   whether the agent's commands, its tests and the platform's checks may
 *                       use the network (no network unless the task says so)
 * @param simScript      what Myriad's simulated model does on this task (a JSON list, see the
 *                       {@code script} scenario); given to the agent only when its model is the
 *                       simulator, never to a real model
 */
public record CodingTask(String id, String repository, String base, String goal,
        String testCommand, Optional<String> setupCommand, boolean allowTestEdits,
        boolean allowNetwork, Optional<String> simScript) {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public CodingTask {
        Objects.requireNonNull(setupCommand, "setupCommand");
        Objects.requireNonNull(simScript, "simScript");
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

    /** A task without network and without a script for the simulated model. */
    public CodingTask(String id, String repository, String base, String goal, String testCommand,
            Optional<String> setupCommand, boolean allowTestEdits) {
        this(id, repository, base, goal, testCommand, setupCommand, allowTestEdits, false, Optional.empty());
    }

    /** This task with {@code script} for the simulated model. */
    public CodingTask withSimScript(String script) {
        return new CodingTask(id, repository, base, goal, testCommand, setupCommand, allowTestEdits,
                allowNetwork, Optional.of(script));
    }

    /** A task without set-up command whose diff may not touch test files. */
    public static CodingTask of(String id, String repository, String base, String goal,
            String testCommand) {
        return new CodingTask(id, repository, base, goal, testCommand, Optional.empty(), false);
    }

    /**
     * The task as the agent reads it (its first user message): a JSON object with the goal, the
     * test command and the rules, plus, when {@code simulated}, the script for the simulated model.
     * The repository and its location are not in it: the agent works in its checkout.
     */
    public String agentInput(boolean simulated) {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var o = json.createObjectNode();
        o.put("task", id).put("goal", goal)
                .put("workspace", "Your workspace is a git checkout of the repository at its base "
                        + "commit. Edit files there; .git is read-only.")
                .put("test_command", testCommand);
        setupCommand.ifPresent(c -> o.put("setup_command", c));
        o.put("tests_may_be_edited", allowTestEdits).put("network", allowNetwork)
                .put("done_when", "run_tests passes; then call submit once. The platform checks your "
                        + "diff on a fresh checkout: the test command must fail there without it and "
                        + "pass with it.");
        if (simulated && simScript.isPresent()) {
            try {
                o.set("script", json.readTree(simScript.get()));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("simScript of task " + id + " is not JSON", e);
            }
        }
        return o.toString();
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
