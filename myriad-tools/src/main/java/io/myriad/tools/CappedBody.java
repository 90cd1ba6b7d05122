package io.myriad.tools;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body subscriber that keeps at most a given number of bytes, then cancels the
 * exchange, so that a huge or endless body costs neither memory nor time.
 */
final class CappedBody implements HttpResponse.BodySubscriber<CappedBody.Result> {

    /** The bytes kept, and whether more were on the way when the cap was reached. */
    record Result(byte[] bytes, boolean truncated) {}

    private final int cap;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final CompletableFuture<Result> result = new CompletableFuture<>();
    private Flow.Subscription subscription; // set once by onSubscribe, before any onNext

    CappedBody(int cap) {
        this.cap = cap;
    }

    @Override
    public CompletionStage<Result> getBody() {
        return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        subscription.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (result.isDone()) {
            return;
        }
        for (ByteBuffer item : items) {
            int room = cap - kept.size();
            int take = Math.min(room, item.remaining());
            byte[] chunk = new byte[take];
            item.get(chunk);
            kept.writeBytes(chunk);
            if (item.hasRemaining()) {
                result.complete(new Result(kept.toByteArray(), true));
                subscription.cancel();
                return;
            }
        }
        subscription.request(1);
    }

    @Override
    public void onError(Throwable error) {
        result.completeExceptionally(error);
    }

    @Override
    public void onComplete() {
        result.complete(new Result(kept.toByteArray(), false));
    }
}
