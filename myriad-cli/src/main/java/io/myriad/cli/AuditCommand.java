package io.myriad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.audit.AuditRecord;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.TenantScope;
import io.myriad.core.audit.AuditVerification;
import io.myriad.store.Store;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code myriad audit}: verifies, exports and lists the hash-chained audit log. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Verifies, exports and lists the audit log: every control and agent action, hash-chained.",
        subcommands = {AuditCommand.Verify.class, AuditCommand.Export.class, AuditCommand.Ls.class,
                AuditCheckpoints.Take.class})
final class AuditCommand {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());
    private static final ObjectMapper JSON = new ObjectMapper();

    private AuditCommand() {}

    /** {@code myriad audit verify}. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Recomputes the whole chain and names the first record that was edited, removed, inserted",
                    "or moved. Exit 0 when intact, 1 when not."})
    static final class Verify implements Callable<Integer>, RemoteClient.Supported {
        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Option(names = "--checkpoints", paramLabel = "FILE",
                description = "Also check the signed checkpoints in FILE (see `audit checkpoint`): catches records cut from the end.")
        Path checkpoints;

        @Option(names = "--signing-key", paramLabel = "FILE", description = "The key the checkpoints must be signed with "
                + "(default: ~/.config/myriad/audit-signing.key).")
        Path keyFile;

        @Spec
        CommandSpec spec;

        @Override
        public java.util.Optional<String> unsupportedRemotely() {
            return checkpoints != null ? java.util.Optional.of("--checkpoints")
                    : keyFile != null ? java.util.Optional.of("--signing-key") : java.util.Optional.empty();
        }

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            var remote = caller.remote();
            if (remote.isPresent()) {
                var v = remote.get().get("/v1/audit/verify", null);
                java.util.Optional<String> broken = v.path("first_break").isObject()
                        ? java.util.Optional.of(v.path("first_break").path("message").asText()) : java.util.Optional.empty();
                if (!intact(out, err, v.path("records").asLong(), broken, v.path("millis").asLong() / 1e3)) {
                    return Main.EXIT_TASKS_FAILED;
                }
                out.println("head " + v.path("head").asText() + " (sign it with `myriad audit checkpoint` to detect records cut from the end)");
                return Main.EXIT_OK;
            }
            var store = RunsCommand.openExisting(data, err);
            if (store.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            try (Store s = store.get()) {
                Access.scope(caller.principal(s), Permission.READ_AUDIT);
                long t0 = System.nanoTime();
                AuditVerification v = s.verifyAudit();
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (!intact(out, err, v.records(), v.firstBreak().map(b -> b.message()), seconds)) {
                    return Main.EXIT_TASKS_FAILED;
                }
                if (checkpoints != null) {
                    return AuditCheckpoints.verify(s, checkpoints, keyFile, out, err) ? Main.EXIT_OK : Main.EXIT_TASKS_FAILED;
                }
                // Cutting records off the end leaves an intact, shorter chain: compare this with a head noted earlier.
                out.println("head " + v.head() + " (sign it with `myriad audit checkpoint` to detect records cut from the end)");
                return Main.EXIT_OK;
            }
        }

        /** Prints the outcome of a verification; whether the chain is intact. */
        private static boolean intact(PrintWriter out, PrintWriter err, long records, java.util.Optional<String> firstBreak,
                double seconds) {
            if (firstBreak.isPresent()) {
                err.println("myriad: audit log broken: " + firstBreak.get());
                err.printf(Locale.ROOT, "myriad: %,d records checked up to it, in %.2f s; the records before it are intact%n",
                        records - 1, seconds);
                return false;
            }
            out.printf(Locale.ROOT, "%,d records, chain intact, verified in %.2f s%n", records, seconds);
            return true;
        }
    }

    /** {@code myriad audit export}. */
    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Writes the audit log as JSON lines (one record a line, in order, with seq, prev and hash).")
    static final class Export implements Callable<Integer> {
        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Option(names = "--out", paramLabel = "FILE", description = "Write to FILE instead of the standard output.")
        Path file;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            var store = RunsCommand.openExisting(data, spec.commandLine().getErr());
            if (store.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            try (Store s = store.get();
                 Writer w = file == null ? new NonClosing(spec.commandLine().getOut())
                         : new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file), StandardCharsets.UTF_8))) {
                TenantScope scope = Access.scope(caller.principal(s), Permission.READ_AUDIT);
                long[] n = {0};
                s.forEachAudit(0, r -> {
                    if (!scope.contains(r.entry().tenant())) {
                        return;
                    }
                    try {
                        w.write(json(r).toString());
                        w.write('\n');
                        n[0]++;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                w.flush();
                if (file != null) {
                    spec.commandLine().getErr().printf(Locale.ROOT, "%,d audit records written to %s%n", n[0], file);
                }
                return Main.EXIT_OK;
            }
        }
    }

    /** {@code myriad audit ls}. */
    @Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists the latest audit records, newest first.")
    static final class Ls implements Callable<Integer>, RemoteClient.Supported {
        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Option(names = "--limit", defaultValue = "50", description = "At most this many records (default ${DEFAULT-VALUE}).")
        int limit;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            var remote = caller.remote();
            if (remote.isPresent()) {
                List<AuditRecord> records = new java.util.ArrayList<>();
                remote.get().get("/v1/audit" + RemoteClient.query(java.util.Map.of("limit", limit)), null).path("records")
                        .forEach(r -> records.add(RemoteClient.audit(r)));
                return print(out, records);
            }
            var store = RunsCommand.openExisting(data, spec.commandLine().getErr());
            if (store.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            try (Store s = store.get()) {
                return print(out, s.latestAudit(limit, Access.scope(caller.principal(s), Permission.READ_AUDIT)));
            }
        }

        private static int print(PrintWriter out, List<AuditRecord> records) {
            Table t = new Table("SEQ", "TIME", "ACTOR", "ACTION", "SUBJECT", "DETAILS");
            for (AuditRecord r : records) {
                var e = r.entry();
                String details = e.details().replace('\n', ' ');
                t.add(String.valueOf(r.seq()), TIME.format(Instant.ofEpochMilli(e.at())), e.actor(), e.action(), e.subject(),
                        details.length() > 60 ? details.substring(0, 60) + "…" : details);
            }
            t.print(out);
            if (records.isEmpty()) {
                out.println("(no audit records)");
            }
            return Main.EXIT_OK;
        }
    }

    static ObjectNode json(AuditRecord r) {
        var e = r.entry();
        ObjectNode o = JSON.createObjectNode();
        o.put("seq", r.seq());
        o.put("at", Instant.ofEpochMilli(e.at()).toString());
        o.put("at_ms", e.at());
        o.put("tenant", e.tenant());
        o.put("actor", e.actor());
        o.put("action", e.action());
        o.put("subject", e.subject());
        JsonNode details;
        try {
            details = JSON.readTree(e.details());
        } catch (IOException notJson) {
            details = null;
        }
        if (details != null) {
            o.set("details", details);
        } else {
            o.put("details", e.details());
        }
        // The details exactly as hashed, so an exported log can be verified without the database.
        o.put("details_raw", e.details());
        o.put("prev", r.prev());
        o.put("hash", r.hash());
        return o;
    }

    /** The command's own writer: flushed, never closed by the export. */
    private static final class NonClosing extends Writer {
        private final PrintWriter out;

        NonClosing(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void write(char[] cbuf, int off, int len) {
            out.write(cbuf, off, len);
        }

        @Override
        public void flush() {
            out.flush();
        }

        @Override
        public void close() {
            out.flush();
        }
    }
}
