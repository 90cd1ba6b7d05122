package io.myriad.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.tool.Effect;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PolicyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Request call(String tool, Effect effect, String args) throws Exception {
        return new Request(Request.DEFAULT_TENANT, "fleet", "writer", tool, effect, JSON.readTree(args));
    }

    private static Rule rule(String id, Decision.Effect effect, String tool, Map<String, Object> when) {
        return Rule.of(id, effect, tool, when.entrySet().stream()
                .map(e -> Condition.of(e.getKey(), JSON.valueToTree(e.getValue()))).toList());
    }

    @Test
    void anExplicitDenyBeatsAnAllowAndNamesTheCondition() throws Exception {
        Policy p = Policy.of(List.of(
                rule("src", Decision.Effect.ALLOW, "fs.*", Map.of()),
                rule("no-secrets-dir", Decision.Effect.DENY, "fs.*", Map.of("path", "**/.env"))));
        Decision d = p.decide(call("fs.write", Effect.IDEMPOTENT, "{\"path\":\"src/../.env\"}"));
        assertThat(d.effect()).isEqualTo(Decision.Effect.DENY);
        assertThat(d.explanation()).isEqualTo("denied by policy rule no-secrets-dir: path .env matches '**/.env'");
        assertThat(p.decide(call("fs.write", Effect.IDEMPOTENT, "{\"path\":\"src/a\"}")).ruleId()).isEqualTo("src");
    }

    @Test
    void conditionsOnHostsCommandsAndNumbers() throws Exception {
        Policy p = Policy.of(List.of(
                rule("hosts", Decision.Effect.ALLOW, "http_get", Map.of("url_host", "*.example.com")),
                rule("small", Decision.Effect.ALLOW, "ledger.pay", Map.of("amount", "< 500")),
                rule("big", Decision.Effect.NEEDS_APPROVAL, "ledger.pay", Map.of("amount", ">= 500")),
                rule("no-rm", Decision.Effect.DENY, "shell", Map.of("command", "rm -rf *")),
                rule("sh", Decision.Effect.ALLOW, "shell", Map.of("command", "re:^(ls|make)\\b"))));
        assertThat(p.decide(call("http_get", Effect.READ_ONLY, "{\"url\":\"https://api.example.com/x\"}")).ruleId()).isEqualTo("hosts");
        assertThat(p.decide(call("http_get", Effect.IRREVERSIBLE, "{\"url\":\"https://example.com.evil.io/\"}")).effect())
                .isEqualTo(Decision.Effect.DENY);
        assertThat(p.decide(call("ledger.pay", Effect.IRREVERSIBLE, "{\"amount\":499.99}")).effect()).isEqualTo(Decision.Effect.ALLOW);
        assertThat(p.decide(call("ledger.pay", Effect.IRREVERSIBLE, "{\"amount\":500}")).effect())
                .isEqualTo(Decision.Effect.NEEDS_APPROVAL);
        assertThat(p.decide(call("shell", Effect.IRREVERSIBLE, "{\"command\":\"rm -rf /\"}")).ruleId()).isEqualTo("no-rm");
        assertThat(p.decide(call("shell", Effect.IRREVERSIBLE, "{\"command\":\"make test\"}")).ruleId()).isEqualTo("sh");
        assertThat(p.decide(call("shell", Effect.IRREVERSIBLE, "{\"command\":\"curl x\"}")).ruleId()).isEqualTo(Decision.DEFAULT);
    }

    @Test
    void scopesByAgentAndExplainsEveryRule() throws Exception {
        Rule only = new Rule("reader-only", Decision.Effect.ALLOW, Optional.empty(), Optional.empty(), Optional.of("reader"),
                "fs.write", List.of());
        Policy p = Policy.of(List.of(only));
        Request r = call("fs.write", Effect.IDEMPOTENT, "{}");
        assertThat(p.decide(r).effect()).isEqualTo(Decision.Effect.DENY);
        assertThat(p.explain(r)).singleElement().satisfies(m -> {
            assertThat(m.matched()).isFalse();
            assertThat(m.why()).isEqualTo("agent writer is not 'reader'");
        });
    }

    @Test
    void rejectsBadComparisonsAndRegexes() {
        JsonNode bad = JSON.getNodeFactory().textNode("< lots");
        assertThatThrownBy(() -> Condition.of("amount", bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"< 500\"");
        assertThatThrownBy(() -> Condition.of("command", JSON.getNodeFactory().textNode("re:(")))
                .hasMessageContaining("regular expression");
    }
}
