package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.audit.AuditEntry;
import io.myriad.core.audit.AuditRecord;
import io.myriad.core.auth.TenantScope;
import io.myriad.core.control.Scope;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository.Execution;
import io.myriad.core.journal.RunRepository.RunRow;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.model.Message;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.Usage;
import io.myriad.core.run.RunFold;
import io.myriad.core.run.RunState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What every store (SQLite, PostgreSQL) answers alike about runs, executions, the audit log and
 * the live tail: listings page by keyset in {@code (updated_at, run_id)} order, counts and
 * tallies, scopes of tenants and of controls, and the tail's positions. The same assertions run
 * on each store; a store's test supplies a fresh, empty one.
 */
abstract class QueryStoreContract<S extends Store> {
    private static final TenantScope ALPHA = TenantScope.only(Set.of("alpha"));
    private static final TenantScope BETA = TenantScope.only(Set.of("beta"));
    private static final TenantScope NONE = TenantScope.only(Set.of());

    /** A new store on a new, empty database; closed by the test. */
    protected abstract S newStore();

    /** One run as the fill wrote it. */
    private record Made(String runId, String execution, String tenant, String fleet, String agent, RunState state,
            long updatedAt, long tokens, double cost) {}

    private static RunStatus status(RunState state, long updatedAt, long tokens, double cost, String detail) {
        return new RunStatus(state, 2, 1, tokens, cost, updatedAt, detail);
    }

    private static CompletableFuture<Void> start(Store s, String execution, String fleet, String runId, String agent,
            RunStatus status) {
        String task = runId.substring(runId.indexOf(':') + 1);
        return s.append(new Journal.Append(runId, 0,
                List.of(new RunEvent.RunStarted(1_000, fleet, execution, task, agent, "input of " + task, "m")), status));
    }

    /**
     * Four executions (fa-1, fa-2 of alpha; fb-1, fb-2 of beta) and {@code n} runs spread over
     * them: writer for even x, reader for odd; FAILED when x % 7 == 0, else SUCCEEDED; updated at
     * x / 3 (ties broken by run id).
     */
    private static List<Made> fill(Store s, int n) {
        List<Execution> execs = List.of(
                s.createExecution("alpha", "fa", "d", "s", n, 10),
                s.createExecution("beta", "fb", "d", "s", n, 20),
                s.createExecution("alpha", "fa", "d", "s", n, 30),
                s.createExecution("beta", "fb", "d", "s", n, 40));
        List<Made> made = new ArrayList<>();
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (int x = 1; x <= n; x++) {
            Execution e = execs.get(x % 4);
            String runId = e.id() + ":t" + x;
            String agent = x % 2 == 0 ? "writer" : "reader";
            RunState state = x % 7 == 0 ? RunState.FAILED : RunState.SUCCEEDED;
            Made m = new Made(runId, e.id(), e.tenant(), e.fleet(), agent, state, x / 3, x, x / 4.0);
            made.add(m);
            pending.add(start(s, e.id(), e.fleet(), runId, agent, status(state, m.updatedAt(), m.tokens(), m.cost(), "detail " + x)));
        }
        pending.forEach(CompletableFuture::join);
        return made;
    }

    /** The page order: newest first, then run id descending (code point order). */
    private static final Comparator<Made> PAGE_ORDER = Comparator.comparingLong(Made::updatedAt)
            .thenComparing(Made::runId).reversed();

    private static List<String> allPages(Store s, RunQuery q, TenantScope scope, int[] pages) {
        List<String> seen = new ArrayList<>();
        Store.RunPage page = s.runsPage(q, scope);
        pages[0] = 1;
        while (true) {
            page.runs().forEach(r -> seen.add(r.runId()));
            assertThat(page.runs().size()).isLessThanOrEqualTo(q.limit());
            if (page.next().isEmpty()) {
                return seen;
            }
            RunRow last = page.runs().getLast();
            assertThat(page.next().get()).isEqualTo(new RunQuery.Key(last.status().updatedAt(), last.runId()));
            page = s.runsPage(q.after(page.next().get()), scope);
            pages[0]++;
        }
    }

