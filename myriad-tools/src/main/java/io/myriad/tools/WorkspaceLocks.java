package io.myriad.tools;

import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Locks that serialise the writing tools of one workspace: {@code fs.write}, {@code fs.edit}
 * and {@code fs.patch} share one instance, so a read-modify-write or a marker update of one run
 * is never interleaved with another call of the same run. Striped by the workspace's real path;
 * two workspaces may share a stripe, which costs only some parallelism.
 */
final class WorkspaceLocks {
    private static final int STRIPES = 64;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

    WorkspaceLocks() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /** The lock of the workspace whose real root is {@code root}. */
    ReentrantLock of(Path root) {
        return stripes[Math.floorMod(root.hashCode(), STRIPES)];
    }
}
