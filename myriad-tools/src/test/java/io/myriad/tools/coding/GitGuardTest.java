package io.myriad.tools.coding;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GitGuardTest {

    @ParameterizedTest
    @ValueSource(strings = {".git", ".git/", "./.git/config", "sub/../.git/HEAD", ".git/hooks/pre-commit",
            "a/b/../../.git/index", "vendor/lib/.git/config", ".GIT/config", "/workspace/.git/HEAD",
            "./././.git", "x/./../.git//objects"})
    void pathsIntoGitAreRefused(String path) {
        assertThat(GitGuard.touchesGit(path)).as(path).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"src/main.py", ".gitignore", ".gitattributes", ".github/workflows/ci.yml",
            "docs/.git-notes", ".git/../README.md", "my.git/config", "git/HEAD", "."})
    void otherPathsAreAllowed(String path) {
        assertThat(GitGuard.touchesGit(path)).as(path).isFalse();
    }

    @Test
    void aPathThatIsNoPathIsRefused() {
        assertThat(GitGuard.touchesGit("a\0b")).isTrue();
    }

    @Test
    void symbolicLinksIntoGitAreFollowed(@TempDir Path ws) throws Exception {
        Files.createDirectories(ws.resolve(".git/refs"));
        Files.createSymbolicLink(ws.resolve("innocent"), ws.resolve(".git"));
        Files.createSymbolicLink(ws.resolve("head"), Path.of(".git/HEAD"));
        Files.createDirectories(ws.resolve("src"));
        assertThat(GitGuard.allowsWrite(ws, "innocent/config")).isFalse();
        assertThat(GitGuard.allowsWrite(ws, "innocent/refs/new/deep/file")).isFalse();
        assertThat(GitGuard.allowsWrite(ws, "src/../innocent/HEAD")).isFalse();
        assertThat(GitGuard.allowsWrite(ws, ".git/config")).isFalse();
        assertThat(GitGuard.allowsWrite(ws, "src/new/file.py")).isTrue();
        assertThat(GitGuard.allowsWrite(ws, "notes.txt")).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "rm -rf .git", "echo '[evil]' >> .git/config", "echo x > ./.git/HEAD",
            "cat a >sub/../.git/HEAD", "ls && rm -r .git/hooks", "true; mv .git moved",
            "touch .git/index.lock", "sed -i 's/a/b/' .git/config", "cd .git && echo x > HEAD",
            "find .git -name '*.lock' -delete", "cp hook.sh .git/hooks/pre-commit",
            "echo x | tee -a .git/config", "FOO=1 rm -f .git/HEAD", "sudo rm -rf ./.git",
            "/bin/rm -rf .git", "dd if=/dev/zero of=.git/index", "echo x 2>&1 >| .git/HEAD",
            "(echo hi) &> .git/log", "ln -sf /tmp/x .git/hooks/post-checkout",
            "git commit -am wip", "git add -A", "git -C . reset --hard", "git checkout -- a.py",
            "git stash", "git config user.name bot", "git branch -D main", "git tag v1",
            "git apply --index fix.patch", "make && git commit -m x", "echo $(git gc)",
            "chmod +x \".git/hooks/pre-push\"", "timeout 5 rm -rf .git",
            "env -i FOO=1 nice -n 5 rm .git/HEAD", "cat list | xargs -0 rm -f .git/x"})
    void commandsWritingIntoGitAreRefused(String command) {
        assertThat(GitGuard.shellRefusal(command)).as(command).get().asString()
                .startsWith("refused: ").contains(".git");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "cat .git/HEAD", "git status --short", "git diff HEAD~1 -- src", "git log --oneline -5",
            "git --no-pager show HEAD:calc.py", "git -C sub ls-files", "ls -la .git",
            "grep -r TODO . --exclude-dir=.git", "cp .git/config /tmp/backup", "echo ok > notes.txt",
            "python3 -m pytest -q 2>&1 | tail -n 20", "git branch", "git branch -a",
            "git config --get user.name", "git stash list", "git apply fix.patch",
            "rm -rf build && mkdir build", "echo .gitignore >> .gitignore", "git --version"})
    void readsAndOrdinaryWorkPass(String command) {
        assertThat(GitGuard.shellRefusal(command)).as(command).isEmpty();
    }
}
