package io.myriad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.audit.AuditCheckpoint;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.audit.AuditRecord;
import io.myriad.core.audit.AuditVerification;
import io.myriad.core.auth.AccessDenied;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Signed checkpoints of the audit log: the anchor outside the database that catches what the
 * chain cannot (records cut from the end, a tail rewritten with recomputed hashes).
 */
final class AuditCheckpoints {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AuditCheckpoints() {}

    /** The signing key: {@code --signing-key}, else {@code ~/.config/myriad/audit-signing.key}. */
    static Path keyFile(Path given) {
        return given != null ? given : Path.of(System.getProperty("user.home"), ".config", "myriad", "audit-signing.key");
    }

    /** Reads the key pair (two Base64 lines: private PKCS#8, public X.509), creating it (mode 600) when absent. */
    static KeyPair loadOrCreate(Path file, PrintWriter err) throws IOException {
        if (Files.exists(file)) {
            return read(file);
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        KeyPair keys = AuditCheckpoint.newKeyPair();
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, AuditCheckpoint.encodePrivate(keys.getPrivate()) + "\n" + AuditCheckpoint.encode(keys.getPublic())
                + "\n", StandardCharsets.UTF_8);
        err.println("myriad: created the audit signing key " + file + " (private to you; keep a copy of its second line, "
                + "the public key, somewhere safe)");
        return keys;
    }

    static KeyPair read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        if (lines.size() != 2) {
            throw new IllegalArgumentException(file + ": expected two lines (private key, public key), got " + lines.size());
        }
        return AuditCheckpoint.decode(lines.get(0), lines.get(1));
    }

    /** {@code myriad audit checkpoint}. */
    @Command(name = "checkpoint", mixinStandardHelpOptions = true,
            description = {"Verifies the chain, signs its head (Ed25519) and appends the checkpoint to a file kept apart",
                    "from the database. `audit verify --checkpoints FILE` then detects records cut from the end or",
                    "a rewritten tail. Run it periodically (cron) and copy the file elsewhere."})
    static final class Take implements Callable<Integer> {
        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Option(names = "--out", paramLabel = "FILE", description = "Checkpoints file to append to (default: DATA/audit-checkpoints.jsonl).")
        Path out;

        @Option(names = "--signing-key", paramLabel = "FILE", description = "Ed25519 key file (default: ~/.config/myriad/audit-signing.key; created when absent).")
        Path keyFile;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter err = spec.commandLine().getErr();
            var store = RunsCommand.openExisting(data, err);
            if (store.isEmpty()) {
                return Main.EXIT_BAD_INPUT;
            }
            try (Store s = store.get()) {
                Principal who = caller.principal(s);
                if (!who.canEverywhere(Permission.READ_AUDIT)) {
                    throw new AccessDenied(who.name() + " may not checkpoint the audit log: it covers every tenant, "
                            + "so that needs an administrator key");
                }
                AuditVerification v = s.verifyAudit();
                if (v.firstBreak().isPresent()) {
                    err.println("myriad: audit log broken, nothing signed: " + v.firstBreak().get().message());
                    return Main.EXIT_TASKS_FAILED;
                }
                if (v.records() == 0) {
                    err.println("myriad: the audit log is empty; nothing to sign");
                    return Main.EXIT_BAD_INPUT;
                }
                KeyPair keys = loadOrCreate(keyFile(keyFile), err);
                long now = System.currentTimeMillis();
                AuditCheckpoint c = AuditCheckpoint.sign(v.records(), v.head(), now, keys);
                Path file = out != null ? out : data.resolve().resolve("audit-checkpoints.jsonl");
                Files.writeString(file, JSON.writeValueAsString(c) + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                s.appendAudit(List.of(new AuditEntry(now, KeysCommand.INSTALL, who.actor(), "audit.checkpoint", "audit",
                        JSON.createObjectNode().put("seq", c.seq()).put("head", c.head()).put("file", file.toString())
                                .toString()))).join();
                spec.commandLine().getOut().println("checkpoint: record " + c.seq() + " has hash " + c.head()
                        + "; signed and appended to " + file);
                return Main.EXIT_OK;
            }
        }
    }

    /**
     * Checks every checkpoint of {@code file} against the log; prints one line per failure.
     *
     * @return true when every checkpoint holds
     */
    static boolean verify(Store s, Path file, Path keyFile, PrintWriter out, PrintWriter err) throws IOException {
        String expected = AuditCheckpoint.encode(read(keyFile(keyFile)).getPublic());
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        int ok = 0;
        for (int i = 0; i < lines.size(); i++) {
            AuditCheckpoint c;
            try {
                JsonNode n = JSON.readTree(lines.get(i));
                c = JSON.treeToValue(n, AuditCheckpoint.class);
            } catch (IOException | IllegalArgumentException e) {
                err.println("myriad: " + file + " line " + (i + 1) + ": not a checkpoint: " + e.getMessage());
                return false;
            }
            Optional<AuditRecord> r = s.auditRecord(c.seq());
            switch (c.check(expected, r.map(AuditRecord::hash).orElse(null))) {
                case HOLDS -> ok++;
                case LOG_TOO_SHORT -> {
                    err.println("myriad: checkpoint at line " + (i + 1) + " names record " + c.seq()
                            + ", which the log no longer has: records were cut from the end");
                    return false;
                }
                case HASH_DIFFERS -> {
                    err.println("myriad: checkpoint at line " + (i + 1) + ": record " + c.seq() + " had hash " + c.head()
                            + ", now " + r.get().hash() + ": the log was rewritten up to there");
                    return false;
                }
                case BAD_SIGNATURE -> {
                    err.println("myriad: checkpoint at line " + (i + 1) + " is not signed by your audit signing key: "
                            + "the checkpoints file was edited");
                    return false;
                }
            }
        }
        out.println(ok + " signed checkpoint" + (ok == 1 ? "" : "s") + " hold");
        return true;
    }
}
