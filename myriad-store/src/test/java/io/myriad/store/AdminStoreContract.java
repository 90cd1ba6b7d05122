package io.myriad.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.MyriadException;
import io.myriad.core.auth.AccessDenied;
import io.myriad.core.auth.AccessStore;
import io.myriad.core.auth.ApiKeys;
import io.myriad.core.auth.Authenticator;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.auth.Role;
import io.myriad.core.auth.TenantScope;
import io.myriad.core.budget.BudgetStore.Spend;
import io.myriad.core.budget.Ceilings;
import io.myriad.core.control.Action;
import io.myriad.core.control.Control;
import io.myriad.core.control.Scope;
import io.myriad.core.delivery.Delivery;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.message.Mailbox;
import io.myriad.core.message.MailboxException;
import io.myriad.core.message.Message;
import io.myriad.core.message.MessageLimits;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.Usage;
import io.myriad.core.run.DuplicateTaskException;
import io.myriad.core.run.RunState;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every store (SQLite, PostgreSQL) guarantees beside the journal: keys and tenants, budgets,
 * operator controls, deliveries, submitted tasks and runs' inboxes. A store's test supplies a
 * fresh, empty store and a second store on the same database, as a second process or node would
 * open it.
 */
abstract class AdminStoreContract<S extends Store> {
    private static final TenantScope ALPHA = TenantScope.only(Set.of("alpha"));
    private static final InstantSource CLOCK = InstantSource.fixed(Instant.ofEpochMilli(1_000));

    /** A new store on a new, empty database; closed by the test. */
    protected abstract S newStore();

    /** A second store on the database of {@code store}. */
    protected abstract S openAgain(S store);

    private static void start(Store s, String runId) {
        String execution = runId.substring(0, runId.indexOf(':'));
        s.append(new Journal.Append(runId, 0, List.of(new RunEvent.RunStarted(1, execution.substring(0, execution.lastIndexOf('-')),
                execution, runId.substring(runId.indexOf(':') + 1), "a", "in", "m")),
                new RunStatus(RunState.AWAITING_MODEL, 1, 0, 0, 1, ""))).join();
    }

    private static <T> List<T> all(List<Future<T>> futures) throws Exception {
        List<T> out = new ArrayList<>();
        for (Future<T> f : futures) {
            out.add(f.get(60, TimeUnit.SECONDS));
        }
        return out;
    }

    // ---------------------------------------------------------------- keys and tenants

    @Test
    void aSingleUserInstallUntilTheFirstKeyThenKeysOnly() {
        try (S s = newStore()) {
            Authenticator auth = new Authenticator(s);
            assertThat(auth.authenticate(null, "alice").kind()).isEqualTo(Principal.Kind.IMPLICIT_OWNER);

            ApiKeys.Issued k = ApiKeys.issue();
            s.createKey(new AccessStore.KeyRow(k.id(), "ann", k.hash(),
                    Map.of("acme", EnumSet.of(Role.OPERATOR, Role.APPROVER)), 10, "local:alice", 0));
            assertThat(s.hasActiveKeys()).isTrue();
            assertThatThrownBy(() -> auth.authenticate(null, "alice")).isInstanceOf(AccessDenied.class)
                    .hasMessageContaining("pass --api-key");
            Principal ann = auth.authenticate(k.key(), "alice");
            assertThat(ann.id()).isEqualTo("key:" + k.id());
            assertThat(ann.grants()).isEqualTo(Map.of("acme", Set.of(Role.OPERATOR, Role.APPROVER)));
            assertThat(ann.can(Permission.APPROVE, "acme")).isTrue();

            assertThat(s.revokeKey(k.id(), 20)).isTrue();
            assertThat(s.revokeKey(k.id(), 30)).as("only once").isFalse();
            assertThat(s.revokeKey("nobody", 30)).as("an unknown key").isFalse();
            assertThatThrownBy(() -> auth.authenticate(k.key(), "alice")).hasMessage("unknown or revoked API key");
            assertThat(s.hasActiveKeys()).as("revoked keys do not count").isFalse();
            assertThat(s.key(k.id()).orElseThrow().revokedAt()).isEqualTo(20);
        }
    }

