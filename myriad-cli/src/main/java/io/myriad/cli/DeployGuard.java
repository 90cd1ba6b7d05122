package io.myriad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.server.ApiError;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What a fleet file sent over the API may ask of the node it runs on. A fleet runs in the node's
 * process, as the node's user: a fleet file that starts programs (MCP servers), reads the node's
 * files (task files, policy files, caches, secrets) or reaches its private network would give
 * whoever may run fleets in one tenant the node itself, and with it every tenant's data. Only a
 * principal who manages access in every tenant (the install's administrator) may deploy such a
 * file; anyone else gets a 403 naming every key that is not allowed, before any file is read.
 */
final class DeployGuard {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private DeployGuard() {}

    static void check(Principal who, String yaml) {
        if (who.canEverywhere(Permission.MANAGE_ACCESS)) {
            return;
        }
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            return; // not YAML: the loader reports it, reading nothing
        }
        if (root == null || !root.isObject()) {
            return;
        }
        List<String> refused = new ArrayList<>();
        if (root.has("mcp")) {
            refused.add("mcp (starts programs on the node)");
        }
        if (root.has("secrets")) {
            refused.add("secrets (reads the node's environment and files)");
        }
        if (root.has("policy_file")) {
            refused.add("policy_file (a file of the node)");
        }
        if (root.path("tasks").isTextual()) {
            refused.add("tasks as a file path (give the tasks inline, or submit them to an open intake)");
        }
        JsonNode coding = root.path("coding");
        if (coding.has("tasks") || coding.has("caches")) {
            refused.add("coding.tasks and coding.caches (files and repositories of the node)");
        }
        if ("none".equalsIgnoreCase(root.path("shell").path("sandbox").asText(""))) {
            refused.add("shell.sandbox: none (unconfined commands on the node)");
        }
        if (root.path("http").path("allow_private").asBoolean(false)) {
            refused.add("http.allow_private (the node's private network)");
        }
        if (!refused.isEmpty()) {
            throw new ApiError(403, "forbidden", who.actor() + " may deploy fleets over the API, but not one that uses "
                    + String.join("; ", refused) + ". Only an administrator of every tenant may, or run it with "
                    + "`myriad serve FILE` on the node.");
        }
    }
}
