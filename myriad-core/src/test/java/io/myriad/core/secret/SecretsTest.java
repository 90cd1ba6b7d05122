package io.myriad.core.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretsTest {
    private static final String TOKEN = "tok-3f9a/b+c d=e";
    private final Secrets secrets = Secrets.of(Map.of("CRM_TOKEN", TOKEN));
    private final Redactor redactor = secrets.redactor();

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void replaces_the_value_and_its_common_encodings() {
        String raw = "Authorization: Bearer " + TOKEN + "\n";
        assertThat(redactor.redact(raw)).isEqualTo("Authorization: Bearer [secret:CRM_TOKEN]\n");
        assertThat(redactor.redact("x=" + b64(TOKEN))).isEqualTo("x=[secret:CRM_TOKEN]");
        assertThat(redactor.redact("x=" + b64(TOKEN).replace("=", ""))).isEqualTo("x=[secret:CRM_TOKEN]");
        assertThat(redactor.redact("x=" + Base64.getUrlEncoder().encodeToString(TOKEN.getBytes(StandardCharsets.UTF_8))))
                .isEqualTo("x=[secret:CRM_TOKEN]");
        assertThat(redactor.redact("?t=" + URLEncoder.encode(TOKEN, StandardCharsets.UTF_8))).isEqualTo("?t=[secret:CRM_TOKEN]");
        assertThat(redactor.redact("{\"t\": \"tok-3f9a\\/b+c d=e\"}")).isEqualTo("{\"t\": \"[secret:CRM_TOKEN]\"}");
    }

    @Test
    void a_value_inside_a_longer_base64_text_is_redacted_at_every_alignment() {
        for (String user : new String[] {"", "a:", "ab:", "abc:"}) {
            String basic = b64(user + TOKEN);
            String redacted = redactor.redact("Basic " + basic);
            assertThat(redacted).as(user).contains("[secret:CRM_TOKEN]").doesNotContain(basic);
            // What is left of the encoding cannot give the value back.
            assertThat(redacted.length()).as(user).isLessThan(("Basic " + basic).length() + 10);
        }
    }

    @Test
    void text_without_secrets_is_unchanged_and_none_changes_nothing() {
        assertThat(redactor.redact("nothing to see")).isEqualTo("nothing to see");
        assertThat(Secrets.none().redactor().redact(TOKEN)).isEqualTo(TOKEN);
        assertThat(Secrets.none().warnings()).isEmpty();
    }

    @Test
    void a_longer_secret_containing_a_shorter_one_is_named_by_itself() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("SHORTER", "abcdefgh");
        values.put("LONGER", "abcdefgh-ijkl");
        Redactor r = Secrets.of(values).redactor();
        assertThat(r.redact("abcdefgh-ijkl and abcdefgh")).isEqualTo("[secret:LONGER] and [secret:SHORTER]");
    }

    @Test
    void short_values_are_not_redacted_and_a_warning_says_so() {
        Secrets s = Secrets.of(Map.of("PIN", "1234", "API_KEY", "long-enough-key"));
        assertThat(s.warnings()).singleElement().asString().contains("secret PIN").contains("shorter than 6")
                .doesNotContain("1234");
        assertThat(s.redactor().redact("1234 long-enough-key")).isEqualTo("1234 [secret:API_KEY]");
    }

    @Test
    void expand_replaces_references_and_refuses_unknown_names_without_showing_values() {
        assertThat(secrets.expand("Bearer {{secret:CRM_TOKEN}}")).isEqualTo("Bearer " + TOKEN);
        assertThat(secrets.expand("Bearer {{ secret:CRM_TOKEN }}!")).isEqualTo("Bearer " + TOKEN + "!");
        assertThat(secrets.expand("no reference")).isEqualTo("no reference");
        assertThatThrownBy(() -> secrets.expand("{{secret:CRM_TOKN}}")).isInstanceOf(SecretException.class)
                .hasMessageContaining("CRM_TOKN").hasMessageContaining("its secrets are: CRM_TOKEN")
                .hasMessageNotContaining(TOKEN);
        assertThat(secrets.toString()).doesNotContain(TOKEN);
    }

    @Test
    void rejects_invalid_names_and_null_values() {
        assertThatThrownBy(() -> Secrets.of(Map.of("1X", "abcdefgh"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Secrets.of(null)).isInstanceOf(NullPointerException.class);
    }
}