    private static List<String> expected(List<Made> made, Predicate<Made> filter) {
        return made.stream().filter(filter).sorted(PAGE_ORDER).map(Made::runId).toList();
    }

    @Test
    void pagesCoverEveryMatchingRunOnceInKeyOrder() {
        try (S s = newStore()) {
            List<Made> made = fill(s, 400);
            int[] pages = new int[1];

            List<String> writersOfAlpha = expected(made, m -> m.tenant().equals("alpha") && m.agent().equals("writer")
                    && m.state() == RunState.SUCCEEDED);
            assertThat(writersOfAlpha).hasSizeGreaterThan(50);
            assertThat(allPages(s, RunQuery.first(37).state(RunState.SUCCEEDED).agent("writer"), ALPHA, pages))
                    .containsExactlyElementsOf(writersOfAlpha);
            assertThat(pages[0]).isEqualTo((writersOfAlpha.size() + 36) / 37);

            assertThat(allPages(s, RunQuery.first(10).execution("fa-1"), TenantScope.ALL, pages))
                    .containsExactlyElementsOf(expected(made, m -> m.execution().equals("fa-1")));
            assertThat(allPages(s, RunQuery.first(7).fleet("fb").state(RunState.FAILED), BETA, pages))
                    .containsExactlyElementsOf(expected(made, m -> m.fleet().equals("fb") && m.state() == RunState.FAILED));
            assertThat(allPages(s, RunQuery.first(7).fleet("fb"), ALPHA, pages)).isEmpty();
            assertThat(allPages(s, RunQuery.first(1000), TenantScope.ALL, pages))
                    .containsExactlyElementsOf(expected(made, m -> true));
            assertThat(pages[0]).isEqualTo(1);

            // The text filter: a substring of run id, task or detail, ASCII case folded, % and _ taken literally.
            List<String> t19 = expected(made, m -> m.runId().contains("t19"));
            assertThat(t19).hasSize(11);
            assertThat(allPages(s, RunQuery.first(3).text("t19"), TenantScope.ALL, pages)).containsExactlyElementsOf(t19);
            assertThat(allPages(s, RunQuery.first(3).text("T19"), TenantScope.ALL, pages)).containsExactlyElementsOf(t19);
            assertThat(allPages(s, RunQuery.first(3).text("DETAIL 19"), TenantScope.ALL, pages)).containsExactlyElementsOf(t19);
            assertThat(s.runsPage(RunQuery.first(3).text("t1%"), TenantScope.ALL).runs()).isEmpty();
            assertThat(s.runsPage(RunQuery.first(3).text("t_9"), TenantScope.ALL).runs()).isEmpty();

            assertThat(s.runsPage(RunQuery.first(5), NONE).runs()).isEmpty();
            var k = made.stream().sorted(PAGE_ORDER).toList().get(100);
            assertThat(s.runsPage(RunQuery.first(2).after(new RunQuery.Key(k.updatedAt(), k.runId())), TenantScope.ALL).runs())
                    .extracting(RunRow::runId).containsExactlyElementsOf(expected(made, m -> true).subList(101, 103));
        }
    }

    @Test
    void recentRunsAndExecutionsAreTheNewestOfTheTenantsInScope() {
        try (S s = newStore()) {
            List<Made> made = fill(s, 60);
            Comparator<Made> recent = Comparator.comparingLong(Made::updatedAt).reversed().thenComparing(Made::runId);
            assertThat(s.recentRuns(5, TenantScope.ALL)).extracting(RunRow::runId)
                    .containsExactlyElementsOf(made.stream().sorted(recent).limit(5).map(Made::runId).toList());
            assertThat(s.recentRuns(5, BETA)).extracting(RunRow::runId).containsExactlyElementsOf(made.stream()
                    .filter(m -> m.tenant().equals("beta")).sorted(recent).limit(5).map(Made::runId).toList());
            assertThat(s.recentRuns(5, BETA)).allSatisfy(r -> assertThat(r.tenant()).isEqualTo("beta"));
            assertThat(s.recentRuns(5, NONE)).isEmpty();

            assertThat(s.executions(10, TenantScope.ALL)).extracting(Execution::id).containsExactly("fb-2", "fa-2", "fb-1", "fa-1");
            assertThat(s.executions(1, TenantScope.ALL)).extracting(Execution::id).containsExactly("fb-2");
            assertThat(s.executions(10, ALPHA)).extracting(Execution::id).containsExactly("fa-2", "fa-1");
            assertThat(s.executions(10, ALPHA)).allSatisfy(e -> assertThat(e.tenant()).isEqualTo("alpha"));
            assertThat(s.executions(10, TenantScope.only(Set.of("alpha", "beta")))).hasSize(4);
            assertThat(s.executions(10, NONE)).isEmpty();
        }
    }

