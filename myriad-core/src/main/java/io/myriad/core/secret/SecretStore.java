package io.myriad.core.secret;

import java.util.Optional;

/**
 * Where secret values live: the environment, an owner-only file, later a vault. A fleet file
 * names secrets and the store of each; values are read once, when a run starts, and are handed
 * only to the tools that inject them (an HTTP header, an MCP server's environment).
 */
public interface SecretStore {

    /** The value stored under {@code key}, if any. */
    Optional<String> lookup(String key);

    /** Where {@code key} is looked for, for messages, e.g. "environment variable CRM_TOKEN". */
    String where(String key);

    /**
     * The value of secret {@code name}, stored under {@code key}.
     *
     * @throws SecretException naming the secret and where it was looked for, when it is not there
     */
    default String resolve(String name, String key) {
        return lookup(key).orElseThrow(() -> new SecretException(
                "secret " + name + " was not found: looked for " + where(key)
                        + "; set it there, or change the secret's source under `secrets` in the fleet file"));
    }
}
