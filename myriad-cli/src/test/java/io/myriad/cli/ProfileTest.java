package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The profile: where it is looked for, what it may hold, and that a key in it must be private. */
class ProfileTest {
    @TempDir
    Path home;

    private Path write(String text, String perms) throws Exception {
        Path file = home.resolve(".config/myriad/profile");
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(perms));
        return file;
    }

    @Test
    void noProfileIsNoServer() {
        assertThat(Profile.load(Map.of(), home)).isEqualTo(Profile.NONE);
    }

    @Test
    void readsTheServerAndTheKey() throws Exception {
        write("# node\n\nserver = http://node:7070\napi_key=myr_k_abc\n", "rw-------");
        Profile p = Profile.load(Map.of(), home);
        assertThat(p.server()).contains("http://node:7070");
        assertThat(p.apiKey()).contains("myr_k_abc");
    }

    @Test
    void honoursXdgConfigHome() throws Exception {
        Path xdg = home.resolve("xdg");
        Files.createDirectories(xdg.resolve("myriad"));
        Files.writeString(xdg.resolve("myriad/profile"), "server=http://x:1\n");
        assertThat(Profile.load(Map.of("XDG_CONFIG_HOME", xdg.toString()), home).server()).contains("http://x:1");
        assertThat(Profile.file(Map.of("XDG_CONFIG_HOME", "relative"), home)).isEqualTo(home.resolve(".config/myriad/profile"));
    }

    @Test
    void aServerAloneNeedsNoPrivacy() throws Exception {
        write("server=http://node:7070\n", "rw-r--r--");
        assertThat(Profile.load(Map.of(), home).apiKey()).isEqualTo(Optional.empty());
    }

    @Test
    void aKeyReadableByOthersIsRefusedWithTheFix() throws Exception {
        Path file = write("server=http://node:7070\napi_key=myr_k_abc\n", "rw-r--r--");
        assertThatThrownBy(() -> Profile.load(Map.of(), home)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("accessible by group or others").hasMessageContaining("chmod 600 " + file);
    }

    @Test
    void aTypoIsAnError() throws Exception {
        write("sever=http://node:7070\n", "rw-------");
        assertThatThrownBy(() -> Profile.load(Map.of(), home)).hasMessageContaining("unknown key 'sever'");
    }
}
