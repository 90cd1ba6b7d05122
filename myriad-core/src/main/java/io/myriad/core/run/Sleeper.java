package io.myriad.core.run;

import java.time.Duration;

/** Waits. Injected so that tests skip time; the default blocks the calling (virtual) thread. */
@FunctionalInterface
public interface Sleeper {
    Sleeper SYSTEM = d -> {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    };

    void sleep(Duration duration);
}
