package io.myriad.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.ProviderLimit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code provider_limit} key: a provider account's calls in flight, shared by fleets and nodes. */
class FleetLoaderProviderLimitTest {
    @TempDir
    Path dir;

    private FleetSpec load(String extra) throws IOException {
        Path file = dir.resolve("f.yaml");
        Files.writeString(file, "fleet: f\nagents: {a: {instructions: A}}\ntasks: [go]\n" + extra);
        return FleetLoader.load(file, Set.of());
    }

    @Test
    void noKeyMeansNoSharedLimit() throws IOException {
        assertThat(load("").providerLimit()).isEqualTo(ProviderLimit.NONE);
        assertThat(load("").providerLimit().present()).isFalse();
    }

    @Test
    void aNameAndAConcurrencyMakeALimit() throws IOException {
        assertThat(load("provider_limit: {name: main-account, concurrency: 12}\n").providerLimit())
                .isEqualTo(new ProviderLimit("main-account", 12));
    }

    @Test
    void badValuesAreReportedWithTheirPosition() {
        assertThatThrownBy(() -> load("provider_limit: {name: main-account}\n"))
                .isInstanceOf(FleetFileException.class).hasMessageContaining("4:").hasMessageContaining("needs a concurrency");
        assertThatThrownBy(() -> load("provider_limit: {name: main-account, concurrency: 0}\n"))
                .isInstanceOf(FleetFileException.class).hasMessageContaining("4:51").hasMessageContaining("from 1 to 1000000");
        assertThatThrownBy(() -> load("provider_limit: {name: 'a b', concurrency: 3}\n"))
                .isInstanceOf(FleetFileException.class).hasMessageContaining("account name");
        assertThatThrownBy(() -> load("provider_limit: {name: x, concurrency: 3, rpm: 5}\n"))
                .isInstanceOf(FleetFileException.class).hasMessageContaining("rpm");
        assertThatThrownBy(() -> load("provider_limit: 12\n"))
                .isInstanceOf(FleetFileException.class).hasMessageContaining("4:");
    }
}
