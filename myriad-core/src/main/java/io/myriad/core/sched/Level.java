package io.myriad.core.sched;

/**
 * The items of one priority in one fleet, first in first out: a ring buffer of items with their
 * costs in a parallel array, so an item costs a slot in each array and no node object.
 *
 * <p>Guarded by the lock of the owning {@link FairQueue}.
 */
final class Level {
    private static final int MIN_CAPACITY = 4;

    final int priority;
    private Object[] items = new Object[MIN_CAPACITY];
    private long[] costs = new long[MIN_CAPACITY];
    private int head;
    private int size;

    Level(int priority) {
        this.priority = priority;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void add(long cost, Object item) {
        if (size == items.length) {
            resize(size * 2);
        }
        int i = (head + size) & (items.length - 1);
        items[i] = item;
        costs[i] = cost;
        size++;
    }

    long headCost() {
        return costs[head];
    }

    Object remove() {
        Object item = items[head];
        items[head] = null;
        head = (head + 1) & (items.length - 1);
        size--;
        if (size < items.length / 4 && items.length > MIN_CAPACITY) {
            resize(items.length / 2);
        }
        return item;
    }

    private void resize(int capacity) {
        Object[] newItems = new Object[capacity];
        long[] newCosts = new long[capacity];
        int mask = items.length - 1;
        for (int k = 0; k < size; k++) {
            newItems[k] = items[(head + k) & mask];
            newCosts[k] = costs[(head + k) & mask];
        }
        items = newItems;
        costs = newCosts;
        head = 0;
    }
}