    @Test
    void countsAndTallyOfAnExecutionSumItsRuns() {
        try (S s = newStore()) {
            List<Made> made = fill(s, 100);
            List<Made> of = made.stream().filter(m -> m.execution().equals("fb-1")).toList();
            long failed = of.stream().filter(m -> m.state() == RunState.FAILED).count();
            start(s, "fb-1", "fb", "fb-1:live", "w", status(RunState.AWAITING_MODEL, 5, 7, 0.5, "")).join();

            assertThat(s.runCounts("fb-1")).isEqualTo(new Store.RunCounts(of.size() + 1, of.size()));
            assertThat(s.runStateCounts("fb-1")).containsExactlyInAnyOrderEntriesOf(Map.of(
                    RunState.SUCCEEDED, of.size() - failed, RunState.FAILED, failed, RunState.AWAITING_MODEL, 1L));
            Store.ExecutionTally tally = s.executionTally("fb-1");
            assertThat(tally.byState()).isEqualTo(s.runStateCounts("fb-1"));
            assertThat(tally.tokens()).isEqualTo(of.stream().mapToLong(Made::tokens).sum() + 7);
            assertThat(tally.costUsd()).isCloseTo(of.stream().mapToDouble(Made::cost).sum() + 0.5,
                    org.assertj.core.data.Offset.offset(1e-9));

            assertThat(s.runCounts("nothing-1")).isEqualTo(new Store.RunCounts(0, 0));
            assertThat(s.runStateCounts("nothing-1")).isEmpty();
            assertThat(s.executionTally("nothing-1")).isEqualTo(new Store.ExecutionTally(Map.of(), 0, 0));
        }
    }

    @Test
    void runsInAStateAreListedByRunIdOrNewestFirstInScope() {
        try (S s = newStore()) {
            List<Made> made = fill(s, 100);
            List<String> failedById = made.stream().filter(m -> m.state() == RunState.FAILED).map(Made::runId).sorted().toList();
            assertThat(s.runsInState(RunState.FAILED, null, 100)).extracting(RunRow::runId).containsExactlyElementsOf(failedById);
            assertThat(s.runsInState(RunState.FAILED, null, 3)).extracting(RunRow::runId)
                    .containsExactlyElementsOf(failedById.subList(0, 3));
            assertThat(s.runsInState(RunState.FAILED, "fa-2", 100)).extracting(RunRow::runId)
                    .containsExactlyElementsOf(failedById.stream().filter(id -> id.startsWith("fa-2:")).toList());
            assertThat(s.runsInState(RunState.IN_DOUBT, null, 100)).isEmpty();

            assertThat(s.runsInState(RunState.FAILED, null, 100, ALPHA)).extracting(RunRow::runId).containsExactlyElementsOf(
                    expected(made, m -> m.state() == RunState.FAILED && m.tenant().equals("alpha")));
            assertThat(s.runsInState(RunState.FAILED, "fb-1", 100, TenantScope.ALL)).extracting(RunRow::runId)
                    .containsExactlyElementsOf(expected(made, m -> m.state() == RunState.FAILED && m.execution().equals("fb-1")));
            assertThat(s.runsInState(RunState.FAILED, "fb-1", 100, ALPHA)).isEmpty();
        }
    }

