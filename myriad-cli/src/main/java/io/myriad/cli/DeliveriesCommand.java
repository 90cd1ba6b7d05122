package io.myriad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.TenantScope;
import io.myriad.core.delivery.Delivery;
import io.myriad.server.DeliveriesResource;
import io.myriad.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code myriad deliveries}: the platform's verdicts on what coding runs submitted, their
 * evidence, and an export of the delivered patches as SWE-bench predictions. A delivery of a
 * tenant the caller may not view is reported exactly like one that does not exist.
 */
@Command(name = "deliveries", mixinStandardHelpOptions = true,
        description = {"What coding runs submitted and what the platform made of it: verified (the tests failed",
                "before the diff and pass with it: delivered on a branch, with a patch file), unverified, or",
                "refused (not checked), with the diff and every check the platform ran."},
        subcommands = {DeliveriesCommand.Ls.class, DeliveriesCommand.Show.class, DeliveriesCommand.Export.class})
final class DeliveriesCommand {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());
    private static final ObjectMapper JSON = new ObjectMapper();

    private DeliveriesCommand() {}

    private static Optional<Delivery.Verdict> verdict(String label) {
        return label == null ? Optional.empty() : Optional.of(Delivery.Verdict.parse(label));
    }

    /** Lines added and removed by a unified diff, as {@code +A/-R}. */
    static String diffSize(String patch) {
        return DeliveriesResource.diffSize(patch);
    }

    /** The same fields as the API's: one encoding for both. */
    static ObjectNode json(Delivery d, boolean withPatch) {
        return DeliveriesResource.json(JSON, d, withPatch);
    }

    /** {@code myriad deliveries ls}. */
    @Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists deliveries, newest first.")
    static final class Ls implements Callable<Integer>, RemoteClient.Supported {
        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Option(names = "--execution", paramLabel = "ID", description = "Only the deliveries of this execution (e.g. fix-1).")
        String execution;

        @Option(names = "--verdict", paramLabel = "VERDICT", description = "Only this verdict: verified, unverified or refused.")
        String verdict;

        @Option(names = "--limit", defaultValue = "50", description = "At most this many deliveries (default ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--json", description = "One JSON array on the last line (without the patches).")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Optional<Delivery.Verdict> wanted = verdict(verdict);
            if (limit < 0) {
                throw new IllegalArgumentException("--limit must be at least 0, not " + limit);
            }
            var remote = caller.remote();
            if (remote.isPresent()) {
                // A listing carries no patches: the node gives each one's size of diff instead.
                var params = new LinkedHashMap<String, Object>();
                params.put("limit", Math.clamp(limit, 1, 1000));
                params.put("execution", execution);
                params.put("verdict", wanted.map(Delivery.Verdict::label).orElse(null));
                List<Delivery> rows = new java.util.ArrayList<>();
                Map<String, String> diffs = new java.util.HashMap<>();
                remote.get().get("/v1/deliveries" + RemoteClient.query(params), null).path("deliveries").forEach(d -> {
                    rows.add(RemoteClient.delivery(d));
                    diffs.put(d.path("id").asText(), d.path("diff").asText());
                });
                return print(out, rows.stream().limit(limit).toList(), d -> diffs.get(d.id()));
            }
            var store = RunsCommand.openExisting(data, spec.commandLine().getErr());
            if (store.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            try (Store s = store.get()) {
                TenantScope scope = Access.scope(caller.principal(s), Permission.VIEW);
                return print(out, s.deliveries(scope, Optional.ofNullable(execution), wanted, limit), d -> diffSize(d.patch()));
            }
        }

        private int print(PrintWriter out, List<Delivery> rows, java.util.function.Function<Delivery, String> diff) {
            if (json) {
                ArrayNode arr = JSON.createArrayNode();
                rows.forEach(d -> arr.add(json(d, false).put("diff", diff.apply(d))));
                out.println(arr);
                return Main.EXIT_OK;
            }
            Table t = new Table("ID", "TASK", "VERDICT", "FILES", "DIFF", "RUN", "WHEN");
            Map<Delivery.Verdict, Integer> counts = new EnumMap<>(Delivery.Verdict.class);
            for (Delivery d : rows) {
                t.add(d.id(), d.taskId(), d.verdict().label(), String.valueOf(d.files().size()), diff.apply(d),
                        d.runId(), TIME.format(Instant.ofEpochMilli(d.createdAt())));
                counts.merge(d.verdict(), 1, Integer::sum);
            }
            t.print(out);
            if (rows.isEmpty()) {
                out.println("(no deliveries)");
                return Main.EXIT_OK;
            }
            StringBuilder footer = new StringBuilder().append(rows.size()).append(rows.size() == 1 ? " delivery:" : " deliveries:");
            for (Delivery.Verdict v : Delivery.Verdict.values()) {
                footer.append(v.ordinal() == 0 ? " " : ", ").append(counts.getOrDefault(v, 0)).append(' ').append(v.label());
            }
            out.println(footer);
            return Main.EXIT_OK;
        }
    }

    /** {@code myriad deliveries show ID}. */
    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Shows one delivery: the verdict and why, the files, every check with its output, the patch.")
    static final class Show implements Callable<Integer>, RemoteClient.Supported {
        @Parameters(paramLabel = "ID", description = "The delivery id, as printed by `myriad deliveries ls`.")
        String id;

        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Option(names = "--json", description = "One JSON object.")
        boolean json;

        @Option(names = "--no-patch", description = "Leave out the patch.")
        boolean noPatch;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            String notFound = "no delivery " + id + " among the deliveries you may see; list them with: myriad deliveries ls";
            var remote = caller.remote();
            if (remote.isPresent()) {
                return show(out, RemoteClient.delivery(remote.get().get("/v1/delivery" + RemoteClient.query(Map.of("id", id)),
                        notFound)));
            }
            var store = RunsCommand.openExisting(data, spec.commandLine().getErr());
            if (store.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            try (Store s = store.get()) {
                return show(out, s.delivery(id, caller.principal(s).scopeOf(Permission.VIEW))
                        .orElseThrow(() -> new Access.NotFound(notFound)));
            }
        }

        private int show(PrintWriter out, Delivery d) {
            if (json) {
                out.println(json(d, !noPatch));
                return Main.EXIT_OK;
            }
            print(out, d, !noPatch);
            return Main.EXIT_OK;
        }

        private static void print(PrintWriter out, Delivery d, boolean withPatch) {
            line(out, "delivery", d.id());
            line(out, "verdict", d.verdict().label() + ": " + d.reason());
            line(out, "task", d.taskId());
            line(out, "run", d.runId() + "  (execution " + d.execution() + ", tenant " + d.tenant() + ")");
            out.println("transcript: myriad runs show " + d.runId());
            line(out, "model", d.model());
            line(out, "branch", d.branch().orElse("-"));
            line(out, "commit", d.commit().orElse("-"));
            line(out, "patch file", d.patchFile().orElse("-"));
            line(out, "recorded", TIME.format(Instant.ofEpochMilli(d.createdAt())));
            out.println("explanation:");
            indent(out, d.explanation().isBlank() ? "(none)" : d.explanation(), "  ");
            out.println("files (" + d.files().size() + ", " + diffSize(d.patch()) + "):");
            d.files().forEach(f -> out.println("  " + f));
            out.println("checks (" + d.steps().size() + "):");
            for (Delivery.Check c : d.steps()) {
                out.printf(Locale.ROOT, "  %-13s exit %d  %.1f s%s  %s%n", c.phase(), c.exitCode(), c.millis() / 1000.0,
                        c.timedOut() ? "  TIMED OUT" : "", c.command());
                if (!c.outputTail().isBlank()) {
                    indent(out, c.outputTail(), "      | ");
                }
            }
            if (withPatch) {
                out.println("patch:");
                out.print(d.patch().isEmpty() ? "(empty)\n" : d.patch().endsWith("\n") ? d.patch() : d.patch() + "\n");
            }
            out.flush();
        }

        private static void line(PrintWriter out, String label, String value) {
            out.printf(Locale.ROOT, "%-12s%s%n", label + ":", value);
        }

        private static void indent(PrintWriter out, String text, String prefix) {
            for (String l : text.stripTrailing().split("\n", -1)) {
                out.println(prefix + l);
            }
        }
    }

    /** {@code myriad deliveries export}. */
    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Writes the deliveries as SWE-bench predictions, one JSON object a line:",
                    "{\"instance_id\": TASK, \"model_name_or_path\": MODEL, \"model_patch\": PATCH}; the newest per task.",
                    "Verified ones only, unless --all."})
    static final class Export implements Callable<Integer>, RemoteClient.Supported {
        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Option(names = "--execution", paramLabel = "ID", description = "Only the deliveries of this execution.")
        String execution;

        @Option(names = "--all", description = "Every delivery that has a patch (unverified ones, and refused ones with a diff), not only the verified.")
        boolean all;

        @Option(names = "--out", paramLabel = "FILE", description = "Write to FILE (replaced atomically) instead of the standard output.")
        Path file;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            var remote = caller.remote();
            StringBuilder lines = new StringBuilder();
            int count = 0;
            if (remote.isPresent()) {
                // The node's lines as they are: one prediction a line, encoded as here.
                var params = new java.util.LinkedHashMap<String, Object>();
                params.put("execution", execution);
                params.put("all", all ? "true" : null);
                for (String line : remote.get().text("/v1/deliveries/export" + RemoteClient.query(params), null).split("\n")) {
                    if (!line.isBlank()) {
                        lines.append(line).append('\n');
                        count++;
                    }
                }
            } else {
                var store = RunsCommand.openExisting(data, spec.commandLine().getErr());
                if (store.isEmpty()) {
                    return Main.EXIT_BAD_INPUT;
                }
                List<Delivery> chosen;
                try (Store s = store.get()) {
                    TenantScope scope = Access.scope(caller.principal(s), Permission.VIEW);
                    chosen = predictions(s.deliveries(scope, Optional.ofNullable(execution), Optional.empty(), Integer.MAX_VALUE), all);
                }
                for (Delivery d : chosen) {
                    ObjectNode o = JSON.createObjectNode();
                    o.put("instance_id", d.taskId());
                    o.put("model_name_or_path", d.model());
                    o.put("model_patch", d.patch());
                    lines.append(o).append('\n');
                }
                count = chosen.size();
            }
            if (file == null) {
                spec.commandLine().getOut().print(lines);
                spec.commandLine().getOut().flush();
            } else {
                writeAtomically(file, lines.toString());
            }
            spec.commandLine().getErr().printf(Locale.ROOT, "%d prediction%s exported (%s, newest per task)%s%n",
                    count, count == 1 ? "" : "s", all ? "every delivery with a patch" : "verified only",
                    file == null ? "" : " to " + file);
            return Main.EXIT_OK;
        }
    }

    /**
     * The newest eligible delivery of each task, by task id: verified ones, or with {@code all}
     * every one with a non-empty patch.
     *
     * @param newestFirst deliveries, newest first
     */
    static List<Delivery> predictions(List<Delivery> newestFirst, boolean all) {
        return DeliveriesResource.predictions(newestFirst, all);
    }

    /** Writes {@code text} to a temporary file beside {@code target}, then moves it over the target. */
    private static void writeAtomically(Path target, String text) throws IOException {
        Path absolute = target.toAbsolutePath();
        Files.createDirectories(absolute.getParent());
        Path temp = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName() + "-", ".tmp");
        try {
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
