package io.myriad.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.delivery.Delivery;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SQL of deliveries (schema version 8): one row per submission of a coding run, keyed by
 * the submission's id, its files and check steps as JSON arrays. Listed by tenant and time.
 */
final class DeliverySql {
    private DeliverySql() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    static final String COLS = "id, run_id, execution, tenant, task_id, model, verdict, reason, explanation, branch, "
            + "commit_sha, patch_file, patch, files, steps, created_at";

    static void create(Statement s) throws SQLException {
        s.execute("""
                CREATE TABLE IF NOT EXISTS deliveries (
                  id TEXT PRIMARY KEY, run_id TEXT NOT NULL, execution TEXT NOT NULL, tenant TEXT NOT NULL,
                  task_id TEXT NOT NULL, model TEXT NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL,
                  explanation TEXT NOT NULL, branch TEXT, commit_sha TEXT, patch_file TEXT, patch TEXT NOT NULL,
                  files TEXT NOT NULL, steps TEXT NOT NULL, created_at INTEGER NOT NULL)""");
        s.execute("CREATE INDEX IF NOT EXISTS deliveries_by_tenant ON deliveries(tenant, created_at)");
        s.execute("CREATE INDEX IF NOT EXISTS deliveries_by_execution ON deliveries(execution, created_at)");
    }

    /** Inserts or replaces {@code d} by id; the caller holds the transaction. */
    static void upsert(Connection c, Delivery d) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO deliveries(" + COLS + ") "
                + "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            bind(ps, d);
            ps.executeUpdate();
        }
    }

    /** Binds the 16 columns of {@link #COLS} from {@code d}. */
    static void bind(PreparedStatement ps, Delivery d) throws SQLException {
        ps.setString(1, d.id());
        ps.setString(2, d.runId());
        ps.setString(3, d.execution());
        ps.setString(4, d.tenant());
        ps.setString(5, d.taskId());
        ps.setString(6, d.model());
        ps.setString(7, d.verdict().label());
        ps.setString(8, d.reason());
        ps.setString(9, d.explanation());
        setOptional(ps, 10, d.branch());
        setOptional(ps, 11, d.commit());
        setOptional(ps, 12, d.patchFile());
        ps.setString(13, d.patch());
        ps.setString(14, files(d.files()));
        ps.setString(15, steps(d.steps()));
        ps.setLong(16, d.createdAt());
    }

    private static void setOptional(PreparedStatement ps, int i, Optional<String> value) throws SQLException {
        if (value.isPresent()) {
            ps.setString(i, value.get());
        } else {
            ps.setNull(i, Types.VARCHAR);
        }
    }

    /** The delivery of the current row, in {@link #COLS} order. */
    static Delivery read(ResultSet rs) throws SQLException {
        return new Delivery(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), Delivery.Verdict.parse(rs.getString(7)), rs.getString(8), rs.getString(9),
                Optional.ofNullable(rs.getString(10)), Optional.ofNullable(rs.getString(11)),
                Optional.ofNullable(rs.getString(12)), rs.getString(13), files(rs.getString(14)),
                steps(rs.getString(15)), rs.getLong(16));
    }

    private static String files(List<String> files) {
        ArrayNode a = JSON.createArrayNode();
        files.forEach(a::add);
        return a.toString();
    }

    private static String steps(List<Delivery.Check> steps) {
        ArrayNode a = JSON.createArrayNode();
        for (Delivery.Check c : steps) {
            ObjectNode o = a.addObject();
            o.put("phase", c.phase());
            o.put("command", c.command());
            o.put("exit_code", c.exitCode());
            o.put("millis", c.millis());
            o.put("timed_out", c.timedOut());
            o.put("output_tail", c.outputTail());
        }
        return a.toString();
    }

    private static List<String> files(String json) throws SQLException {
        List<String> out = new ArrayList<>();
        parse(json).forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<Delivery.Check> steps(String json) throws SQLException {
        List<Delivery.Check> out = new ArrayList<>();
        for (JsonNode n : parse(json)) {
            out.add(new Delivery.Check(n.path("phase").asText(), n.path("command").asText(), n.path("exit_code").asInt(),
                    n.path("millis").asLong(), n.path("timed_out").asBoolean(), n.path("output_tail").asText()));
        }
        return out;
    }

    private static JsonNode parse(String json) throws SQLException {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new SQLException("a delivery's JSON column is damaged: " + e.getOriginalMessage(), e);
        }
    }
}