    @Test
    void runsInAStateOfOneTenantAreFoundBehindAnotherTenantsBacklog() {
        try (S s = newStore()) {
            Execution a = s.createExecution("alpha", "f", "d", "s", 150, 1);
            Execution b = s.createExecution("beta", "g", "d", "s", 1, 2);
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            // 150 of alpha's runs wait for an approval, newer than beta's one.
            for (int i = 0; i < 150; i++) {
                pending.add(start(s, a.id(), "f", a.id() + ":t" + i, "w", status(RunState.AWAITING_APPROVAL, 1000 + i, 1, 0, "")));
            }
            pending.add(start(s, b.id(), "g", b.id() + ":t0", "w", status(RunState.AWAITING_APPROVAL, 5, 1, 0, "")));
            pending.forEach(CompletableFuture::join);
            assertThat(s.runsInState(RunState.AWAITING_APPROVAL, null, 100, BETA)).extracting(RunRow::runId)
                    .containsExactly("g-1:t0");
            assertThat(s.runsInState(RunState.AWAITING_APPROVAL, null, 100, TenantScope.ALL)).hasSize(100);
        }
    }

    @Test
    void unfinishedRunsAreTheRunsAControlScopeCoversThatAreNotFinal() {
        try (S s = newStore()) {
            Execution a = s.createExecution("alpha", "f", "d", "s", 3, 1);
            Execution b = s.createExecution("beta", "f", "d", "s", 3, 2);
            start(s, a.id(), "f", a.id() + ":t1", "w", status(RunState.ACTING, 1, 1, 0, "")).join();
            start(s, a.id(), "f", a.id() + ":t2", "w", status(RunState.SUCCEEDED, 1, 1, 0, "")).join();
            start(s, a.id(), "f", a.id() + ":t3", "w", status(RunState.IN_DOUBT, 1, 1, 0, "")).join();
            start(s, b.id(), "f", b.id() + ":t1", "w", status(RunState.AWAITING_MODEL, 1, 1, 0, "")).join();
            start(s, b.id(), "f", b.id() + ":t2", "w", status(RunState.CANCELLED, 1, 1, 0, "")).join();
            start(s, "loose-1", "f", "loose-1:t1", "w", status(RunState.ACTING, 1, 1, 0, "")).join();

            assertThat(s.unfinishedRuns(new Scope.All())).extracting(RunRow::runId)
                    .containsExactly("f-1:t1", "f-1:t3", "f-2:t1", "loose-1:t1");
            assertThat(s.unfinishedRuns(new Scope.Tenant("alpha"))).extracting(RunRow::runId).containsExactly("f-1:t1", "f-1:t3");
            assertThat(s.unfinishedRuns(new Scope.Tenant("default"))).extracting(RunRow::runId).containsExactly("loose-1:t1");
            assertThat(s.unfinishedRuns(new Scope.Fleet("beta", "f"))).extracting(RunRow::runId).containsExactly("f-2:t1");
            assertThat(s.unfinishedRuns(new Scope.Fleet("beta", "other"))).isEmpty();
            assertThat(s.unfinishedRuns(new Scope.Run("f-1:t3"))).extracting(RunRow::runId).containsExactly("f-1:t3");
            assertThat(s.unfinishedRuns(new Scope.Run("f-1:t2"))).isEmpty();
        }
    }

    @Test
    void auditRecordsAreReadByNumberAndNewestFirstInScope() {
        try (S s = newStore()) {
            List<AuditEntry> entries = IntStream.range(0, 9)
                    .mapToObj(i -> new AuditEntry(100 + i, i % 3 == 0 ? "beta" : "alpha", "k", "act" + i, "s" + i, "{}")).toList();
            s.appendAudit(entries).join();
            AuditRecord fourth = s.auditRecord(4).orElseThrow();
            assertThat(fourth.seq()).isEqualTo(4);
            assertThat(fourth.entry()).isEqualTo(entries.get(3));
            assertThat(fourth.prev()).isEqualTo(s.auditRecord(3).orElseThrow().hash());
            assertThat(s.auditRecord(10)).isEmpty();
            assertThat(s.auditRecord(0)).isEmpty();

            assertThat(s.latestAudit(3, TenantScope.ALL)).extracting(AuditRecord::seq).containsExactly(9L, 8L, 7L);
            assertThat(s.latestAudit(10, BETA)).extracting(AuditRecord::seq).containsExactly(7L, 4L, 1L);
            assertThat(s.latestAudit(2, ALPHA)).extracting(AuditRecord::seq).containsExactly(9L, 8L);
            assertThat(s.latestAudit(10, NONE)).isEmpty();
        }
    }

