package io.myriad.store;

import io.myriad.core.audit.AuditEntry;
import io.myriad.core.journal.EventCodec;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.Journal.Append;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One batch of appends written in one PostgreSQL transaction with multi-row statements. Used by
 * the PostgreSQL journal writer's thread only.
 *
 * <p>Notes. The fence is the same as SQLite's, applied to many appends per statement: a run's
 * first append inserts its {@code runs} row ({@code ON CONFLICT DO NOTHING RETURNING}: a row not
 * returned means another writer started the run), and every append's first event is inserted
 * only if its predecessor exists (or it is seq 0) and its own seq is free; the rows not returned
 * are the fenced appends, which write nothing else. Unlike SQLite, PostgreSQL lets writers of
 * several nodes run at once: a concurrent insert of the same {@code (run_id, seq)} waits for the
 * other transaction and then counts as a conflict, so exactly one writer wins each seq. A
 * statement does not see its own rows, so a batch holding several appends of one run is split
 * into rounds, the k-th append of each run in round k; a later round sees the earlier rounds'
 * rows. Rows are sorted by run id in every statement so that two nodes' batches take their row
 * locks in the same order (a deadlock is still possible, and is retried by the writer). An append
 * that carries an owner (cluster mode) must also find the run's row still naming that node and
 * owner epoch, share-locked until commit ({@link #ownersHolding}); a run's first append stamps
 * its owner on the row it inserts.
 */
final class PgAppendSql {
    /** The run's summary row is rewritten on its final append and at least every this many events (as on SQLite). */
    private static final int SUMMARY_EVERY = 32;

    /** An append waiting for the writer: its events encoded and its audit entries derived by the producer. */
    record Pending(Append append, String[] bodies, List<AuditEntry> audit, java.util.concurrent.CompletableFuture<Void> done) {}

    private PgAppendSql() {
    }

    /**
     * Writes the batch inside the connection's open transaction (not committed here) and returns
     * the fenced appends, which wrote nothing.
     */
    static Set<Pending> write(Connection c, List<Pending> batch) throws SQLException {
        Set<Pending> fenced = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<String> fencedRuns = new HashSet<>();
        List<List<Pending>> rounds = new ArrayList<>();
        Map<String, Integer> roundOfRun = new HashMap<>();
        for (Pending p : batch) {
            if (p.append() == null) {
                continue;
            }
            int round = roundOfRun.merge(p.append().runId(), 0, (old, zero) -> old + 1);
            if (round == rounds.size()) {
                rounds.add(new ArrayList<>());
            }
            rounds.get(round).add(p);
        }
        Map<String, RunStatusAt> summaries = new TreeMap<>();
        try (PreparedStatement rest = c.prepareStatement("INSERT INTO events(run_id, seq, type, at, body) VALUES (?,?,?,?,?)")) {
            int restRows = 0;
            for (List<Pending> round : rounds) {
                round.sort(Comparator.comparing(p -> p.append().runId()));
                List<Pending> live = new ArrayList<>();
                for (Pending p : round) {
                    if (fencedRuns.contains(p.append().runId())) {
                        fenced.add(p); // an earlier append of this run in the batch was fenced: so is this one
                    } else {
                        live.add(p);
                    }
                }
                Set<String> started = insertRuns(c, live.stream().filter(p -> p.append().expectedSeq() == 0).toList());
                live.removeIf(p -> {
                    boolean refused = p.append().expectedSeq() == 0 && !started.contains(p.append().runId());
                    if (refused) {
                        fenced.add(p);
                        fencedRuns.add(p.append().runId());
                    }
                    return refused;
                });
                Set<String> owning = ownersHolding(c, live.stream()
                        .filter(p -> p.append().expectedSeq() > 0 && p.append().owner().isPresent()).toList());
                live.removeIf(p -> {
                    Append a = p.append();
                    boolean stale = a.expectedSeq() > 0 && a.owner().isPresent() && !owning.contains(a.runId());
                    if (stale) {
                        fenced.add(p);
                        fencedRuns.add(a.runId());
                    }
                    return stale;
                });
                Set<String> inserted = insertFirstEvents(c, live);
                List<String> orphanRuns = new ArrayList<>();
                for (Pending p : live) {
                    Append a = p.append();
                    if (!inserted.contains(a.runId())) {
                        fenced.add(p);
                        fencedRuns.add(a.runId());
                        if (a.expectedSeq() == 0) {
                            orphanRuns.add(a.runId()); // its row was inserted above: take it back
                        }
                        continue;
                    }
                    for (int i = 1; i < p.bodies().length; i++) {
                        StoreRows.bindEvent(rest, a.runId(), a.expectedSeq() + i, a.events().get(i), p.bodies()[i]);
                        rest.addBatch();
                        restRows++;
                    }
                    if (needsSummary(a)) {
                        summaries.put(a.runId(), new RunStatusAt(a.expectedSeq() + a.events().size(), a.status()));
                    }
                }
                deleteRuns(c, orphanRuns);
                if (restRows > 0) {
                    // Before the next round: its fence looks for these rows, and each run's positions follow its seqs.
                    restRows = 0;
                    rest.executeBatch(); // one multi-row insert per 128 rows (reWriteBatchedInserts)
                }
            }
        }
        updateSummaries(c, summaries);
        return fenced;
    }

    private record RunStatusAt(long seq, RunStatus status) {}

    /** As on SQLite: the row follows final states, the in-doubt wait and its release at once, the rest every 32 events. */
    private static boolean needsSummary(Append a) {
        RunStatus status = a.status();
        long newSeq = a.expectedSeq() + a.events().size();
        return a.expectedSeq() > 0 && (status.state().isFinal() || status.state().awaitsHuman()
                || a.events().getFirst() instanceof RunEvent.ToolCallResolved
                || a.events().getFirst() instanceof RunEvent.ApprovalDecided
                || newSeq / SUMMARY_EVERY != a.expectedSeq() / SUMMARY_EVERY);
    }

    /**
     * The second fence, for appends that carry an owner: the run ids whose row still names that
     * node and owner epoch. The rows are share-locked until the batch commits, so a claim that
     * takes a run over either commits first (and this append is fenced) or waits for this batch.
     */
    private static Set<String> ownersHolding(Connection c, List<Pending> owned) throws SQLException {
        Set<String> holding = new HashSet<>();
        if (owned.isEmpty()) {
            return holding;
        }
        StringBuilder sql = new StringBuilder("SELECT r.run_id FROM runs r JOIN (VALUES ");
        for (int i = 0; i < owned.size(); i++) {
            sql.append(i == 0 ? "" : ",").append("(?::text,?::text,?::bigint)");
        }
        sql.append(") AS v(r, n, e) ON r.run_id = v.r WHERE r.owner_node = v.n AND r.owner_epoch = v.e"
                + " ORDER BY r.run_id FOR SHARE OF r");
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int k = 0;
            for (Pending p : owned) {
                Journal.Owner owner = p.append().owner().orElseThrow();
                ps.setString(++k, p.append().runId());
                ps.setString(++k, owner.node());
                ps.setLong(++k, owner.epoch());
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    holding.add(rs.getString(1));
                }
            }
        }
        return holding;
    }

    /** Inserts the runs rows of first appends; returns the run ids inserted (the others exist: fenced). */
    private static Set<String> insertRuns(Connection c, List<Pending> starts) throws SQLException {
        Set<String> inserted = new HashSet<>();
        if (starts.isEmpty()) {
            return inserted;
        }
        StringBuilder sql = new StringBuilder("INSERT INTO runs(run_id, execution, fleet, task, agent, seq, state, steps,"
                + " model_calls, tokens, cost, updated_at, detail, owner_node, owner_epoch) VALUES ");
        for (int i = 0; i < starts.size(); i++) {
            sql.append(i == 0 ? "" : ",").append("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        }
        sql.append(" ON CONFLICT (run_id) DO NOTHING RETURNING run_id");
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int k = 1;
            for (Pending p : starts) {
                Append a = p.append();
                var started = (RunEvent.RunStarted) a.events().getFirst();
                ps.setString(k++, a.runId());
                ps.setString(k++, started.execution());
                ps.setString(k++, started.fleet());
                ps.setString(k++, started.task());
                ps.setString(k++, started.agent());
                k = StoreRows.bindStatus(ps, k, a.events().size(), a.status());
                ps.setString(k++, a.owner().map(Journal.Owner::node).orElse(null)); // a run started by a node is its own
                ps.setLong(k++, a.owner().map(Journal.Owner::epoch).orElse(0L));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    inserted.add(rs.getString(1));
                }
            }
        }
        return inserted;
    }

    /** The fence: inserts each append's first event if its seq is free and its predecessor exists; returns their run ids. */
    private static Set<String> insertFirstEvents(Connection c, List<Pending> live) throws SQLException {
        Set<String> inserted = new HashSet<>();
        if (live.isEmpty()) {
            return inserted;
        }
        StringBuilder sql = new StringBuilder("INSERT INTO events(run_id, seq, type, at, body) SELECT v.r, v.s, v.t, v.a, v.b FROM (VALUES ");
        for (int i = 0; i < live.size(); i++) {
            sql.append(i == 0 ? "" : ",").append("(?::text,?::bigint,?::text,?::bigint,?::text)");
        }
        sql.append(") AS v(r, s, t, a, b) WHERE v.s = 0 OR EXISTS (SELECT 1 FROM events e WHERE e.run_id = v.r AND e.seq = v.s - 1)"
                + " ON CONFLICT (run_id, seq) DO NOTHING RETURNING run_id");
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int k = 0;
            for (Pending p : live) {
                Append a = p.append();
                RunEvent e = a.events().getFirst();
                ps.setString(++k, a.runId());
                ps.setLong(++k, a.expectedSeq());
                ps.setString(++k, EventCodec.typeName(e));
                ps.setLong(++k, e.at());
                ps.setString(++k, p.bodies()[0]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    inserted.add(rs.getString(1));
                }
            }
        }
        return inserted;
    }

    private static void deleteRuns(Connection c, List<String> runIds) throws SQLException {
        if (runIds.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM runs WHERE run_id = ?")) {
            for (String id : runIds) {
                ps.setString(1, id);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void updateSummaries(Connection c, Map<String, RunStatusAt> summaries) throws SQLException {
        if (summaries.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE runs SET seq=?, state=?, steps=?, model_calls=?, tokens=?, cost=?, updated_at=?, detail=? WHERE run_id=?")) {
            for (var e : summaries.entrySet()) {
                int k = StoreRows.bindStatus(ps, 1, e.getValue().seq(), e.getValue().status());
                ps.setString(k, e.getKey());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Audit records after the batch's events, chained from the table's tail under an advisory lock. */
    static void writeAudit(Connection c, AuditSql audit, List<Pending> batch, Set<Pending> fenced) throws SQLException {
        boolean any = false;
        for (Pending p : batch) {
            if (!p.audit().isEmpty() && !fenced.contains(p)) {
                if (!any) {
                    any = true;
                    try (Statement s = c.createStatement()) {
                        s.execute("SELECT pg_advisory_xact_lock(hashtext('myriad.audit:' || current_schema()))");
                    }
                    audit.forget();
                }
                audit.append(p.audit());
            }
        }
        if (any) {
            audit.flush();
        }
    }

}
