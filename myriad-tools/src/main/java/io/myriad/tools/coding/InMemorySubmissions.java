package io.myriad.tools.coding;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** {@link Submissions} in memory: one submission per idempotency key, in arrival order. */
public final class InMemorySubmissions implements Submissions {
    private final Map<String, Submission> byKey = new ConcurrentHashMap<>();
    private final List<Submission> ordered = new CopyOnWriteArrayList<>();

    InMemorySubmissions() {}

    @Override
    public Receipt submit(Submission submission) {
        Objects.requireNonNull(submission, "submission");
        byKey.computeIfAbsent(submission.idempotencyKey(), k -> {
            ordered.add(submission);
            return submission;
        });
        return new Receipt("submission-" + submission.idempotencyKey());
    }

    /** Every distinct submission, first first. */
    public List<Submission> all() {
        return List.copyOf(ordered);
    }

    /** The submission made with {@code idempotencyKey}, if any. */
    public Optional<Submission> find(String idempotencyKey) {
        return Optional.ofNullable(byKey.get(Objects.requireNonNull(idempotencyKey,
                "idempotencyKey")));
    }
}
