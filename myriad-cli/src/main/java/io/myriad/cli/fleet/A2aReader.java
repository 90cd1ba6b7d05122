package io.myriad.cli.fleet;

import io.myriad.core.fleet.A2aSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code a2a} key of a fleet file:
 *
 * <pre>{@code
 * a2a:
 *   expose: true                  # myriad serve offers the fleet as an A2A agent (needs intake: open)
 *   name: Helpdesk                # the agent card's name (default: the fleet's name)
 *   description: Answers questions about orders.
 *   skills: [{id: orders, name: Orders, description: ..., tags: [orders], examples: ["Where is 42?"]}]
 *   agents:                       # external A2A agents the a2a tool may call
 *     billing: {url: https://billing.example.com/a2a, token_secret: BILLING_TOKEN}
 * }</pre>
 */
final class A2aReader {
    private static final List<String> KEYS = List.of("expose", "name", "description", "skills", "agents");
    private static final List<String> SKILL_KEYS = List.of("id", "name", "description", "tags", "examples");
    private static final List<String> AGENT_KEYS = List.of("url", "token_secret");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private A2aReader() {}

    /**
     * Reads the key; {@code intakeOpen} and {@code secrets} (the declared secret names) are checked
     * against it. Problems are reported; what is read is returned regardless.
     */
    static A2aSpec read(Node node, boolean intakeOpen, List<String> secrets, Problems problems) {
        Optional<Node.Mapping> mapping = Values.mapping(node, problems);
        if (mapping.isEmpty()) {
            return A2aSpec.NONE;
        }
        Fields f = Fields.of(mapping.get(), "a2a", Fields.Owner.of(mapping.get()), problems, KEYS);
        boolean expose = f.get("expose").flatMap(n -> Values.bool(n, problems)).orElse(false);
        if (expose && !intakeOpen) {
            problems.at(f.get("expose").orElseThrow(), "an exposed fleet takes its A2A tasks while it runs: add "
                    + "'intake: open' to the fleet file, or set expose: false");
        }
        Optional<String> name = f.get("name").flatMap(n -> Values.nonBlank(n, "the agent card's name", problems));
        String description = f.get("description").flatMap(n -> Values.string(n, problems)).orElse("");
        List<A2aSpec.Skill> skills = f.get("skills").map(n -> skills(n, problems)).orElse(List.of());
        Map<String, A2aSpec.Agent> agents = f.get("agents").map(n -> agents(n, secrets, problems)).orElse(Map.of());
        return new A2aSpec(expose, name, description, skills, agents);
    }

    private static List<A2aSpec.Skill> skills(Node node, Problems problems) {
        List<A2aSpec.Skill> skills = new ArrayList<>();
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (Node item : Values.list(node, problems).map(Node.Sequence::items).orElse(List.of())) {
            Optional<Node.Mapping> m = Values.mapping(item, problems);
            if (m.isEmpty()) {
                continue;
            }
            int before = problems.count();
            Fields f = Fields.of(m.get(), "a2a skill", Fields.Owner.of(m.get()), problems, SKILL_KEYS);
            Optional<String> id = f.required("id").flatMap(n -> Values.nonBlank(n, "a skill id", problems));
            id.filter(i -> !ids.add(i)).ifPresent(i -> problems.at(f.get("id").orElseThrow(), "duplicate skill id '" + i
                    + "'; each skill needs an id of its own"));
            Optional<String> name = f.required("name").flatMap(n -> Values.nonBlank(n, "a skill name", problems));
            String description = f.get("description").flatMap(n -> Values.string(n, problems)).orElse("");
            List<String> tags = f.get("tags").flatMap(n -> Values.strings(n, problems)).orElse(List.of());
            List<String> examples = f.get("examples").flatMap(n -> Values.strings(n, problems)).orElse(List.of());
            if (problems.count() == before) {
                skills.add(new A2aSpec.Skill(id.orElseThrow(), name.orElseThrow(), description, tags, examples));
            }
        }
        return skills;
    }

    private static Map<String, A2aSpec.Agent> agents(Node node, List<String> secrets, Problems problems) {
        Map<String, A2aSpec.Agent> agents = new LinkedHashMap<>();
        for (Node.Entry entry : Values.mapping(node, problems).map(m -> m.entries().values()).orElse(List.of())) {
            if (!NAME.matcher(entry.key()).matches()) {
                problems.atKey(entry, "expected an A2A agent name of 1 to 64 letters, digits, '.', '_' or '-', got '"
                        + entry.key() + "'");
                continue;
            }
            Optional<Node.Mapping> m = Values.mapping(entry.value(), problems);
            if (m.isEmpty()) {
                continue;
            }
            int before = problems.count();
            String what = "a2a agent '" + entry.key() + "'";
            Fields f = Fields.of(m.get(), what, Fields.Owner.of(entry), problems, AGENT_KEYS);
            Optional<URI> url = f.required("url").flatMap(n -> Values.string(n, problems).flatMap(s -> url(n, s, problems)));
            Optional<String> token = f.get("token_secret").flatMap(n -> Values.string(n, problems).filter(s -> {
                boolean ok = secrets.contains(s);
                if (!ok) {
                    problems.at(n, what + " names secret '" + s + "', which the fleet does not declare under secrets");
                }
                return ok;
            }));
            if (problems.count() == before) {
                agents.put(entry.key(), new A2aSpec.Agent(entry.key(), url.orElseThrow(), token));
            }
        }
        return agents;
    }

    private static Optional<URI> url(Node node, String text, Problems problems) {
        try {
            URI uri = new URI(text.strip());
            if ((uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https")))
                    || uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
                problems.at(node, "expected the agent's http(s) URL without user info or fragment, like "
                        + "https://agents.example.com/a2a, got " + node.describe());
                return Optional.empty();
            }
            return Optional.of(uri);
        } catch (URISyntaxException e) {
            problems.at(node, "expected the agent's http(s) URL, got " + node.describe() + ": " + e.getReason());
            return Optional.empty();
        }
    }
}
