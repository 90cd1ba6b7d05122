package io.myriad.core.fleet;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A fleet's part in the Agent2Agent protocol (fleet key {@code a2a}): whether {@code myriad serve}
 * offers the fleet as an A2A agent, what its agent card says, and which external A2A agents the
 * fleet's {@code a2a} tool may call.
 *
 * @param expose      whether a hosted fleet answers A2A requests (requires {@code intake: open})
 * @param name        the agent card's name; the fleet's name when the file gives none
 * @param description the agent card's description
 * @param skills      the skills the agent card lists, in file order
 * @param agents      external A2A agents the {@code a2a} tool may reach, by the name the model uses
 */
public record A2aSpec(boolean expose, Optional<String> name, String description, List<Skill> skills,
        Map<String, Agent> agents) {

    /** A fleet without the {@code a2a} key: not exposed, no external agents. */
    public static final A2aSpec NONE = new A2aSpec(false, Optional.empty(), "", List.of(), Map.of());

    public A2aSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        skills = List.copyOf(skills);
        agents = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(agents));
    }

    /** One skill of the agent card: what the agent can do, with example requests. */
    public record Skill(String id, String name, String description, List<String> tags, List<String> examples) {
        public Skill {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(description, "description");
            tags = List.copyOf(tags);
            examples = List.copyOf(examples);
        }
    }

    /**
     * An external A2A agent the {@code a2a} tool may send messages to.
     *
     * @param name        the name the model gives the tool
     * @param url         the agent's JSON-RPC endpoint (its card's {@code url})
     * @param tokenSecret the fleet secret sent as {@code Authorization: Bearer}, if the agent needs one
     */
    public record Agent(String name, URI url, Optional<String> tokenSecret) {
        public Agent {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(tokenSecret, "tokenSecret");
        }
    }
}
