package io.myriad.core.sched;

import java.util.Arrays;

/**
 * The items of one fleet of one tenant: highest priority first, first in first out within a
 * priority. Levels are kept sorted by ascending priority so the highest is last and removing it
 * shifts nothing; a level is dropped when it empties.
 *
 * <p>Guarded by the lock of the owning {@link FairQueue}.
 */
final class FleetQueue extends Flow {
    final String name;
    private Level[] levels = new Level[1];
    private int levelCount;

    FleetQueue(String name) {
        this.name = name;
    }

    void add(int priority, long cost, Object item) {
        level(priority).add(cost, item);
    }

    @Override
    boolean isEmpty() {
        return levelCount == 0;
    }

    @Override
    long headCost() {
        return levels[levelCount - 1].headCost();
    }

    /** Removes and returns the head item; only called when not empty. */
    Object remove() {
        Level top = levels[levelCount - 1];
        Object item = top.remove();
        if (top.isEmpty()) {
            levels[--levelCount] = null;
        }
        return item;
    }

    private Level level(int priority) {
        if (levelCount > 0 && levels[levelCount - 1].priority == priority) {
            return levels[levelCount - 1];
        }
        int low = 0;
        int high = levelCount - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            int p = levels[mid].priority;
            if (p < priority) {
                low = mid + 1;
            } else if (p > priority) {
                high = mid - 1;
            } else {
                return levels[mid];
            }
        }
        if (levelCount == levels.length) {
            levels = Arrays.copyOf(levels, levelCount * 2);
        }
        System.arraycopy(levels, low, levels, low + 1, levelCount - low);
        Level level = new Level(priority);
        levels[low] = level;
        levelCount++;
        return level;
    }
}
