package io.myriad.tools.swe;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the host's git for the platform (never for the agent): no system or global
 * configuration, no hooks, no prompts, a fixed identity.
 */
final class Git {
    private static final long TIMEOUT_SECONDS = 120;

    private final Path program;

    Git(Path program) {
        this.program = program;
    }

    /** The output of a successful git command run in {@code dir}. */
    String run(Path dir, String... args) {
        return run(dir, Map.of(), null, args);
    }

    /**
     * Runs git in {@code dir} with extra environment and optional standard input.
     *
     * @throws SweException when git fails, with its standard error
     */
    String run(Path dir, Map<String, String> env, byte[] stdin, String... args) {
        Result r = attempt(dir, env, stdin, args);
        if (r.exit() != 0) {
            throw new SweException("git " + String.join(" ", args) + " failed in " + dir
                    + " (exit " + r.exit() + "): " + r.err().strip(), false);
        }
        return r.out();
    }

    record Result(int exit, String out, String err) {}

    Result attempt(Path dir, Map<String, String> env, byte[] stdin, String... args) {
        List<String> cmd = new ArrayList<>(List.of(program.toString(),
                "-c", "core.hooksPath=/dev/null", "-c", "user.name=Myriad",
                "-c", "user.email=myriad@localhost", "-c", "commit.gpgSign=false",
                "-c", "core.autocrlf=false", "-c", "protocol.file.allow=always"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("GIT_"));
        e.put("GIT_CONFIG_NOSYSTEM", "1");
        e.put("GIT_CONFIG_GLOBAL", "/dev/null");
        e.put("GIT_TERMINAL_PROMPT", "0");
        e.put("LANG", "C.UTF-8");
        e.putAll(env);
        try {
            Path errFile = Files.createTempFile("myriad-git", ".err");
            try {
                pb.redirectError(errFile.toFile());
                Process p = pb.start();
                try (var in = p.getOutputStream()) {
                    if (stdin != null) {
                        in.write(stdin);
                    }
                }
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new SweException("git " + String.join(" ", args) + " took more than "
                            + TIMEOUT_SECONDS + " s in " + dir, true);
                }
                return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                        Files.readString(errFile, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(errFile);
            }
        } catch (IOException e1) {
            throw new SweException("cannot run git " + String.join(" ", args) + " in " + dir
                    + ": " + e1.getMessage(), true, e1);
        } catch (InterruptedException e1) {
            Thread.currentThread().interrupt();
            throw new SweException("interrupted while running git " + args[0], false, e1);
        }
    }

    /** A task's repository as a local path: a path as given, or the path of a file URL. */
    static Path localPath(String repository) {
        Path p;
        if (repository.startsWith("file:")) {
            try {
                p = Path.of(URI.create(repository));
            } catch (IllegalArgumentException e) {
                throw new SweException("repository '" + repository + "' is not a valid file URL: "
                        + e.getMessage(), false, e);
            }
        } else if (repository.contains("://")) {
            throw new SweException("repository '" + repository + "' is remote; only local paths "
                    + "and file:// URLs are supported (the sandbox and workspaces have no "
                    + "network)", false);
        } else {
            p = Path.of(repository);
        }
        if (!Files.isDirectory(p)) {
            throw new SweException("repository " + p + " does not exist or is not a directory",
                    false);
        }
        return p.toAbsolutePath().normalize();
    }
}
