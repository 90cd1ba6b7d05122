package io.myriad.bench.macro;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Memory figures of this process: the peak heap in use right after a garbage collection (what
 * the live objects really need, not garbage waiting for collection), and the peak resident set
 * from the kernel.
 */
final class MemoryProbe implements AutoCloseable {
    private final AtomicLong peakAfterGc = new AtomicLong();
    private final List<Runnable> unsubscribe = new ArrayList<>();

    MemoryProbe() {
        NotificationListener listener = (notification, handback) -> {
            if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
                return;
            }
            var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
            long used = info.getGcInfo().getMemoryUsageAfterGc().values().stream()
                    .filter(u -> u != null).mapToLong(MemoryUsage::getUsed).sum();
            peakAfterGc.accumulateAndGet(used - nonHeapAfterGc(info), Math::max);
        };
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(listener, null, null);
                unsubscribe.add(() -> {
                    try {
                        emitter.removeNotificationListener(listener);
                    } catch (javax.management.ListenerNotFoundException ignored) {
                        // already gone
                    }
                });
            }
        }
    }

    /** Code cache and metaspace pools appear in GC info on some collectors; they are not heap. */
    private static long nonHeapAfterGc(GarbageCollectionNotificationInfo info) {
        long nonHeap = 0;
        for (var e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
            String pool = e.getKey().toLowerCase(java.util.Locale.ROOT);
            if (pool.contains("metaspace") || pool.contains("code") || pool.contains("compressed class")) {
                nonHeap += e.getValue().getUsed();
            }
        }
        return nonHeap;
    }

    /** Heap in use after a full collection now. */
    static long heapAfterFullGc() {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    long peakHeapAfterGc() {
        return peakAfterGc.get();
    }

    void noteHeap(long used) {
        peakAfterGc.accumulateAndGet(used, Math::max);
    }

    /** The peak resident set size of this process (VmHWM), or -1 where /proc is missing. */
    static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    @Override
    public void close() {
        unsubscribe.forEach(Runnable::run);
    }
}
