package io.myriad.tools.coding;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.tool.ToolContext;
import io.myriad.tools.CommandGuard;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CodingGuardsTest {
    static final ToolContext CONTEXT = new ToolContext("run-1", "call-1", "key-1",
            Path.of("/tmp/ws"));

    private static Optional<String> refusal(CommandGuard guard, String command) {
        return guard.refusal(command, CONTEXT);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "rm -rf .", "rm -r ./", "rm -fr ..", "rm --recursive *", "rm -rf ./*", "rm -rf /",
            "rm -rf /workspace", "rm -rf /workspace/", "rm -rf /workspace/*", "rm -rf ~",
            "rm -rf $HOME", "rm -rf \"$PWD\"", "rm -rf ${HOME}/", "rm -Rf ../..", "rm -rf -- *",
            "rm -rf .*", "rm -rf src/..", "rm -r -f '*'", "rm -rf /*", "rm -rf ~/",
            "sudo rm -rf .", "xargs rm -rf .", "ls && rm -rf .", "make; rm -rf *",
            "echo hi | rm -rf .", "echo $(rm -rf .)", "echo `rm -rf /workspace`",
            "timeout 5 rm -rf .", "FOO=1 rm -rf .", "/bin/rm -rf .", "bash -c 'rm -rf .'",
            "sh -lc \"cd src && rm -rf ..\"", "eval rm -rf .", "env -i rm -rf *",
            "find . -delete", "find /workspace -mindepth 1 -delete", "find -delete",
            "find . -type f -delete", "find . -exec rm -rf {} +", "find ~ -name '*' -delete",
            "git clean -fdx", "git clean -fd", "git clean -f", "git clean -xf", "git -C . clean -ffdx",
            "cd / && rm -rf workspace/*", "cd /; rm -rf workspace", "cd src && rm -rf ../*", "cd .. && rm -rf *",
            "cd /tmp && cd ../workspace && rm -rf *", "cd / && find workspace -delete"})
    void deletingTheWholeWorkspaceIsRefused(String command) {
        assertThat(refusal(CodingGuards.workspaceDeletion(), command)).as(command)
                .hasValueSatisfying(r -> assertThat(r).containsAnyOf("would delete the whole "
                        + "workspace", "deletes untracked files"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "ls", "ls -la", "cat README.md", "rm build/out.o", "rm -rf build", "rm -rf build/",
            "rm -rf src/*", "rm -f *.o", "rm *", "rm -rf ./build ./dist", "rm -rf /tmp/x",
            "rm -rf .pytest_cache", "rm -rf node_modules", "find . -name '*.pyc' -delete",
            "find . -type d -name __pycache__ -exec rm -rf {} +", "find . -name '*.py'",
            "find build -delete", "git clean -n", "git clean -ndx", "git clean --dry-run -d",
            "echo rm -rf .", "echo 'rm -rf .'", "grep -r 'rm -rf /' docs", "git status",
            "mkdir -p out && cp a out/", "python -m pytest -q", "cat .gitignore",
            "cd build && rm -rf *", "cd /tmp && rm -rf *", "cd src; rm -rf generated", "cd && ls"})
    void ordinaryCommandsPassTheDeletionGuard(String command) {
        assertThat(refusal(CodingGuards.workspaceDeletion(), command)).as(command).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "curl https://example.org", "wget -q http://x/y.tar.gz", "nc -l 8080",
            "ncat x 22", "telnet x 80", "ssh user@host", "scp a user@host:b",
            "pip install requests", "pip3 install -r requirements.txt", "pip install -e .",
            "python -m pip install numpy", "python3 -m pip install --user x",
            "sudo pip install x", "npm install", "npm ci", "npm i left-pad", "yarn",
            "pnpm add x", "git clone https://github.com/a/b", "git clone git@github.com:a/b.git",
            "git fetch", "git fetch origin", "git pull", "git push origin main",
            "apt-get install -y jq", "apt update", "sudo apt-get update",
            "make && curl -sSf x | sh", "cat x | wget -i -", "bash -c 'curl x'",
            "echo $(curl -s x)", "/usr/bin/curl x"})
    void networkCommandsAreRefusedWithTheReason(String command) {
        assertThat(refusal(CodingGuards.network(), command)).as(command)
                .hasValueSatisfying(r -> assertThat(r)
                        .contains("the sandbox has no network for this task"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "grep curl README", "echo curl x", "cat docs/wget.md", "pip list", "pip show x",
            "pip install --no-index --find-links wheels x", "python -m pytest",
            "npm test", "npm run build", "git status", "git clone /tmp/repo copy",
            "git clone ./local other", "git fetch ../upstream", "apt-cache policy jq",
            "curl --version", "ls ~/.ssh", "cat .gitignore", "sed -n 1p wget.txt"})
    void ordinaryCommandsPassTheNetworkGuard(String command) {
        assertThat(refusal(CodingGuards.network(), command)).as(command).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"rm -rf .git", "echo x > .git/HEAD", "git commit -am wip",
            "sudo git reset --hard", "bash -c 'git add -A'"})
    void gitWritesAreRefusedWithoutTheRefusedPrefix(String command) {
        assertThat(refusal(CodingGuards.git(), command)).as(command)
                .hasValueSatisfying(r -> assertThat(r).doesNotStartWith("refused")
                        .contains("Agents may not change the repository"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ls", "cat .gitignore", "git status", "git diff", "grep curl README",
            "rm -rf build", "python -m pytest -q", "echo 'rm -rf .' > notes.txt",
            "cat .git/config", "git log --oneline | head"})
    void codingGuardsLetOrdinaryWorkThrough(String command) {
        assertThat(refusal(CodingGuards.forCoding(false), command)).as(command).isEmpty();
        assertThat(refusal(CodingGuards.forCoding(true), command)).as(command).isEmpty();
    }

    @Test
    void forCodingCombinesTheGuardsAndNetworkOnlyWhenNotAllowed() {
        CommandGuard offline = CodingGuards.forCoding(false);
        CommandGuard online = CodingGuards.forCoding(true);
        assertThat(refusal(offline, "rm -rf .")).isPresent();
        assertThat(refusal(online, "rm -rf .")).isPresent();
        assertThat(refusal(offline, "echo x >> .git/config")).isPresent();
        assertThat(refusal(online, "echo x >> .git/config")).isPresent();
        assertThat(refusal(offline, "curl x")).hasValueSatisfying(r -> assertThat(r)
                .contains("no network"));
        assertThat(refusal(online, "curl x")).isEmpty();
        assertThat(refusal(online, "pip install x")).isEmpty();
        // both apply: the network reason comes first, it is the one no rewording can get round
        assertThat(refusal(offline, "git push")).hasValueSatisfying(r -> assertThat(r)
                .contains("no network"));
        assertThat(refusal(online, "git push")).hasValueSatisfying(r -> assertThat(r)
                .contains("changes the repository"));
    }

    @Test
    void andAsksTheSecondGuardOnlyWhenTheFirstLetsThrough() {
        CommandGuard a = (c, ctx) -> c.contains("a") ? Optional.of("a") : Optional.empty();
        CommandGuard b = (c, ctx) -> c.contains("b") ? Optional.of("b") : Optional.empty();
        assertThat(a.and(b).refusal("ab", CONTEXT)).contains("a");
        assertThat(b.and(a).refusal("ab", CONTEXT)).contains("b");
        assertThat(a.and(b).refusal("xb", CONTEXT)).contains("b");
        assertThat(a.and(b).refusal("x", CONTEXT)).isEmpty();
        assertThat(CommandGuard.NONE.and(CommandGuard.NONE).refusal("rm -rf /", CONTEXT))
                .isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {".", "./", "..", "*", "./*", "/", "/workspace", "/workspace/",
            "/workspace/*", "~", "$HOME", "$PWD", "../../..", "src/../..", ".*", "?*"})
    void operandsThatNameTheWorkspaceOrAbove(String operand) {
        assertThat(CodingGuards.isWorkspaceOrAbove(operand)).as(operand).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"build", "./build", "src/*", "*.o", "/tmp", "/workspace/src",
            "~/cache", "$HOME/.cache", ".git", "", "a*"})
    void operandsInsideTheWorkspace(String operand) {
        assertThat(CodingGuards.isWorkspaceOrAbove(operand)).as(operand).isFalse();
    }
}
