package io.myriad.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.RunState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuditChainTest {
    private static AuditEntry entry(int i) {
        return new AuditEntry(1_000L + i, "default", "run:r" + i, "tool.called", "r" + i + "#c1", "{\"i\":" + i + "}");
    }

    private static List<AuditRecord> chain(int n) {
        var chain = AuditChain.create();
        List<AuditRecord> out = new ArrayList<>();
        long seq = 0;
        String hash = AuditChain.GENESIS;
        for (int i = 0; i < n; i++) {
            AuditRecord r = chain.next(seq, hash, entry(i));
            out.add(r);
            seq = r.seq();
            hash = r.hash();
        }
        return out;
    }

    private static AuditVerification verify(List<AuditRecord> records) {
        var v = new AuditChain.Verifier();
        for (AuditRecord r : records) {
            if (!v.accept(r.seq(), r.entry(), r.prev(), r.hash())) {
                break;
            }
        }
        return v.result();
    }

    @Test
    void theFirstRecordFollowsTheGenesisAndEachNextOneItsPredecessor() {
        List<AuditRecord> records = chain(3);
        assertThat(records.getFirst().seq()).isEqualTo(1);
        assertThat(records.getFirst().prev()).isEqualTo("0".repeat(64));
        assertThat(records.get(1).prev()).isEqualTo(records.get(0).hash());
        assertThat(records.get(2).prev()).isEqualTo(records.get(1).hash());
        assertThat(records).extracting(AuditRecord::hash).allSatisfy(h -> assertThat(h).matches("[0-9a-f]{64}"));
        assertThat(verify(records)).isEqualTo(new AuditVerification(3, records.get(2).hash(), java.util.Optional.empty()));
    }

    @Test
    void theHashIsAPureFunctionOfSeqPrevAndEveryField() {
        var c = AuditChain.create();
        AuditEntry e = entry(1);
        String h = c.hash(5, AuditChain.GENESIS, e);
        assertThat(AuditChain.create().hash(5, AuditChain.GENESIS, e)).isEqualTo(h);
        assertThat(c.hash(6, AuditChain.GENESIS, e)).isNotEqualTo(h);
        assertThat(c.hash(5, "1" + "0".repeat(63), e)).isNotEqualTo(h);
        List<AuditEntry> variants = List.of(
                new AuditEntry(e.at() + 1, e.tenant(), e.actor(), e.action(), e.subject(), e.details()),
                new AuditEntry(e.at(), "other", e.actor(), e.action(), e.subject(), e.details()),
                new AuditEntry(e.at(), e.tenant(), "run:x", e.action(), e.subject(), e.details()),
                new AuditEntry(e.at(), e.tenant(), e.actor(), "tool.failed", e.subject(), e.details()),
                new AuditEntry(e.at(), e.tenant(), e.actor(), e.action(), "x", e.details()),
                new AuditEntry(e.at(), e.tenant(), e.actor(), e.action(), e.subject(), "{}"));
        assertThat(variants).allSatisfy(v -> assertThat(c.hash(5, AuditChain.GENESIS, v)).isNotEqualTo(h));
        // Length prefixes: moving a character from one field to the next changes the hash.
        assertThat(c.hash(1, AuditChain.GENESIS, new AuditEntry(0, "ab", "c", "x", "s", "{}")))
                .isNotEqualTo(c.hash(1, AuditChain.GENESIS, new AuditEntry(0, "a", "bc", "x", "s", "{}")));
        assertThatThrownBy(() -> c.hash(1, "abc", e)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anEditedRecordIsReportedAtItsPlace() {
        List<AuditRecord> records = new ArrayList<>(chain(10));
        AuditRecord r = records.get(4);
        records.set(4, new AuditRecord(r.seq(), entry(99), r.prev(), r.hash()));
        assertThat(verify(records).firstBreak()).hasValueSatisfying(b -> {
            assertThat(b.seq()).isEqualTo(5);
            assertThat(b.kind()).isEqualTo(AuditVerification.Kind.EDITED);
            assertThat(b.message()).isEqualTo("record 5: hash does not match its content (edited)");
        });
    }

    @Test
    void aRemovedRecordIsReportedAsAMissingSeq() {
        List<AuditRecord> records = new ArrayList<>(chain(10));
        records.remove(6);
        assertThat(verify(records).firstBreak()).hasValueSatisfying(b -> {
            assertThat(b.seq()).isEqualTo(7);
            assertThat(b.kind()).isEqualTo(AuditVerification.Kind.REMOVED);
            assertThat(b.message()).isEqualTo("seq 7 missing (removed)");
        });
    }

    @Test
    void aForgedRecordWithItsOwnValidHashBreaksTheLinkOfTheNextOne() {
        List<AuditRecord> records = new ArrayList<>(chain(10));
        // Forged at seq 4 after record 3, correctly hashed; the old 4.. are renumbered 5..
        AuditRecord forged = AuditChain.create().next(3, records.get(2).hash(), entry(42));
        List<AuditRecord> tampered = new ArrayList<>(records.subList(0, 3));
        tampered.add(forged);
        for (AuditRecord r : records.subList(3, 10)) {
            tampered.add(new AuditRecord(r.seq() + 1, r.entry(), r.prev(), r.hash()));
        }
        assertThat(verify(tampered).firstBreak()).hasValueSatisfying(b -> {
            assertThat(b.seq()).isEqualTo(5);
            assertThat(b.kind()).isEqualTo(AuditVerification.Kind.INSERTED_OR_REORDERED);
            assertThat(b.message()).isEqualTo("record 5: prev does not match record 4 (inserted/reordered)");
        });
    }

    @Test
    void swappedRecordsAreReportedAtTheFirstOfThem() {
        List<AuditRecord> records = new ArrayList<>(chain(10));
        AuditRecord a = records.get(2);
        AuditRecord b = records.get(7);
        records.set(2, new AuditRecord(a.seq(), b.entry(), b.prev(), b.hash()));
        records.set(7, new AuditRecord(b.seq(), a.entry(), a.prev(), a.hash()));
        assertThat(verify(records).firstBreak()).hasValueSatisfying(br -> {
            assertThat(br.seq()).isEqualTo(3);
            assertThat(br.kind()).isEqualTo(AuditVerification.Kind.INSERTED_OR_REORDERED);
        });
    }

    @Test
    void aJournalAppendYieldsTheAgentActionsWithTheRunAsActorAndTheDeciderAsActor() {
        var status = new RunStatus(RunState.SUCCEEDED, 3, 2, 120, 0.25, 9, "");
        var append = new Journal.Append("f-1:t1", 0, List.of(
                new RunEvent.RunStarted(1, "f", "f-1", "t1", "a", "in", "m"),
                new RunEvent.ToolCallStarted(2, "c1", "pay", "f-1/t1/m1/c0"),
                new RunEvent.ToolCallResolved(3, "c1", "done", "ok", "human:alice", "checked"),
                new RunEvent.RunSucceeded(4, "out")), status);
        List<AuditEntry> entries = JournalAudit.of(append);
        assertThat(entries).extracting(AuditEntry::action)
                .containsExactly("run.started", "tool.called", "decision.resolved", "run.finished");
        assertThat(entries).extracting(AuditEntry::actor)
                .containsExactly("run:f-1:t1", "run:f-1:t1", "human:alice", "run:f-1:t1");
        assertThat(entries.get(1).subject()).isEqualTo("f-1:t1#c1");
        assertThat(entries.get(3).details()).contains("\"state\":\"succeeded\"").contains("\"cost_usd\":0.25")
                .contains("\"tokens\":120");
    }
}