    @Test
    void keysAreListedNewestFirstWithTheirGrantsAndAKeyIsStoredWhollyOrNotAtAll() {
        try (S s = newStore()) {
            s.createKey(new AccessStore.KeyRow("k1", "one", "h1", Map.of("b", EnumSet.of(Role.VIEWER), "a",
                    EnumSet.of(Role.OWNER, Role.OPERATOR)), 10, "local:x", 0));
            s.createKey(new AccessStore.KeyRow("k2", "two", "h2", Map.of(), 20, "key:k1", 0));
            s.createKey(new AccessStore.KeyRow("k0", "zero", "h0", Map.of("a", EnumSet.of(Role.VIEWER)), 20, "local:x", 0));

            assertThat(s.keys()).extracting(AccessStore.KeyRow::id).containsExactly("k0", "k2", "k1");
            AccessStore.KeyRow one = s.keyByHash("h1").orElseThrow();
            assertThat(one).isEqualTo(new AccessStore.KeyRow("k1", "one", "h1", Map.of("a", Set.of(Role.OWNER, Role.OPERATOR),
                    "b", Set.of(Role.VIEWER)), 10, "local:x", 0));
            assertThat(one.grants().keySet()).containsExactly("a", "b");
            assertThat(s.key("k2").orElseThrow().grants()).isEmpty();
            assertThat(s.keyByHash("nope")).isEmpty();
            assertThat(s.key("nope")).isEmpty();

            // Same hash as k1: refused, and the new key's grants are not left behind.
            assertThatThrownBy(() -> s.createKey(new AccessStore.KeyRow("k3", "three", "h1",
                    Map.of("c", EnumSet.of(Role.OWNER)), 30, "local:x", 0)))
                    .isInstanceOf(MyriadException.class).hasMessageStartingWith("cannot store the key k3");
            assertThat(s.key("k3")).isEmpty();
            s.createKey(new AccessStore.KeyRow("k3", "three", "h3", Map.of(), 30, "local:x", 0));
            assertThat(s.key("k3").orElseThrow().grants()).as("no grant of the failed attempt").isEmpty();
        }
    }

