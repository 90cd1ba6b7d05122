package io.myriad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code myriad run FILE} against a node: deploys the fleet file ({@code POST /v1/fleets}),
 * follows its progress ({@code GET /v1/fleets/{tenant}/{fleet}/progress}, server-sent events)
 * until it no longer runs, prints a summary and answers with the hosted run's exit code.
 *
 * <p>Only the file's text travels, so a file that names other files by relative paths (a tasks
 * file, a policy file, coding tasks) is refused: on the node they would be looked for elsewhere.
 */
final class RemoteRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RemoteRun() {}

    static int run(RemoteClient remote, Path file, boolean json, PrintWriter out, PrintWriter err) {
        String yaml;
        try {
            yaml = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            err.println("myriad: cannot read " + file + ": " + e.getMessage());
            return Main.EXIT_BAD_INPUT;
        }
        List<String> relative = relativePaths(yaml);
        if (!relative.isEmpty()) {
            err.println("myriad: " + file + " names files by relative paths (" + String.join(", ", relative)
                    + "); only the fleet file travels to the server at " + remote.url() + ", so they would not be found there.");
            err.println("myriad: write the tasks inline, or give absolute paths the server can read; nothing was deployed");
            return Main.EXIT_BAD_INPUT;
        }
        JsonNode deployed = remote.post("/v1/fleets", "application/yaml", yaml);
        String tenant = deployed.path("tenant").asText();
        String fleet = deployed.path("fleet").asText();
        err.println("deployed fleet " + tenant + "/" + fleet + " to " + remote.url() + " (as " + deployed.path("deployed_by").asText()
                + "); following it until it stops (Ctrl-C stops following; the fleet goes on)");
        err.flush();
        JsonNode last = deployed;
        String path = "/v1/fleets/" + RemoteClient.seg(tenant) + "/" + RemoteClient.seg(fleet) + "/progress";
        // The stream ends when the fleet stops; a dropped connection is followed again.
        for (int attempt = 0; attempt < 5 && last.path("state").asText("running").equals("running"); attempt++) {
            JsonNode[] seen = {last};
            String[] lastLine = {""};
            remote.events(path, e -> {
                try {
                    seen[0] = JSON.readTree(e.getValue());
                } catch (IOException ex) {
                    return; // not a progress object: skip it
                }
                String line = progress(seen[0]);
                if (!line.equals(lastLine[0])) {
                    err.println(line);
                    err.flush();
                    lastLine[0] = line;
                }
            });
            last = seen[0];
        }
        return summary(last, remote.url(), json, out, err);
    }

    /** The files a fleet file names by relative paths, as "key: value". */
    static List<String> relativePaths(String yaml) {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(yaml);
        } catch (IOException e) {
            return List.of(); // the node reports the file's problems
        }
        List<String> found = new ArrayList<>();
        check(root == null ? null : root.get("tasks"), "tasks", found);
        check(root == null ? null : root.get("policy_file"), "policy_file", found);
        check(root == null ? null : root.path("coding").get("tasks"), "coding.tasks", found);
        return found;
    }

    private static void check(JsonNode value, String key, List<String> found) {
        if (value == null || !value.isTextual() || value.asText().isBlank()) {
            return;
        }
        try {
            if (!Path.of(value.asText().strip()).isAbsolute()) {
                found.add(key + ": " + value.asText().strip());
            }
        } catch (InvalidPathException e) {
            found.add(key + ": " + value.asText().strip());
        }
    }

    private static String progress(JsonNode d) {
        return "fleet " + d.path("tenant").asText() + "/" + d.path("fleet").asText() + ": " + d.path("state").asText()
                + (d.has("execution") ? " (execution " + d.path("execution").asText() + ")" : "") + "  " + states(d);
    }

    private static String states(JsonNode d) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : d.path("runs").properties()) {
            parts.add(e.getKey() + " " + e.getValue().asLong());
        }
        return (d.has("tasks") ? d.path("tasks").asLong() + " tasks" + (parts.isEmpty() ? "" : ": ") : "") + String.join(", ", parts);
    }

    private static int summary(JsonNode d, String url, boolean json, PrintWriter out, PrintWriter err) {
        String state = d.path("state").asText();
        row(out, "fleet", d.path("fleet").asText() + "  (execution " + d.path("execution").asText("?") + ", tenant "
                + d.path("tenant").asText() + ", hosted by " + url + ")");
        if (d.has("model")) {
            row(out, "model", d.path("model").asText() + (d.path("simulated").asBoolean() ? "  [SIMULATED]" : ""));
        }
        row(out, "runs", states(d));
        row(out, "tokens", String.format(Locale.ROOT, "%,d", d.path("tokens").asLong()));
        row(out, "cost", String.format(Locale.ROOT, "$%.4f", d.path("cost_usd").asDouble()));
        int exit;
        if (d.has("exit_code")) {
            exit = d.path("exit_code").asInt();
            row(out, "exit", exit + "  (" + state + " on the server)");
        } else if (state.equals("running")) {
            err.println("myriad: lost track of the fleet on " + url + "; it goes on there: watch it with myriad runs ls --server "
                    + url);
            exit = Main.EXIT_PLATFORM;
        } else {
            row(out, "exit", "none: the fleet " + state + " before it finished (the node stopped; it resumes when the node "
                    + "starts again)");
            exit = Main.EXIT_PLATFORM;
        }
        if (json) {
            out.println(((com.fasterxml.jackson.databind.node.ObjectNode) d.deepCopy()).put("server", url));
        }
        out.flush();
        return exit;
    }

    private static void row(PrintWriter out, String label, String value) {
        out.printf(Locale.ROOT, "%-9s %s%n", label, value);
    }
}
