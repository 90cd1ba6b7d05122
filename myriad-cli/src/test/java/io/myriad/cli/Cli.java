package io.myriad.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test helpers to run the CLI in-process or as a child JVM with the test class path. */
final class Cli {
    private Cli() {}

    /** The outcome of an in-process run. */
    record Result(int exit, String out, String err) {
        String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(exit, out.toString(), err.toString());
    }

    /** Starts {@code myriad ARGS} in a new JVM; output goes to {@code log}. */
    static Process spawn(Path log, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        return pb.start();
    }

    /**
     * The URL a {@code myriad serve} child prints once it listens (its fleets are deployed by then),
     * waiting up to a minute; fails with its log when it exits or never prints it.
     */
    static String awaitUrl(Process serve, Path log) throws IOException, InterruptedException {
        java.util.regex.Pattern listening = java.util.regex.Pattern.compile("listening on (http://\\S+/)");
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String text = java.nio.file.Files.exists(log) ? java.nio.file.Files.readString(log) : "";
            java.util.regex.Matcher m = listening.matcher(text);
            if (m.find()) {
                return m.group(1);
            }
            if (!serve.isAlive()) {
                throw new AssertionError("myriad serve exited: " + text);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("myriad serve did not print its URL: " + java.nio.file.Files.readString(log));
    }
}
