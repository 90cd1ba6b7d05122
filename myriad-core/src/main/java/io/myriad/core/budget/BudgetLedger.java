package io.myriad.core.budget;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Spend and reservations per scope (tenant, fleet execution, run), and the admission of model
 * calls, tool calls and steps against every ceiling above them.
 *
 * <p>Notes. Admission is worst case: before a model call, its worst case (an upper bound of the
 * prompt's tokens plus the request's maximum output tokens, priced) is reserved in the run, its
 * execution and its tenant at once, and only if {@code spent + reserved + worst <= ceiling} at
 * every level; after the response the reservation is replaced by the actual usage
 * ({@link Reservation#settle}), or released on failure. So, as long as a provider honours
 * {@code max_tokens}, what is spent never exceeds a ceiling, however many calls run at once.
 * Tool calls and steps are admitted the same way, one each, and charged at once.
 *
 * <p>Concurrency: every account of a tenant (the tenant's, its executions', their runs') is
 * guarded by that tenant's {@link Book} monitor; a check-and-reserve touches three accounts under
 * that one lock, O(1), no I/O. Tenants never contend with each other. Warning callbacks run
 * after the lock is released.
 *
 * <p>Spend is in memory; {@link #restore} seeds it from the journal at start (the journal is
 * the record: a model call is counted once its response is journaled).
 */
public final class BudgetLedger {

    /** Told when a scope first crosses its warning fraction on a resource; called outside locks. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = w -> { };

        void warning(Warning warning);
    }

    /** A scope crossed {@code warnAt} of a ceiling (spent plus reserved). */
    public record Warning(String tenant, Level level, String owner, Resource resource, double spent, double ceiling,
            double warnAt) {
        /** A sentence for people. */
        public String message() {
            return level.label() + " " + owner + " has used " + Math.round(100 * spent / ceiling) + "% of its "
                    + resource.label() + " ceiling (" + Budgets.format(resource, spent) + " of "
                    + Budgets.format(resource, ceiling) + ", calls in flight included; warning at " + Math.round(100 * warnAt) + "%)";
        }
    }

    /** The answer to an admission: granted (with what to settle) or refused (with why). */
    public sealed interface Admission permits Reservation, Refused {}

    /** Why an admission was refused: the first scope, from the tenant down, where it did not fit. */
    public record Refused(Level level, String owner, Resource resource, double spent, double ceiling, double needed)
            implements Admission {
        /** The report journaled with {@code run_budget_exhausted}. */
        public String message() {
            String what = resource == Resource.WALL
                    ? "ran for " + Budgets.format(resource, spent) + " of the " + Budgets.format(resource, ceiling) + " allowed"
                    : "needed " + Budgets.format(resource, needed) + " (worst case) but had spent "
                            + Budgets.format(resource, spent) + " (calls in flight included) of "
                            + Budgets.format(resource, ceiling);
            String raise = switch (level) {
                case TENANT -> "raise it with: myriad budgets set --tenant " + owner + " --" + resource.label().replace('_', '-') + " N";
                case FLEET -> "raise budget." + resource.label() + " in the fleet file";
                case RUN -> "raise limits.max_" + (resource == Resource.USD ? "usd" : resource.label()) + " of the agent";
            };
            return "the " + level.label() + " " + owner + " " + resource.label() + " budget is exhausted: the next call "
                    + what + "; nothing was sent. " + raise;
        }
    }

    /** Spend held for an admitted call, until it is settled or released (exactly once). */
    public static final class Reservation implements Admission {
        private final Book book;
        private final Account[] accounts;
        private final Amount held;
        private boolean done; // guarded by book

        private Reservation(Book book, Account[] accounts, Amount held) {
            this.book = book;
            this.accounts = accounts;
            this.held = held;
        }

        /** What is held. */
        public Amount held() {
            return held;
        }

        /** Replaces the hold by what the call actually used. */
        public void settle(Amount actual) {
            Objects.requireNonNull(actual, "actual");
            book.finish(this, actual);
        }

        /** Gives the hold back: the call did not happen (or cost nothing). */
        public void release() {
            book.finish(this, Amount.ZERO);
        }
    }

    private final Map<String, Book> books = new ConcurrentHashMap<>();
    private final Map<String, String> tenantOfExecution = new ConcurrentHashMap<>();
    private final Listener listener;

    private BudgetLedger(Listener listener) {
        this.listener = listener;
    }

    /** An empty ledger that tells {@code listener} about warnings. */
    public static BudgetLedger create(Listener listener) {
        return new BudgetLedger(Objects.requireNonNull(listener, "listener"));
    }

    /** Sets (or replaces) a tenant's ceilings. */
    public void tenant(String tenant, Ceilings ceilings) {
        Book b = book(tenant);
        synchronized (b) {
            b.tenant.ceilings = Objects.requireNonNull(ceilings, "ceilings");
        }
    }

    /** Opens (or updates) a fleet execution's scope under its tenant; {@code startedAt} starts its wall clock. */
    public void execution(String tenant, String execution, Ceilings ceilings, long startedAt) {
        Objects.requireNonNull(execution, "execution");
        Objects.requireNonNull(ceilings, "ceilings");
        Book b = book(tenant);
        tenantOfExecution.put(execution, tenant);
        synchronized (b) {
            Account a = b.executions.computeIfAbsent(execution, k -> new Account(Level.FLEET, k));
            a.ceilings = ceilings;
            a.startedAt = startedAt;
        }
    }

    /** Adds spend already made (found in the journal) to a scope: the tenant's, or an execution's too. */
    public void restore(String tenant, String execution, Amount spent) {
        Book b = book(tenant);
        synchronized (b) {
            if (execution == null) {
                b.tenant.spent = b.tenant.spent.plus(spent);
            } else {
                Account a = b.executions.computeIfAbsent(execution, k -> new Account(Level.FLEET, k));
                a.spent = a.spent.plus(spent);
            }
        }
    }

    /**
     * Catches up with spend made elsewhere (other nodes of a cluster): {@code journaled} is what
     * the store holds for the scope now, every node's journaled spend included. Each part of the
     * scope's spend becomes the larger of what this ledger counted and that, so nothing is counted
     * twice and what this node settled but has not journaled yet is not lost. Between two syncs a
     * cluster may overshoot a ceiling by what the other nodes had in flight and spent meanwhile.
     */
    public void sync(String tenant, String execution, Amount journaled) {
        Objects.requireNonNull(journaled, "journaled");
        Book b = book(tenant);
        synchronized (b) {
            Account a = execution == null ? b.tenant : b.executions.get(execution);
            if (a != null) {
                a.spent = a.spent.max(journaled);
            }
        }
    }

    /** The tenant an execution was opened under ({@link #execution}); the default tenant otherwise. */
    public String tenantOf(String execution) {
        return tenantOfExecution.getOrDefault(execution, io.myriad.core.auth.Principal.DEFAULT_TENANT);
    }

    /** Forgets a run's account (the run is final). */
    public void closeRun(String tenant, String runId) {
        Book b = book(tenant);
        synchronized (b) {
            b.runs.remove(runId);
        }
    }

    /**
     * Admits {@code worst} in the run (created with {@code runCeilings} and {@code runSpent} on first
     * use), its execution and its tenant, or says where it does not fit.
     */
    public Admission admit(String tenant, String execution, String runId, Ceilings runCeilings, Amount runSpent,
                           Amount worst, long now) {
        Objects.requireNonNull(worst, "worst");
        Book b = book(tenant);
        List<Warning> warnings = new ArrayList<>(0);
        Admission answer;
        synchronized (b) {
            Account exec = b.executions.computeIfAbsent(execution, k -> new Account(Level.FLEET, k));
            Account run = b.runs.get(runId);
            if (run == null) {
                run = new Account(Level.RUN, runId);
                run.spent = runSpent;
                b.runs.put(runId, run);
            }
            run.ceilings = runCeilings;
            Account[] chain = {b.tenant, exec, run};
            Refused refused = null;
            for (Account a : chain) {
                refused = a.refuse(tenant, worst, now);
                if (refused != null) {
                    break;
                }
            }
            if (refused != null) {
                answer = refused;
            } else {
                for (Account a : chain) {
                    a.reserved = a.reserved.plus(worst);
                    a.checkWarnings(tenant, warnings);
                }
                answer = new Reservation(b, chain, worst);
            }
        }
        warnings.forEach(listener::warning);
        return answer;
    }

    /** A snapshot of a scope: spent, reserved and ceilings; empty for an execution never seen. */
    public java.util.Optional<Snapshot> snapshot(String tenant, Level level, String owner) {
        Book b = book(tenant);
        synchronized (b) {
            Account a = switch (level) {
                case TENANT -> b.tenant;
                case FLEET -> b.executions.get(owner);
                case RUN -> b.runs.get(owner);
            };
            return a == null ? java.util.Optional.empty()
                    : java.util.Optional.of(new Snapshot(a.level, a.owner, a.spent, a.reserved, a.ceilings));
        }
    }

    /** The state of one scope at one moment. */
    public record Snapshot(Level level, String owner, Amount spent, Amount reserved, Ceilings ceilings) {}

    private Book book(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        return books.computeIfAbsent(tenant, t -> new Book(t, listener));
    }

    /** A tenant's accounts; its monitor guards every field of them. */
    private static final class Book {
        final Account tenant;
        final Map<String, Account> executions = new HashMap<>();
        final Map<String, Account> runs = new HashMap<>();
        final String name;
        final Listener listener;

        Book(String name, Listener listener) {
            this.name = name;
            this.listener = listener;
            this.tenant = new Account(Level.TENANT, name);
        }

        void finish(Reservation r, Amount actual) {
            List<Warning> warnings = new ArrayList<>(0);
            synchronized (this) {
                if (r.done) {
                    throw new IllegalStateException("a reservation is settled or released once");
                }
                r.done = true;
                for (Account a : r.accounts) {
                    a.reserved = minus(a.reserved, r.held);
                    a.spent = a.spent.plus(actual);
                    a.checkWarnings(name, warnings);
                }
            }
            warnings.forEach(listener::warning);
        }

        private static Amount minus(Amount a, Amount b) {
            return new Amount(a.tokens() - b.tokens(), a.nanoUsd() - b.nanoUsd(), a.steps() - b.steps(),
                    a.toolCalls() - b.toolCalls());
        }
    }

    /** One scope's spend. Guarded by its {@link Book}. */
    private static final class Account {
        final Level level;
        final String owner;
        Ceilings ceilings = Ceilings.NONE;
        Amount spent = Amount.ZERO;
        Amount reserved = Amount.ZERO;
        long startedAt = Long.MIN_VALUE;
        final boolean[] warned = new boolean[Resource.values().length];

        Account(Level level, String owner) {
            this.level = level;
            this.owner = owner;
        }

        Refused refuse(String tenant, Amount worst, long now) {
            for (Resource r : Resource.values()) {
                long ceiling = ceilings.units(r);
                if (ceiling < 0) {
                    continue;
                }
                if (r == Resource.WALL) {
                    if (startedAt != Long.MIN_VALUE && now - startedAt >= ceiling) {
                        return new Refused(level, owner, r, now - startedAt, ceiling, 0);
                    }
                    continue;
                }
                long need = worst.get(r);
                long used = spent.get(r) + reserved.get(r);
                if (need > 0 && used + need > ceiling) {
                    return new Refused(level, owner, r, display(r, used), display(r, ceiling), display(r, need));
                }
            }
            return null;
        }

        void checkWarnings(String tenant, List<Warning> out) {
            for (Resource r : Resource.values()) {
                long ceiling = ceilings.units(r);
                if (ceiling <= 0 || r == Resource.WALL || warned[r.ordinal()]) {
                    continue;
                }
                long used = spent.get(r) + reserved.get(r);
                if (used >= ceilings.warnAt() * ceiling) {
                    warned[r.ordinal()] = true;
                    out.add(new Warning(tenant, level, owner, r, display(r, used), display(r, ceiling), ceilings.warnAt()));
                }
            }
        }

        private static double display(Resource r, long units) {
            return r == Resource.USD ? Amount.usd(units) : units;
        }
    }
}
