package io.myriad.core.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.tool.Effect;
import java.util.Objects;

/**
 * A tool call as a policy sees it.
 *
 * @param tenant     the tenant the run belongs to ({@link #DEFAULT_TENANT} until tenants exist)
 * @param fleet      the fleet's name
 * @param agent      the agent's name
 * @param tool       the tool's name, such as {@code fs.write}
 * @param toolEffect what invoking the tool does to the world; decides the default
 * @param arguments  the call's arguments, a JSON object (already validated against the tool's schema)
 */
public record Request(String tenant, String fleet, String agent, String tool, Effect toolEffect, JsonNode arguments) {
    /** The tenant of every run until tenants are built. */
    public static final String DEFAULT_TENANT = "default";

    public Request {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(toolEffect, "toolEffect");
        Objects.requireNonNull(arguments, "arguments");
    }
}
