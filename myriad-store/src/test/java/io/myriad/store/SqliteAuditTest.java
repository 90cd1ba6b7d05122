package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.audit.AuditChain;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.audit.AuditRecord;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalFenceException;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.RunState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log on SQLite: chained by the writer, derived from journal appends in their transaction. */
class SqliteAuditTest {
    @TempDir
    Path dir;

    private static RunStatus status(RunState s) {
        return new RunStatus(s, 1, 1, 10, 0.01, 5, "");
    }

    @Test
    void controlActionsAndJournalAppendsShareOneChain() {
        try (SqliteStore store = SqliteStore.open(dir.resolve("j.db"))) {
            store.appendAudit(List.of(new AuditEntry(1, "default", "human:alice", "fleet.started", "f-1", "{}"))).join();
            store.append(new Journal.Append("f-1:t1", 0, List.of(
                    new RunEvent.RunStarted(2, "f", "f-1", "t1", "a", "in", "m"),
                    new RunEvent.ToolCallStarted(3, "c1", "pay", "k")), status(RunState.ACTING))).join();
            store.append(new Journal.Append("f-1:t1", 2, List.of(
                    new RunEvent.ToolCallCompleted(4, "c1", "ok", 1), new RunEvent.RunSucceeded(5, "done")),
                    status(RunState.SUCCEEDED))).join();
            store.appendAudit(List.of(new AuditEntry(6, "default", "human:alice", "fleet.finished", "f-1", "{}"))).join();

            List<AuditRecord> all = new ArrayList<>();
            store.forEachAudit(0, all::add);
            assertThat(all).extracting(r -> r.entry().action()).containsExactly(
                    "fleet.started", "run.started", "tool.called", "tool.completed", "run.finished", "fleet.finished");
            assertThat(all).extracting(AuditRecord::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
            assertThat(all.getFirst().prev()).isEqualTo(AuditChain.GENESIS);
            for (int i = 1; i < all.size(); i++) {
                assertThat(all.get(i).prev()).isEqualTo(all.get(i - 1).hash());
            }
            assertThat(store.verifyAudit().records()).isEqualTo(6);
            assertThat(store.verifyAudit().intact()).isTrue();
            assertThat(store.latestAudit(2)).extracting(AuditRecord::seq).containsExactly(6L, 5L);
        }
    }

    @Test
    void aFencedAppendLeavesNoAuditRecordAndTheChainGoesOnAfterReopening() {
        Path file = dir.resolve("j.db");
        try (SqliteStore store = SqliteStore.open(file)) {
            store.append(new Journal.Append("r", 0, List.of(new RunEvent.RunStarted(1, "f", "f-1", "t", "a", "in", "m")),
                    status(RunState.AWAITING_MODEL))).join();
            assertThatThrownBy(() -> store.append(new Journal.Append("r", 0,
                    List.of(new RunEvent.RunStarted(1, "f", "f-1", "t", "a", "in", "m")), status(RunState.AWAITING_MODEL))).join())
                    .isInstanceOf(CompletionException.class).hasCauseInstanceOf(JournalFenceException.class);
            assertThat(store.verifyAudit().records()).isEqualTo(1);
        }
        try (SqliteStore store = SqliteStore.open(file)) {
            store.appendAudit(List.of(new AuditEntry(9, "default", "human:bob", "fleet.started", "f-2", "{}"))).join();
            var v = store.verifyAudit();
            assertThat(v.records()).isEqualTo(2);
            assertThat(v.intact()).isTrue();
        }
    }

    @Test
    void twoStoresOnOneFileKeepOneChain() {
        Path file = dir.resolve("j.db");
        try (SqliteStore a = SqliteStore.open(file); SqliteStore b = SqliteStore.open(file)) {
            for (int i = 0; i < 50; i++) {
                a.appendAudit(List.of(new AuditEntry(i, "default", "human:a", "x.a", "s", "{}"))).join();
                b.appendAudit(List.of(new AuditEntry(i, "default", "human:b", "x.b", "s", "{}"))).join();
            }
            var v = a.verifyAudit();
            assertThat(v.records()).isEqualTo(100);
            assertThat(v.intact()).as(v.toString()).isTrue();
        }
    }
}