    @Test
    void sizeCountsTheEventsAndTheirCharacters() {
        try (S s = newStore()) {
            assertThat(s.size()).isEqualTo(new Store.Size(0, 0));
            fill(s, 10);
            Store.Size ten = s.size();
            assertThat(ten.events()).isEqualTo(10);
            assertThat(ten.bytes()).isGreaterThan(10 * 50);
            s.append(new Journal.Append("fa-1:t4", 1, List.of(new RunEvent.ModelRetried(2_000, 1, "x", 0)),
                    status(RunState.AWAITING_MODEL, 9, 1, 0, ""))).join();
            String body = io.myriad.core.journal.EventCodec.encode(new RunEvent.ModelRetried(2_000, 1, "x", 0));
            assertThat(s.size()).isEqualTo(new Store.Size(11, ten.bytes() + body.length()));
        }
    }

    @Test
    void theTailReadsEveryEventOnceInPositionOrderWithItsRun() {
        try (S s = newStore()) {
            assertThat(s.eventsHead()).isZero();
            assertThat(s.eventsAfter(0, 10)).isEmpty();
            assertThat(s.runsByState()).isEmpty();
            assertThatThrownBy(() -> s.eventsAfter(0, 0)).isInstanceOf(IllegalArgumentException.class);

            List<Made> made = fill(s, 12);
            start(s, "loose-1", "lf", "loose-1:t1", "solo", status(RunState.ACTING, 1, 1, 0, "")).join();
            for (int i = 0; i < 3; i++) {
                s.append(new Journal.Append("fa-1:t4", 1 + 2L * i, List.of(new RunEvent.ModelRetried(2_000 + i, 1, "x", 0),
                        new RunEvent.ModelRetried(2_000 + i, 2, "y", 0)), status(RunState.SUCCEEDED, 9, 4, 0, ""))).join();
            }
            List<Store.TailRow> all = s.eventsAfter(0, 1_000);
            assertThat(all).hasSize(12 + 1 + 6);
            assertThat(s.eventsHead()).isEqualTo(all.getLast().rowid());
            for (int i = 1; i < all.size(); i++) {
                assertThat(all.get(i).rowid()).isGreaterThan(all.get(i - 1).rowid());
            }
            assertThat(all.stream().filter(r -> r.runId().equals("fa-1:t4")).map(Store.TailRow::seq).toList())
                    .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
            Store.TailRow first = all.stream().filter(r -> r.runId().equals("fb-2:t3")).findFirst().orElseThrow();
            assertThat(first).satisfies(r -> {
                assertThat(r.seq()).isZero();
                assertThat(r.type()).isEqualTo("run_started");
                assertThat(r.at()).isEqualTo(1_000);
                assertThat(io.myriad.core.journal.EventCodec.decode(r.body())).isInstanceOf(RunEvent.RunStarted.class);
                assertThat(r.tenant()).isEqualTo("beta");
                assertThat(r.fleet()).isEqualTo("fb");
                assertThat(r.execution()).isEqualTo("fb-2");
                assertThat(r.agent()).isEqualTo("reader");
            });
            Store.TailRow loose = all.stream().filter(r -> r.runId().equals("loose-1:t1")).findFirst().orElseThrow();
            assertThat(List.of(loose.tenant(), loose.fleet(), loose.execution(), loose.agent()))
                    .containsExactly("default", "lf", "loose-1", "solo");

            // Following the tail a few rows at a time yields the same rows.
            List<Store.TailRow> followed = new ArrayList<>();
            long cursor = 0;
            while (true) {
                List<Store.TailRow> next = s.eventsAfter(cursor, 4);
                if (next.isEmpty()) {
                    break;
                }
                assertThat(next).hasSizeLessThanOrEqualTo(4);
                followed.addAll(next);
                cursor = next.getLast().rowid();
            }
            assertThat(followed).isEqualTo(all);
            assertThat(s.eventsAfter(s.eventsHead(), 10)).isEmpty();
            assertThat(s.eventsAfter(all.get(16).rowid(), 10)).isEqualTo(all.subList(17, 19));

            Map<Store.TenantState, Long> expected = new HashMap<>();
            for (Made m : made) {
                RunState st = m.runId().equals("fa-1:t4") ? RunState.SUCCEEDED : m.state();
                expected.merge(new Store.TenantState(m.tenant(), st), 1L, Long::sum);
            }
            expected.merge(new Store.TenantState("default", RunState.ACTING), 1L, Long::sum);
            assertThat(s.runsByState()).containsExactlyInAnyOrderEntriesOf(expected);
        }
    }

