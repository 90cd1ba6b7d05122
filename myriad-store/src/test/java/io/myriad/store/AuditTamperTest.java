package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.audit.AuditChain;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.audit.AuditRecord;
import io.myriad.core.audit.AuditVerification;
import io.myriad.core.audit.AuditVerification.Kind;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A log of 1,000,000 records tampered with through raw SQL, as someone with the file would:
 * one field altered, one record dropped, one forged record inserted (correctly hashed itself),
 * two records swapped, each at a random place. Verification finds each at the right place.
 * Every test undoes its tampering (the log is built once, and checked whole again at the end), so
 * a tampering left behind would show as a break at the wrong place in the next test. Prints the time of a full verification (no assertion on it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditTamperTest {
    private static final int N = 1_000_000;

    @TempDir
    static Path dir;

    private SqliteStore store;
    private Connection raw;
    private final long seed = System.nanoTime();
    private final Random random = new Random(seed);

    @BeforeAll
    void buildALogOfAMillionRecords() throws SQLException {
        System.out.println("AuditTamperTest seed " + seed);
        store = SqliteStore.open(dir.resolve("audit.db"));
        long t0 = System.nanoTime();
        store.bulkAuditForTest(N, i -> new AuditEntry(1_700_000_000_000L + i, "default", "run:f-1:t" + (i % 5_000),
                i % 3 == 0 ? "tool.called" : "tool.completed", "f-1:t" + (i % 5_000) + "#c" + i,
                "{\"tool\":\"fs.read\",\"duration_ms\":" + (i % 97) + "}")).join();
        System.out.printf(Locale.ROOT, "AuditTamperTest: %,d records written in %.2f s%n", N, (System.nanoTime() - t0) / 1e9);
        raw = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("audit.db").toAbsolutePath());
        AuditVerification v = timedVerify("intact");
        assertThat(v.records()).isEqualTo(N);
        assertThat(v.intact()).isTrue();
    }

    /** Each test undid its tampering: the log is whole again (checked once, here, to keep the class fast). */
    @AfterAll
    void intactAgainAndClose() throws SQLException {
        try {
            assertIntactAgain();
        } finally {
            raw.close();
            store.close();
        }
    }

    private AuditVerification timedVerify(String what) {
        long t0 = System.nanoTime();
        AuditVerification v = store.verifyAudit();
        System.out.printf(Locale.ROOT, "AuditTamperTest: verify (%s): %,d records in %.2f s: %s%n", what, v.records(),
                (System.nanoTime() - t0) / 1e9, v.firstBreak().map(AuditVerification.Break::message).orElse("intact"));
        return v;
    }

    private long somewhere() {
        return 2 + random.nextInt(N - 2); // 2..N-1: has a predecessor and a successor
    }

    private int exec(String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = raw.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps.executeUpdate();
        }
    }

    private AuditRecord at(long seq) {
        var out = new AuditRecord[1];
        store.forEachAudit(seq - 1, r -> {
            if (out[0] == null) {
                out[0] = r;
            }
        });
        return out[0];
    }

    private void assertIntactAgain() {
        AuditVerification v = store.verifyAudit();
        assertThat(v.intact()).as(v.toString()).isTrue();
        assertThat(v.records()).isEqualTo(N);
    }

    @Test
    void anAlteredFieldIsFoundAtItsRecord() throws SQLException {
        for (String column : new String[] {"details", "actor", "at"}) {
            long seq = somewhere();
            AuditRecord before = at(seq);
            Object forged = column.equals("at") ? (Object) (before.entry().at() + 1) : "{\"tool\":\"shell\"}";
            assertThat(exec("UPDATE audit SET " + column + "=? WHERE seq=?", forged, seq)).isEqualTo(1);

            AuditVerification v = timedVerify("altered " + column + " at " + seq);
            assertThat(v.firstBreak()).hasValueSatisfying(b -> {
                assertThat(b.seq()).isEqualTo(seq);
                assertThat(b.kind()).isEqualTo(Kind.EDITED);
                assertThat(b.message()).isEqualTo(String.format(Locale.ROOT, "record %,d: hash does not match its content (edited)", seq));
            });
            Object original = switch (column) {
                case "details" -> before.entry().details();
                case "actor" -> before.entry().actor();
                default -> before.entry().at();
            };
            exec("UPDATE audit SET " + column + "=? WHERE seq=?", original, seq);
        }
    }

    @Test
    void aDroppedRecordIsFoundAsAMissingSeq() throws SQLException {
        long seq = somewhere();
        AuditRecord before = at(seq);
        assertThat(exec("DELETE FROM audit WHERE seq=?", seq)).isEqualTo(1);

        AuditVerification v = timedVerify("dropped " + seq);
        assertThat(v.firstBreak()).hasValueSatisfying(b -> {
            assertThat(b.seq()).isEqualTo(seq);
            assertThat(b.kind()).isEqualTo(Kind.REMOVED);
            assertThat(b.message()).isEqualTo(String.format(Locale.ROOT, "seq %,d missing (removed)", seq));
        });
        insert(before);
    }

    @Test
    void aForgedRecordInsertedWithAValidHashOfItsOwnBreaksTheNextLink() throws SQLException {
        long seq = somewhere();
        AuditRecord previous = at(seq - 1);
        // Make room: seq.. move up by one (through negative numbers: the key is unique at every step).
        try (Statement s = raw.createStatement()) {
            raw.setAutoCommit(false);
            s.executeUpdate("UPDATE audit SET seq = -seq WHERE seq >= " + seq);
            s.executeUpdate("UPDATE audit SET seq = -seq + 1 WHERE seq < 0");
            insert(AuditChain.create().next(seq - 1, previous.hash(),
                    new AuditEntry(previous.entry().at(), "default", "human:mallory", "fleet.started", "f-9", "{}")));
            raw.commit();
            raw.setAutoCommit(true);
        }

        AuditVerification v = timedVerify("inserted at " + seq);
        assertThat(v.firstBreak()).hasValueSatisfying(b -> {
            assertThat(b.seq()).isEqualTo(seq + 1);
            assertThat(b.kind()).isEqualTo(Kind.INSERTED_OR_REORDERED);
            assertThat(b.message()).isEqualTo(String.format(Locale.ROOT,
                    "record %,d: prev does not match record %,d (inserted/reordered)", seq + 1, seq));
        });
        try (Statement s = raw.createStatement()) {
            raw.setAutoCommit(false);
            s.executeUpdate("DELETE FROM audit WHERE seq = " + seq);
            s.executeUpdate("UPDATE audit SET seq = -seq WHERE seq > " + seq);
            s.executeUpdate("UPDATE audit SET seq = -seq - 1 WHERE seq < 0");
            raw.commit();
            raw.setAutoCommit(true);
        }
    }

    @Test
    void twoSwappedRecordsAreFoundAtTheFirst() throws SQLException {
        long a = somewhere();
        long b = somewhere();
        while (b == a) {
            b = somewhere();
        }
        long first = Math.min(a, b);
        long second = Math.max(a, b);
        swap(first, second);

        AuditVerification v = timedVerify("swapped " + first + " and " + second);
        assertThat(v.firstBreak()).hasValueSatisfying(br -> {
            assertThat(br.seq()).isEqualTo(first);
            assertThat(br.kind()).isEqualTo(Kind.INSERTED_OR_REORDERED);
        });
        swap(first, second);
    }

    private void swap(long x, long y) throws SQLException {
        raw.setAutoCommit(false);
        exec("UPDATE audit SET seq = 0 WHERE seq = ?", x);
        exec("UPDATE audit SET seq = ? WHERE seq = ?", x, y);
        exec("UPDATE audit SET seq = ? WHERE seq = 0", y);
        raw.commit();
        raw.setAutoCommit(true);
    }

    private void insert(AuditRecord r) throws SQLException {
        try (PreparedStatement ps = raw.prepareStatement(
                "INSERT INTO audit(seq, at, tenant, actor, action, subject, details, prev, hash) VALUES (?,?,?,?,?,?,?,?,?)")) {
            AuditSql.bind(ps, r);
            ps.executeUpdate();
        }
    }
}
