package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real browser: a {@code myriad serve} child JVM hosts a slow simulated fleet
 * and a fleet whose writes wait for a person; {@code src/test/browser/dashboard.mjs} drives
 * Debian's Chromium through playwright-core (signs in with an owner key, watches a counter move
 * on Overview, opens a transcript, decides an approval, pauses, resumes and kills fleets where
 * the server has those routes) and prints its results as JSON. Screenshots of every view land in
 * {@code target/screenshots}; with {@code MYRIAD_UPDATE_SCREENSHOT=1} the Overview one also
 * replaces {@code docs/dashboard.png}. Skipped only when Chromium or node is missing.
 */
class DashboardBrowserIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    // Long enough (about a minute) to still run when the script reaches the Control view on a slow machine.
    private static final String SLOW = """
            fleet: notes
            model: {sim: {scenario: tools, tool_calls: 3, latency: 300ms}}
            concurrency: 4
            agents:
              writer:
                instructions: write a note in three steps, then answer
                tools: [fs.write, fs.read]
            tasks: [%s]
            """.formatted(String.join(", ", IntStream.rangeClosed(1, 200).mapToObj(i -> "note-" + i).toList()));

    private static final String GUARDED = """
            fleet: guarded
            model: {sim: {scenario: tools, tool_calls: 1, latency: 50ms}}
            concurrency: 2
            policy:
              - {id: ask, effect: needs_approval, tool: fs.write}
            agents:
              writer:
                instructions: write a note, then answer
                tools: [fs.write]
            tasks: ["one", "two"]
            """;

    @Test
    void theDashboardShowsFleetsRunsAndTranscriptsLive(@TempDir Path dir) throws Exception {
        assumeThat(Files.isExecutable(CHROMIUM)).as("Chromium is not installed (apt-get install chromium)").isTrue();
        assumeThat(nodeWorks()).as("node is not on the PATH").isTrue();
        Path module = Path.of("").toAbsolutePath();
        if (!Files.exists(module.resolve("src/test/browser"))) {
            module = module.resolve("myriad-cli");
        }
        Path repo = module.getParent();
        Path script = module.resolve("src/test/browser/dashboard.mjs");
        assertThat(repo.resolve(".ci/npm/node_modules/playwright-core")).as("run: cd .ci/npm && npm ci").exists();

        String data = dir.resolve("data").toString();
        var created = Cli.run("keys", "create", "--name", "owner", "--admin", "--data", data);
        assertThat(created.exit()).as(created.err()).isZero();
        Matcher km = Pattern.compile("myr_k_\\S+").matcher(created.out());
        assertThat(km.find()).as(created.out()).isTrue();
        String key = km.group();
        Path slow = dir.resolve("notes.yaml");
        Files.writeString(slow, SLOW);

        Path log = dir.resolve("serve.log");
        Process serve = Cli.spawn(log, Map.of(), "serve", slow.toString(), "--port", "0", "--data", data);
        try {
            String url = Cli.awaitUrl(serve, log);
            // The second fleet is deployed over the API, as a user of the node would.
            HttpResponse<String> deployed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "v1/fleets"))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/yaml").POST(HttpRequest.BodyPublishers.ofString(GUARDED)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);

            Path shots = module.resolve("target/screenshots");
            Path out = dir.resolve("browser.log");
            Process node = new ProcessBuilder("node", script.toString(), url, key, shots.toString()).directory(repo.toFile())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!node.waitFor(4, TimeUnit.MINUTES)) {
                node.destroyForcibly();
                throw new AssertionError("the browser script did not finish in 4 minutes: " + Files.readString(out));
            }
            String printed = Files.readString(out);
            if (node.exitValue() != 0) {
                throw new AssertionError(printed + "\n--- serve log:\n" + Files.readString(log) + fleetLogs(dir.resolve("data/logs"))
                        + "\n--- the server's threads:\n" + threads(serve, module.resolve("target/dashboard-threads.txt")));
            }
            String[] lines = printed.strip().split("\n");
            JsonNode r = JSON.readTree(lines[lines.length - 1]);

            assertThat(r.path("principal").asText()).isEqualTo("owner");
            assertThat(r.path("overview").path("after").asInt()).isGreaterThan(r.path("overview").path("before").asInt());
            assertThat(r.path("overview").path("simulatedBadge").asBoolean()).as("the SIMULATED badge").isTrue();
            assertThat(r.path("overview").path("alert").asText()).contains("runs wait for an approval");
            assertThat(r.path("deploy").asText()).isEqualTo("Deployed default/try-me: it runs now.");
            assertThat(r.path("runs").path("loaded").asInt()).isPositive();
            assertThat(r.path("run").path("toolCalls").asInt()).isPositive();
            assertThat(r.path("run").path("tool").asText()).startsWith("fs.");
            assertThat(r.path("run").path("finalState").asText()).isEqualTo("succeeded");
            assertThat(r.path("approvals").asText()).isEqualTo("approved");
            JsonNode control = r.path("control");
            assertThat(r.path("scaled").asText()).contains("scale default/notes to 6: done");
            assertThat(control.path("paused").asText()).contains("done");
            assertThat(control.path("resumed").asText()).contains("done");
            assertThat(control.path("killed").asText()).contains("done");
            // What the clicks did, read back from the server: the decision and the kill are in the audit log.
            HttpResponse<String> audit = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "v1/audit?limit=200"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
            // The hosted fleet waited for people rather than exiting; after the approval and the kill it
            // has nothing left waiting and its thread has finished.
            JsonNode guarded = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                JsonNode fleets = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "v1/fleets"))
                        .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).body());
                for (JsonNode f : fleets.path("fleets")) {
                    if (f.path("fleet").asText().equals("guarded")) {
                        guarded = f;
                    }
                }
                if (guarded != null && !guarded.path("state").asText().equals("running")) {
                    break;
                }
                Thread.sleep(200);
            }
            assertThat(guarded).isNotNull();
            assertThat(guarded.path("state").asText()).as(guarded.toString()).isEqualTo("finished");
            assertThat(guarded.path("runs").path("awaiting_approval").asInt()).as(guarded.toString()).isZero();
            assertThat(guarded.path("runs").path("cancelled").asInt()).as(guarded.toString()).isPositive();
            assertThat(audit.body()).contains("approval.granted").contains("control.kill").contains("control.pause")
                    .contains("control.resume");
            assertThat(r.path("screenshots")).hasSize(7);
            assertThat(shots.resolve("overview.png")).exists();
            if ("1".equals(System.getenv("MYRIAD_UPDATE_SCREENSHOT"))) {
                Files.createDirectories(repo.resolve("docs"));
                Files.copy(shots.resolve("overview.png"), repo.resolve("docs/dashboard.png"), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            serve.destroy();
            if (!serve.waitFor(30, TimeUnit.SECONDS)) {
                serve.destroyForcibly();
            }
        }
    }

    private static boolean nodeWorks() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The server's thread dump (jcmd Thread.print), also kept in a file, for a failure message. */
    private static String threads(Process serve, Path keep) {
        try {
            Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(serve.pid()), "Thread.print").redirectErrorStream(true).start();
            String dump = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.SECONDS);
            Files.createDirectories(keep.getParent());
            Files.writeString(keep, dump);
            // Virtual threads too (Thread.print shows only platform threads).
            Path all = keep.resolveSibling(keep.getFileName() + ".all");
            Files.deleteIfExists(all);
            new ProcessBuilder(jcmd.toString(), Long.toString(serve.pid()), "Thread.dump_to_file", all.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(30, TimeUnit.SECONDS);
            return dump + (Files.exists(all) ? "\n--- all threads:\n" + Files.readString(all) : "");
        } catch (Exception e) {
            return "(no thread dump: " + e + ")";
        }
    }

    /** The hosted fleets' own output, for a failure message. */
    private static String fleetLogs(Path logs) throws java.io.IOException {
        if (!Files.isDirectory(logs)) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        try (var files = Files.walk(logs).filter(Files::isRegularFile)) {
            for (Path f : files.sorted().toList()) {
                b.append("\n--- ").append(f.getFileName()).append(":\n").append(Files.readString(f));
            }
        }
        return b.toString();
    }
}