    @Test
    void appendsOfOneRunQueuedTogetherAreAllWrittenAndTailedInSeqOrder() {
        try (S s = newStore()) {
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            long seq = 0;
            for (int i = 0; i < 20; i++) {
                List<RunEvent> events = new ArrayList<>();
                if (i == 0) {
                    events.add(new RunEvent.RunStarted(1, "q", "q-1", "t", "a", "in", "m"));
                }
                events.add(new RunEvent.ModelRetried(2 + i, 1, "x", 0));
                events.add(new RunEvent.ModelRetried(2 + i, 2, "y", 0));
                pending.add(s.append(new Journal.Append("q-1:t", seq, events, status(RunState.ACTING, 2 + i, 1, 0, ""))));
                seq += events.size();
            }
            pending.forEach(CompletableFuture::join);
            assertThat(s.read("q-1:t")).hasSize((int) seq);
            assertThat(s.eventsAfter(0, 1_000)).extracting(Store.TailRow::seq)
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, seq).boxed().toList());
        }
    }

    /**
     * The summary row is rewritten only every 32 events, except where readers depend on it at
     * once: final states, a run entering the wait for a person, and the decision that releases it
     * (resume and {@code runs ls --state in_doubt} read them from the row).
     */
    @Test
    void enteringAndLeavingTheInDoubtWaitIsVisibleInTheRowAtOnce() {
        try (S store = newStore()) {
            RunFold fold = new RunFold();
            List<RunEvent> events = new ArrayList<>(List.of(
                    new RunEvent.RunStarted(1, "f", "f-1", "t1", "a", "in", "m"),
                    new RunEvent.ModelResponded(2, new Message.Assistant("", List.of(new ToolCall("c1", "pay", "{}"))),
                            new Usage(1, 1), 0, 1, "m"),
                    new RunEvent.ToolCallStarted(3, "c1", "pay", "f-1/t1/m1/c0")));
            append(store, fold, events);
            append(store, fold, List.of(new RunEvent.ToolCallInDoubt(4, "c1", "pay", "f-1/t1/m1/c0", "unknown")));
            assertThat(store.run("f-1:t1").orElseThrow().status().state()).isEqualTo(RunState.IN_DOUBT);
            assertThat(store.runsInState(RunState.IN_DOUBT, "f-1", 10)).extracting(RunRow::runId).containsExactly("f-1:t1");
            assertThat(store.runsInState(RunState.IN_DOUBT, "other", 10)).isEmpty();

            append(store, fold, List.of(new RunEvent.ToolCallResolved(5, "c1", "retry", "", "human:x", "")));
            assertThat(store.run("f-1:t1").orElseThrow().status().state()).isEqualTo(RunState.ACTING);
            assertThat(store.runsInState(RunState.IN_DOUBT, null, 10)).isEmpty();
        }
    }

    private static void append(Store store, RunFold fold, List<RunEvent> events) {
        long expected = fold.seq();
        events.forEach(fold::apply);
        store.append(new Journal.Append("f-1:t1", expected, events, fold.status())).join();
    }
}
