package io.myriad.tools.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.fleet.SecretSpec;
import io.myriad.core.secret.SecretException;
import io.myriad.core.secret.Secrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretResolverTest {
    @TempDir
    Path dir;

    private Path secretsFile(String content, String perms) throws IOException {
        Path file = dir.resolve("secrets");
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(perms));
        return file;
    }

    private static Map<String, SecretSpec> specs(SecretSpec... specs) {
        Map<String, SecretSpec> map = new LinkedHashMap<>();
        for (SecretSpec s : specs) {
            map.put(s.name(), s);
        }
        return map;
    }

    @Test
    void reads_env_and_an_owner_only_file_the_default_file_included() throws IOException {
        Path file = secretsFile("# comment\n\nDB_PASS = pa55-word-xyz\nOTHER=x=y=z-long\n", "rw-------");
        SecretResolver resolver = SecretResolver.create(Map.of("CRM_VAR", "crm-token-123"), file);
        Secrets s = resolver.resolve(specs(
                new SecretSpec("CRM_TOKEN", SecretSpec.Source.ENV, "CRM_VAR"),
                new SecretSpec("DB_PASS", SecretSpec.Source.FILE, "secrets"),
                new SecretSpec("OTHER", SecretSpec.Source.FILE, "")), dir);
        assertThat(s.value("CRM_TOKEN")).hasValue("crm-token-123");
        assertThat(s.value("DB_PASS")).hasValue("pa55-word-xyz");
        assertThat(s.value("OTHER")).hasValue("x=y=z-long");
    }

    @Test
    void a_file_readable_by_group_or_others_is_refused_with_the_chmod_to_run() throws IOException {
        for (String perms : new String[] {"rw-r--r--", "rw-r-----", "rw-----w-"}) {
            Path file = secretsFile("DB_PASS=pa55-word-xyz\n", perms);
            SecretResolver resolver = SecretResolver.create(Map.of(), file);
            assertThatThrownBy(() -> resolver.resolve(specs(new SecretSpec("DB_PASS", SecretSpec.Source.FILE, "")), dir))
                    .as(perms).isInstanceOf(SecretException.class)
                    .hasMessageContaining("accessible by group or others")
                    .hasMessageContaining("chmod 600 " + file.toAbsolutePath())
                    .hasMessageNotContaining("pa55-word-xyz");
        }
    }

    @Test
    void every_missing_secret_is_named_with_where_it_was_looked_for() throws IOException {
        Path file = secretsFile("DB_PASS=pa55-word-xyz\n", "rw-------");
        SecretResolver resolver = SecretResolver.create(Map.of(), file);
        assertThatThrownBy(() -> resolver.resolve(specs(
                new SecretSpec("CRM_TOKEN", SecretSpec.Source.ENV, "CRM_VAR"),
                new SecretSpec("API_KEY", SecretSpec.Source.FILE, ""),
                new SecretSpec("GONE", SecretSpec.Source.FILE, "nowhere/secrets")), dir))
                .isInstanceOf(SecretException.class)
                .hasMessageContaining("secret CRM_TOKEN was not found: looked for environment variable CRM_VAR")
                .hasMessageContaining("secret API_KEY was not found: looked for a line API_KEY=... in secrets file " + file)
                .hasMessageContaining("secret GONE was not found")
                .hasMessageContaining(dir.resolve("nowhere/secrets") + " (which does not exist)");
    }

    @Test
    void a_malformed_line_is_reported_by_number_never_by_content() throws IOException {
        Path file = secretsFile("DB_PASS=ok-value-1\njust-a-secret-value\n", "rw-------");
        SecretResolver resolver = SecretResolver.create(Map.of(), file);
        assertThatThrownBy(() -> resolver.resolve(specs(new SecretSpec("DB_PASS", SecretSpec.Source.FILE, "")), dir))
                .hasMessageContaining("line 2").hasMessageNotContaining("just-a-secret-value");
    }

    @Test
    void the_default_file_follows_xdg_config_home() {
        assertThat(SecretResolver.defaultFile(Map.of(), Path.of("/home/u"))).isEqualTo(Path.of("/home/u/.config/myriad/secrets"));
        assertThat(SecretResolver.defaultFile(Map.of("XDG_CONFIG_HOME", "/cfg"), Path.of("/home/u")))
                .isEqualTo(Path.of("/cfg/myriad/secrets"));
    }
}
