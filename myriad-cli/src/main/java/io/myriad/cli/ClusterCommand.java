package io.myriad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.cluster.NodeStatus;
import io.myriad.store.PostgresStore;
import io.myriad.store.Store;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code myriad cluster status}: the nodes sharing a PostgreSQL store. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "The nodes of a cluster (several myriad serve or run processes sharing one PostgreSQL store).",
        subcommands = {ClusterCommand.Status.class, ClusterCommand.Forget.class})
final class ClusterCommand {

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Lists the cluster's nodes: epoch, heartbeat lag, whether their lease holds, runs owned.",
                    "A node whose lease lapsed has its runs taken over by the others."})
    static final class Status implements Callable<Integer> {
        private static final ObjectMapper JSON = new ObjectMapper();

        @Option(names = "--lease", defaultValue = "10s", paramLabel = "DURATION",
                description = "The nodes' lease, to judge which are alive (default ${DEFAULT-VALUE}).")
        String lease;

        @Option(names = "--json", description = "One JSON array of nodes.")
        boolean json;

        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (!data.postgres()) {
                err.println("myriad: cluster status: the store is not PostgreSQL (give --store jdbc:postgresql://… or set"
                        + " MYRIAD_STORE); a SQLite store has one node, this process");
                return Main.EXIT_BAD_INPUT;
            }
            try (Store store = data.openStore()) {
                Principal who = caller.principal(store);
                if (!who.canEverywhere(Permission.VIEW)) {
                    throw new io.myriad.core.auth.AccessDenied("cluster status shows every tenant's nodes: it needs the view"
                            + " permission in every tenant");
                }
                List<NodeStatus> nodes = ((PostgresStore) store).ownership(io.myriad.cli.fleet.Durations.parse(lease)).nodes();
                if (json) {
                    ArrayNode a = JSON.createArrayNode();
                    for (NodeStatus n : nodes) {
                        a.addObject().put("node", n.node().id()).put("epoch", n.node().epoch()).put("alive", n.alive())
                                .put("lag_ms", n.lagMillis()).put("runs_owned", n.runsOwned()).put("capacity", n.node().capacity())
                                .put("joined_at", n.joinedAt()).put("heartbeat_at", n.heartbeatAt());
                    }
                    out.println(a);
                    return Main.EXIT_OK;
                }
                out.println("cluster on " + store.describe() + ": " + nodes.size() + " node" + (nodes.size() == 1 ? "" : "s")
                        + ", " + nodes.stream().filter(NodeStatus::alive).count() + " alive (lease " + lease + ")");
                Table t = new Table("NODE", "EPOCH", "ALIVE", "LAG", "RUNS", "JOINED");
                for (NodeStatus n : nodes) {
                    t.add(n.node().id(), String.valueOf(n.node().epoch()), n.alive() ? "yes" : "NO (its runs are taken over)",
                            n.lagMillis() + " ms", String.valueOf(n.runsOwned()), Instant.ofEpochMilli(n.joinedAt()).toString());
                }
                t.print(out);
                return Main.EXIT_OK;
            }
        }
    }

    @Command(name = "forget", mixinStandardHelpOptions = true,
            description = {"Removes a node that died without leaving (its lease lapsed) from the cluster's list.",
                    "Its unfinished runs become unowned at once. A node whose lease holds is refused."})
    static final class Forget implements Callable<Integer> {
        @picocli.CommandLine.Parameters(paramLabel = "NODE", description = "The node's id, as `myriad cluster status` shows it.")
        String node;

        @Option(names = "--lease", defaultValue = "10s", paramLabel = "DURATION",
                description = "The nodes' lease, to judge whether it is alive (default ${DEFAULT-VALUE}).")
        String lease;

        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (!data.postgres()) {
                err.println("myriad: cluster forget: the store is not PostgreSQL (give --store jdbc:postgresql://… or set MYRIAD_STORE)");
                return Main.EXIT_BAD_INPUT;
            }
            try (Store store = data.openStore()) {
                Principal who = caller.principal(store);
                if (!who.canEverywhere(Permission.CONTROL)) {
                    throw new io.myriad.core.auth.AccessDenied("cluster forget changes every tenant's runs: it needs the control"
                            + " permission in every tenant");
                }
                var ownership = ((PostgresStore) store).ownership(io.myriad.cli.fleet.Durations.parse(lease));
                var found = ownership.nodes().stream().filter(n -> n.node().id().equals(node)).findFirst();
                if (found.isEmpty()) {
                    err.println("myriad: cluster forget: no node " + node + " (see: myriad cluster status)");
                    return Main.EXIT_BAD_INPUT;
                }
                if (found.get().alive()) {
                    err.println("myriad: cluster forget: node " + node + " is alive (last heartbeat " + found.get().lagMillis()
                            + " ms ago): stop it, or let its lease lapse first");
                    return Main.EXIT_BAD_INPUT;
                }
                ownership.leave(found.get().node());
                store.appendAudit(List.of(new io.myriad.core.audit.AuditEntry(System.currentTimeMillis(), KeysCommand.INSTALL,
                        who.actor(), "cluster.forget", node, "{\"runs_owned\":" + found.get().runsOwned() + "}"))).join();
                out.println("forgot node " + node + " (epoch " + found.get().node().epoch() + "); its " + found.get().runsOwned()
                        + " unfinished run(s) are claimable at once");
                return Main.EXIT_OK;
            }
        }
    }

    private ClusterCommand() {}
}
