package io.myriad.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class OpenAiChatProviderTest {

    @Test
    void describesTheEndpointAndToleratesATrailingSlash() {
        try (OpenAiChatProvider provider = OpenAiChatProvider.builder()
                .baseUrl("http://localhost:8000/v1/").model("qwen3").build()) {
            assertThat(provider.describe()).isEqualTo("qwen3 @ http://localhost:8000/v1");
            assertThat(provider.simulated()).isFalse();
        }
        try (OpenAiChatProvider provider = OpenAiChatProvider.builder()
                .baseUrl("http://localhost:8000/v1").model("myriad-sim").simulated(true).build()) {
            assertThat(provider.describe()).isEqualTo("myriad-sim @ http://localhost:8000/v1 (simulated model)");
            assertThat(provider.simulated()).isTrue();
        }
    }

    @Test
    void failsFastOnBadConfiguration() {
        OpenAiChatProvider.Builder builder = OpenAiChatProvider.builder();
        assertThatThrownBy(() -> builder.baseUrl(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.model(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.apiKey(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.timeout(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.timeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.connectTimeout(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.baseUrl("localhost:8000/v1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http");
        assertThatThrownBy(() -> builder.baseUrl("http://bad host/v1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OpenAiChatProvider.builder().model("m").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("base URL");
        assertThatThrownBy(() -> OpenAiChatProvider.builder().baseUrl("http://localhost/v1").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("model");
        assertThatThrownBy(() -> OpenAiChatProvider.detectSimulated(null, Duration.ofSeconds(1)))
                .isInstanceOf(NullPointerException.class);
    }
}