    /**
     * Many requests authenticating at once, more than the store has connections: reading a key's
     * grants once held a connection while waiting for another, and two such reads deadlocked.
     */
    @Test
    void manyConcurrentKeyLookupsAllFinish() throws Exception {
        try (S s = newStore()) {
            ApiKeys.Issued k = ApiKeys.issue();
            s.createKey(new AccessStore.KeyRow(k.id(), "ann", k.hash(), Map.of("acme", EnumSet.of(Role.OPERATOR)), 10, "local:a", 0));
            int threads = 16;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Integer>> lookups = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    lookups.add(pool.submit(() -> {
                        int found = 0;
                        for (int i = 0; i < 200; i++) {
                            found += s.keyByHash(k.hash()).map(r -> r.grants().size()).orElse(0);
                        }
                        return found;
                    }));
                }
                assertThat(all(lookups)).as("every lookup found the key and its grant").containsOnly(200).hasSize(threads);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void tenantsComeFromTheRegistryAndFromExecutions() {
        try (S s = newStore()) {
            assertThat(s.createTenant("acme", 5, "local:alice")).isTrue();
            assertThat(s.createTenant("acme", 6, "local:bob")).isFalse();
            assertThat(s.createTenant("Zed", 8, "local:bob")).isTrue();
            s.createExecution("beta", "f", "d", "f.yaml", 1, 7);
            s.createExecution("beta", "g", "d", "g.yaml", 1, 3);
            assertThat(s.tenants()).containsExactly(new AccessStore.TenantRow("Zed", 8, "local:bob"),
                    new AccessStore.TenantRow("acme", 5, "local:alice"), new AccessStore.TenantRow("beta", 3, ""));
            assertThat(s.unfinishedExecution("beta", "f")).isPresent();
            assertThat(s.unfinishedExecution("acme", "f")).as("the same fleet name in another tenant").isEmpty();
            assertThat(s.tenantOfRun("f-1:t1")).isEqualTo("beta");
            assertThat(s.tenantOfRun("nowhere-1:t1")).isEqualTo(Principal.DEFAULT_TENANT);
        }
    }

    // ---------------------------------------------------------------- budgets

    private static Ceilings ceilings(long tokens, double usd) {
        return new Ceilings(OptionalLong.of(tokens), OptionalDouble.of(usd), OptionalLong.empty(), OptionalLong.of(7),
                Optional.empty(), 0.5);
    }

    @Test
    void ceilingsAndPricesAreKeptAndReplaced() {
        try (S s = newStore()) {
            assertThat(s.tenantCeilings("alpha")).isEmpty();
            assertThat(s.allTenantCeilings()).isEmpty();
            s.setTenantCeilings("beta", ceilings(100, 1.5), 1);
            s.setTenantCeilings("alpha", ceilings(200, 2.5), 1);
            s.setTenantCeilings("alpha", Ceilings.NONE, 2);
            assertThat(s.tenantCeilings("alpha")).contains(Ceilings.NONE);
            assertThat(s.tenantCeilings("beta")).contains(ceilings(100, 1.5));
            assertThat(s.allTenantCeilings()).containsExactly(Map.entry("alpha", Ceilings.NONE), Map.entry("beta", ceilings(100, 1.5)));

            s.createExecution("alpha", "f", "d", "f.yaml", 1, 10);
            s.createExecution("alpha", "g", "d", "g.yaml", 1, 20);
            s.createExecution("beta", "h", "d", "h.yaml", 1, 30);
            Ceilings walled = new Ceilings(OptionalLong.empty(), OptionalDouble.empty(), OptionalLong.of(3), OptionalLong.empty(),
                    Optional.of(Duration.ofSeconds(90)), 0.9);
            s.setExecutionCeilings("g-1", ceilings(1, 1));
            s.setExecutionCeilings("g-1", walled);
            s.setExecutionCeilings("f-1", ceilings(5, 0.25));
            s.setExecutionCeilings("h-1", ceilings(6, 0.5));
            assertThat(s.executionCeilings("alpha")).containsExactly(Map.entry("f-1", ceilings(5, 0.25)), Map.entry("g-1", walled));
            assertThat(s.executionCeilings("gamma")).isEmpty();

            assertThat(s.priceOverrides()).isEmpty();
            s.setPrice("zeta", new ModelSpec.Pricing(1, 2), 1);
            s.setPrice("alpha-model", new ModelSpec.Pricing(3, 4), 1);
            s.setPrice("zeta", new ModelSpec.Pricing(0.5, 0.75), 2);
            assertThat(s.priceOverrides()).containsExactly(Map.entry("alpha-model", new ModelSpec.Pricing(3, 4)),
                    Map.entry("zeta", new ModelSpec.Pricing(0.5, 0.75)));
        }
        try (S s = newStore()) {
            assertThatThrownBy(() -> s.setTenantCeilings(null, Ceilings.NONE, 1)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> s.setPrice("m", null, 1)).isInstanceOf(NullPointerException.class);
        }
    }

    private static RunEvent.ModelResponded responded(String callId, long prompt, long completion, double cost) {
        return new RunEvent.ModelResponded(2, new io.myriad.core.model.Message.Assistant("", List.of(new ToolCall(callId, "fs.read", "{}"))),
                new Usage(prompt, completion), cost, 3, "m");
    }

    @Test
    void spendIsRecomputedFromTheJournaledEvents() {
        try (S s = newStore()) {
            s.createExecution("alpha", "f", "d", "f.yaml", 2, 1);
            s.createExecution("beta", "g", "d", "g.yaml", 1, 1);
            start(s, "f-1:t1");
            start(s, "f-1:t2");
            start(s, "g-1:t1");
            RunStatus acting = new RunStatus(RunState.ACTING, 1, 0, 0, 2, "");
            s.append(new Journal.Append("f-1:t1", 1, List.of(responded("c1", 10, 2, 0.25), new RunEvent.ToolCallStarted(3, "c1", "fs.read", "k1"),
                    new RunEvent.ToolCallCompleted(4, "c1", "ok", 1), responded("c2", 5, 1, 0.5),
                    new RunEvent.ToolCallStarted(5, "c2", "fs.read", "k2"), new RunEvent.ToolCallFailed(6, "c2", "no", 1)), acting)).join();
            s.append(new Journal.Append("f-1:t2", 1, List.of(responded("c1", 100, 0, 0.125)), acting)).join();
            s.append(new Journal.Append("g-1:t1", 1, List.of(responded("c1", 1, 1, 1.0), new RunEvent.ToolCallStarted(3, "c1", "fs.read", "k1"),
                    new RunEvent.ToolCallCompleted(4, "c1", "ok", 1)), acting)).join();

            assertThat(s.spendByExecution("alpha")).isEqualTo(Map.of("f-1", new Spend(118, 0.875, 5, 2)));
            assertThat(s.spendByExecution("beta")).isEqualTo(Map.of("g-1", new Spend(2, 1.0, 2, 1)));
            assertThat(s.spendByExecution("gamma")).isEmpty();
            assertThat(s.spendByTenant()).isEqualTo(Map.of("alpha", new Spend(118, 0.875, 5, 2), "beta", new Spend(2, 1.0, 2, 1)));
        }
    }

    // ---------------------------------------------------------------- controls

    @Test
    void controlsAreNumberedAndAPauseHoldsItsFleetUntilResumed() {
        try (S s = newStore()) {
            assertThat(s.head()).isZero();
            assertThat(s.since(0)).isEmpty();
            Scope fleet = new Scope.Fleet("alpha", "f");
            Control kill = s.record(10, "local:a", Action.KILL, new Scope.Run("f-1:t1"), "stuck");
            Control pause = s.record(11, "key:k", Action.PAUSE, fleet, "maintenance");
            s.record(12, "local:a", Action.KILL, new Scope.All(), "");
            assertThat(pause.seq()).isGreaterThan(kill.seq());
            assertThat(s.pause("alpha", "f")).contains(pause);
            assertThat(s.pause("beta", "f")).as("the same fleet name in another tenant").isEmpty();
            assertThat(s.pause("alpha", "g")).isEmpty();

            assertThatThrownBy(() -> s.record(13, "local:a", Action.PAUSE, new Scope.Tenant("alpha"), "x"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("applies to a fleet");
            assertThatThrownBy(() -> s.record(13, "local:a", Action.RESUME, new Scope.Run("f-1:t1"), "x"))
                    .isInstanceOf(IllegalArgumentException.class);

            Control again = s.record(14, "local:a", Action.PAUSE, fleet, "again");
            assertThat(s.pause("alpha", "f")).as("the latest pause holds it").contains(again);
            // A policy change of a paused fleet leaves it paused.
            Control policy = s.record(14, "local:a", Action.POLICY, fleet, "tighter");
            assertThat(s.pause("alpha", "f")).as("still paused after a policy change").contains(again);
            assertThatThrownBy(() -> s.record(14, "local:a", Action.POLICY, new Scope.Tenant("alpha"), "x"))
                    .isInstanceOf(IllegalArgumentException.class);
            Control resume = s.record(15, "local:a", Action.RESUME, fleet, "done");
            assertThat(s.pause("alpha", "f")).isEmpty();
            assertThat(s.head()).isEqualTo(resume.seq());

            List<Control> all = s.since(0);
            assertThat(all).extracting(Control::action).containsExactly(Action.KILL, Action.PAUSE, Action.KILL, Action.PAUSE,
                    Action.POLICY, Action.RESUME);
            assertThat(all.get(4)).isEqualTo(policy);
            assertThat(all.get(0)).isEqualTo(kill);
            assertThat(all.get(2).scope()).isEqualTo(new Scope.All());
            assertThat(all).extracting(Control::seq).isSorted().doesNotHaveDuplicates();
            assertThat(s.since(pause.seq())).extracting(Control::reason).containsExactly("", "again", "tighter", "done");
            assertThat(s.since(s.head())).isEmpty();
            try (S other = openAgain(s)) {
                assertThat(other.since(0)).isEqualTo(all);
                assertThat(other.pause("alpha", "f")).isEmpty();
            }
        }
    }

    /**
     * Two writers (two nodes) record controls while a third polls {@code since(cursor)} as every
     * node does: it sees every control, each once, in seq order, though it never looks below its
     * cursor. A seq that committed after a higher one would be skipped.
     */
    @Test
    void aReaderPollingSinceItsCursorNeverMissesAControlRecordedByConcurrentWriters() throws Exception {
        int perWriter = 150;
        try (S a = newStore(); S b = openAgain(a); S reader = openAgain(a)) {
            ExecutorService writers = Executors.newFixedThreadPool(4);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Integer>> done = new ArrayList<>();
                int w = 0;
                for (S s : List.of(a, b, a, b)) {
                    int n = w++;
                    done.add(writers.submit(() -> {
                        go.await();
                        for (int i = 0; i < perWriter; i++) {
                            s.record(i, "w" + n, Action.KILL, new Scope.Run("f-1:w" + n + "-" + i), "");
                        }
                        return perWriter;
                    }));
                }
                go.countDown();
                List<Long> seen = new ArrayList<>();
                long cursor = 0;
                while (!done.stream().allMatch(Future::isDone)) {
                    for (Control c : reader.since(cursor)) {
                        seen.add(c.seq());
                        cursor = c.seq();
                    }
                }
                all(done);
                for (Control c : reader.since(cursor)) {
                    seen.add(c.seq());
                }
                List<Long> stored = reader.since(0).stream().map(Control::seq).toList();
                assertThat(stored).hasSize(4 * perWriter);
                assertThat(seen).as("every control seen once, in order").isEqualTo(stored);
            } finally {
                writers.shutdownNow();
            }
        }
    }

    // ---------------------------------------------------------------- deliveries

    static Delivery delivery(String id, String tenant, String execution, String task, Delivery.Verdict verdict, long at) {
        boolean verified = verdict == Delivery.Verdict.VERIFIED;
        return new Delivery(id, execution + ":" + task, execution, tenant, task, "sim-model", verdict,
                "tests failed before and pass after", "fixed the off-by-one in parse()",
                verified ? Optional.of("myriad/" + task) : Optional.empty(),
                verified ? Optional.of("0123456789abcdef0123456789abcdef01234567") : Optional.empty(),
                verified ? Optional.of("/tmp/patches/" + task + ".patch") : Optional.empty(),
                verdict == Delivery.Verdict.REFUSED ? "" : "diff --git a/x.py b/x.py\n-a\n+b\n",
                List.of("x.py", "src/\"quoted\" ü.py"),
                List.of(new Delivery.Check("test_before", "pytest -q tests/test_x.py", 1, 1_234, false, "1 failed\n"),
                        new Delivery.Check("test_after", "pytest -q tests/test_x.py", 0, 987, true, "1 passed \u2713\n")),
                at);
    }

    private static List<String> ids(List<Delivery> deliveries) {
        return deliveries.stream().map(Delivery::id).toList();
    }

    @Test
    void everyFieldOfADeliverySurvivesTheRoundTripAndARecordIsReplacedById() {
        try (S s = newStore()) {
            Delivery verified = delivery("sub-1", "alpha", "fix-1", "t1", Delivery.Verdict.VERIFIED, 100);
            Delivery refused = new Delivery("sub-2", "fix-1:t2", "fix-1", "alpha", "t2", "m", Delivery.Verdict.REFUSED,
                    "empty diff", "", Optional.empty(), Optional.empty(), Optional.empty(), "", List.of(), List.of(), 101);
            s.record(verified);
            s.record(refused);
            assertThat(s.delivery("sub-1", TenantScope.ALL)).contains(verified);
            assertThat(s.delivery("sub-2", ALPHA)).contains(refused);

            Delivery again = delivery("sub-1", "alpha", "fix-1", "t1", Delivery.Verdict.UNVERIFIED, 200);
            s.record(again);
            assertThat(s.delivery("sub-1", ALPHA)).contains(again);
            assertThat(s.deliveries(TenantScope.ALL, Optional.empty(), Optional.empty(), 10)).hasSize(2);
            try (S other = openAgain(s)) {
                assertThat(other.delivery("sub-1", ALPHA).orElseThrow().verdict()).as("durable").isEqualTo(Delivery.Verdict.UNVERIFIED);
            }
            assertThatThrownBy(() -> s.deliveries(ALPHA, Optional.empty(), Optional.empty(), -1))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void deliveryListingsAreNewestFirstAndFilterByExecutionVerdictAndLimit() {
        try (S s = newStore()) {
            s.record(delivery("a", "alpha", "fix-1", "t1", Delivery.Verdict.VERIFIED, 10));
            s.record(delivery("b", "alpha", "fix-1", "t2", Delivery.Verdict.UNVERIFIED, 30));
            s.record(delivery("c", "alpha", "fix-2", "t1", Delivery.Verdict.VERIFIED, 20));
            s.record(delivery("d", "alpha", "fix-2", "t3", Delivery.Verdict.REFUSED, 40));
            s.record(delivery("e", "alpha", "fix-2", "t4", Delivery.Verdict.REFUSED, 40));

            assertThat(ids(s.deliveries(ALPHA, Optional.empty(), Optional.empty(), 10))).containsExactly("e", "d", "b", "c", "a");
            assertThat(ids(s.deliveries(ALPHA, Optional.of("fix-1"), Optional.empty(), 10))).containsExactly("b", "a");
            assertThat(ids(s.deliveries(ALPHA, Optional.empty(), Optional.of(Delivery.Verdict.VERIFIED), 10)))
                    .containsExactly("c", "a");
            assertThat(ids(s.deliveries(ALPHA, Optional.of("fix-2"), Optional.of(Delivery.Verdict.VERIFIED), 10)))
                    .containsExactly("c");
            assertThat(ids(s.deliveries(ALPHA, Optional.empty(), Optional.empty(), 2))).containsExactly("e", "d");
            assertThat(s.deliveries(ALPHA, Optional.empty(), Optional.empty(), 0)).isEmpty();
            assertThat(s.deliveries(ALPHA, Optional.of("nope-1"), Optional.empty(), 10)).isEmpty();
        }
    }

    @Test
    void aDeliveryOfAnotherTenantIsInvisible() {
        try (S s = newStore()) {
            s.record(delivery("mine", "alpha", "fa-1", "t1", Delivery.Verdict.VERIFIED, 10));
            s.record(delivery("theirs", "beta", "fb-1", "t1", Delivery.Verdict.VERIFIED, 20));

            assertThat(ids(s.deliveries(ALPHA, Optional.empty(), Optional.empty(), 10))).containsExactly("mine");
            assertThat(s.deliveries(ALPHA, Optional.of("fb-1"), Optional.empty(), 10)).isEmpty();
            assertThat(s.delivery("theirs", ALPHA)).isEmpty();
            assertThat(s.delivery("theirs", TenantScope.only(Set.of("beta", "gamma")))).isPresent();
            assertThat(s.delivery("mine", TenantScope.only(Set.of()))).isEmpty();
            assertThat(s.deliveries(TenantScope.only(Set.of()), Optional.empty(), Optional.empty(), 10)).isEmpty();
            assertThat(ids(s.deliveries(TenantScope.ALL, Optional.empty(), Optional.empty(), 10)))
                    .containsExactly("theirs", "mine");
        }
    }

    // ---------------------------------------------------------------- intake

    static TaskSpec task(String id) {
        return new TaskSpec(id, "a", "input " + id, 0);
    }

    @Test
    void submittedTasksAreKeptInOrderCountedAndReadAfterASeq() {
        try (S s = newStore()) {
            s.createExecution("default", "f", "d", "f.yaml", 0, 1);
            s.submitTasks("f-1", List.of(task("a"), task("b")));
            s.submitTasks("f-1", List.of(new TaskSpec("c", "a", "{\"x\":1}", 7)));
            assertThat(s.execution("f-1").orElseThrow().tasks()).isEqualTo(3);
            try (S other = openAgain(s)) {
                List<Store.SubmittedTask> all = other.submittedTasks("f-1", 0);
                assertThat(all).extracting(t -> t.task().id()).containsExactly("a", "b", "c");
                assertThat(all).extracting(Store.SubmittedTask::seq).containsExactly(1L, 2L, 3L);
                assertThat(all.get(2).task()).isEqualTo(new TaskSpec("c", "a", "{\"x\":1}", 7));
                assertThat(other.submittedTasks("f-1", 2)).extracting(t -> t.task().id()).containsExactly("c");
                assertThat(other.submittedTasks("f-2", 0)).isEmpty();
            }
        }
    }

    @Test
    void anIdUsedBeforeInTheExecutionIsRefusedAndNothingOfTheSubmissionIsKept() {
        try (S s = newStore()) {
            s.createExecution("default", "f", "d", "f.yaml", 1, 1);
            start(s, "f-1:t1");
            s.submitTasks("f-1", List.of(task("a")));

            assertThatThrownBy(() -> s.submitTasks("f-1", List.of(task("b"), task("a"), task("t1"))))
                    .isInstanceOfSatisfying(DuplicateTaskException.class, e -> assertThat(e.ids()).containsExactly("a", "t1"))
                    .hasMessageContaining("already has tasks a, t1");
            assertThatThrownBy(() -> s.submitTasks("f-1", List.of(task("c"), task("c"))))
                    .isInstanceOf(DuplicateTaskException.class);
            assertThat(s.submittedTasks("f-1", 0)).extracting(t -> t.task().id()).containsExactly("a");
            assertThat(s.execution("f-1").orElseThrow().tasks()).isEqualTo(2);
        }
    }

    /** Two processes submitting to one execution at once: every task kept, numbered 1..n without a gap or a repeat. */
    @Test
    void submissionsFromTwoStoresAtOnceAreNumberedWithoutGapsOrRepeats() throws Exception {
        int perWriter = 40;
        try (S a = newStore(); S b = openAgain(a)) {
            a.createExecution("default", "f", "d", "f.yaml", 0, 1);
            ExecutorService writers = Executors.newFixedThreadPool(4);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Integer>> done = new ArrayList<>();
                int w = 0;
                for (S s : List.of(a, b, a, b)) {
                    int n = w++;
                    done.add(writers.submit(() -> {
                        go.await();
                        for (int i = 0; i < perWriter; i++) {
                            s.submitTasks("f-1", List.of(task("w" + n + "-" + i)));
                        }
                        return perWriter;
                    }));
                }
                go.countDown();
                all(done);
            } finally {
                writers.shutdownNow();
            }
            List<Store.SubmittedTask> all = a.submittedTasks("f-1", 0);
            assertThat(all).extracting(Store.SubmittedTask::seq)
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 4 * perWriter).boxed().toList());
            assertThat(all).extracting(t -> t.task().id()).doesNotHaveDuplicates();
            assertThat(a.execution("f-1").orElseThrow().tasks()).isEqualTo(4 * perWriter);
        }
    }

    // ---------------------------------------------------------------- mailbox

    /** Executions alpha-1 (tenant alpha, runs t1 and t2 started) and beta-1 (tenant beta, run t1 started). */
    private S mailStore() {
        S s = newStore();
        s.createExecution("alpha", "alpha", "d", "a.yaml", 2, 1);
        s.createExecution("beta", "beta", "d", "b.yaml", 1, 1);
        start(s, "alpha-1:t1");
        start(s, "alpha-1:t2");
        start(s, "beta-1:t1");
        return s;
    }

    @Test
    void aSendMadeAgainWithTheSameKeyIsNotSentTwice() {
        try (S s = mailStore()) {
            Mailbox box = s.mailbox(MessageLimits.DEFAULTS, CLOCK);
            Message first = box.send("alpha-1:t1", "k1", "alpha-1:t2", "finding", "{\"x\":1}");
            Message again = box.send("alpha-1:t1", "k1", "alpha-1:t2", "finding", "{\"x\":1}");
            assertThat(again).isEqualTo(first);
            assertThat(first.tenant()).isEqualTo("alpha");
            assertThat(first.sentAt()).isEqualTo(1_000);
            assertThat(box.unread("alpha-1:t2")).isEqualTo(1);
            box.send("alpha-1:t1", "k2", "alpha-1:t2", "finding", "{\"x\":2}");
            assertThat(box.unread("alpha-1:t2")).isEqualTo(2);
        }
    }

    @Test
    void aReadMadeAgainReturnsTheSameMessagesAndTheCursorSurvivesAReopen() {
        try (S s = mailStore()) {
            Mailbox box = s.mailbox(MessageLimits.DEFAULTS, CLOCK);
            for (int i = 1; i <= 3; i++) {
                box.send("alpha-1:t1", "k" + i, "alpha-1:t2", "n", "{\"i\":" + i + "}");
            }
            List<Message> first = box.read("alpha-1:t2", "r1", 2);
            assertThat(first).extracting(Message::body).containsExactly("{\"i\":1}", "{\"i\":2}");
            box.send("alpha-1:t1", "k4", "alpha-1:t2", "n", "{\"i\":4}");
            assertThat(box.read("alpha-1:t2", "r1", 2)).isEqualTo(first);
            assertThat(box.unread("alpha-1:t2")).isEqualTo(2);
            assertThat(box.read("alpha-1:t1", "r1", 10)).as("another run's inbox").isEmpty();
            assertThatThrownBy(() -> box.read("alpha-1:t2", "r9", 0)).isInstanceOf(IllegalArgumentException.class);
            try (S other = openAgain(s)) {
                Mailbox again = other.mailbox(MessageLimits.DEFAULTS, CLOCK);
                assertThat(again.read("alpha-1:t2", "r1", 2)).extracting(Message::body).containsExactly("{\"i\":1}", "{\"i\":2}");
                assertThat(again.read("alpha-1:t2", "r2", 10)).extracting(Message::body).containsExactly("{\"i\":3}", "{\"i\":4}");
                assertThat(again.read("alpha-1:t2", "r3", 10)).isEmpty();
                assertThat(again.unread("alpha-1:t2")).isZero();
            }
        }
    }

    @Test
    void anotherTenantsRunAndANonexistentRunAreTheSameRefusal() {
        try (S s = mailStore()) {
            Mailbox box = s.mailbox(MessageLimits.DEFAULTS, CLOCK);
            String cross = refusal(box, "beta-1:t1");
            String missing = refusal(box, "gamma-1:t1");
            String notStarted = refusal(box, "beta-1:t9");
            assertThat(cross.replace("beta-1:t1", "X")).isEqualTo(missing.replace("gamma-1:t1", "X"))
                    .isEqualTo(notStarted.replace("beta-1:t9", "X"));
            assertThat(cross).doesNotContain("beta\"").doesNotContain("tenant beta");
            assertThat(refusal(box, "no-colon")).contains("no run 'no-colon'");
            assertThat(box.unread("beta-1:t1")).isZero();
            // A run of the sender's own execution that has not started yet may receive.
            assertThat(box.send("alpha-1:t1", "k9", "alpha-1:t3", "n", "{}").to()).isEqualTo("alpha-1:t3");
        }
    }

    private static String refusal(Mailbox box, String to) {
        try {
            box.send("alpha-1:t1", "k-" + to, to, "n", "{}");
        } catch (MailboxException e) {
            assertThat(e.kind()).isEqualTo(MailboxException.Kind.UNKNOWN_RECIPIENT);
            assertThat(e.retriable()).isFalse();
            return e.getMessage();
        }
        throw new AssertionError("a send to " + to + " was accepted");
    }

    @Test
    void bodiesInboxesAndReadsAreBounded() {
        try (S s = mailStore()) {
            Mailbox box = s.mailbox(new MessageLimits(16, 2, 1), CLOCK);
            assertThatThrownBy(() -> box.send("alpha-1:t1", "big", "alpha-1:t2", "n", "\"" + "x".repeat(20) + "\""))
                    .isInstanceOfSatisfying(MailboxException.class, e -> assertThat(e.kind())
                            .isEqualTo(MailboxException.Kind.BODY_TOO_LARGE))
                    .hasMessageContaining("limit is 16 bytes");
            box.send("alpha-1:t1", "a", "alpha-1:t2", "n", "1");
            box.send("alpha-1:t1", "b", "alpha-1:t2", "n", "2");
            assertThatThrownBy(() -> box.send("alpha-1:t1", "c", "alpha-1:t2", "n", "3"))
                    .isInstanceOfSatisfying(MailboxException.class, e -> {
                        assertThat(e.kind()).isEqualTo(MailboxException.Kind.INBOX_FULL);
                        assertThat(e.retriable()).isTrue();
                    })
                    .hasMessageContaining("inbox of run alpha-1:t2 is full");
            assertThat(box.send("alpha-1:t1", "a", "alpha-1:t2", "n", "1").body()).as("a replay is not a new send").isEqualTo("1");
            assertThat(box.read("alpha-1:t2", "r1", 50)).hasSize(1);
            box.send("alpha-1:t1", "c", "alpha-1:t2", "n", "3");
        }
    }

    /**
     * Senders on two stores fill one inbox while its run reads it from a third: every message is
     * read exactly once, in id order, though each read only looks past the cursor.
     */
    @Test
    void aRunReadingWhileOthersSendMissesNoMessage() throws Exception {
        int perSender = 60;
        try (S a = mailStore(); S b = openAgain(a); S reader = openAgain(a)) {
            ExecutorService senders = Executors.newFixedThreadPool(4);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Integer>> done = new ArrayList<>();
                int w = 0;
                for (S s : List.of(a, b, a, b)) {
                    int n = w++;
                    Mailbox box = s.mailbox(MessageLimits.DEFAULTS, CLOCK);
                    done.add(senders.submit(() -> {
                        go.await();
                        for (int i = 0; i < perSender; i++) {
                            box.send("alpha-1:t1", "s" + n + "-" + i, "alpha-1:t2", "n", "{}");
                        }
                        return perSender;
                    }));
                }
                go.countDown();
                Mailbox inbox = reader.mailbox(new MessageLimits(1_024, 10_000, 7), CLOCK);
                List<Long> read = new ArrayList<>();
                int reads = 0;
                while (!done.stream().allMatch(Future::isDone)) {
                    inbox.read("alpha-1:t2", "r" + reads++, 100).forEach(m -> read.add(m.id()));
                }
                all(done);
                List<Message> rest;
                while (!(rest = inbox.read("alpha-1:t2", "r" + reads++, 100)).isEmpty()) {
                    rest.forEach(m -> read.add(m.id()));
                }
                assertThat(read).as("every message read once, in order").hasSize(4 * perSender).isSorted().doesNotHaveDuplicates();
            } finally {
                senders.shutdownNow();
            }
        }
    }
}
