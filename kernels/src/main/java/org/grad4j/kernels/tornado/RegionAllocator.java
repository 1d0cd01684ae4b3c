package org.grad4j.kernels.tornado;

import java.util.Map;
import java.util.TreeMap;

/**
 * Hands out regions of one device-resident array (the TornadoVM backend keeps every tensor of a
 * device in one buffer, so kernels compiled once serve any tensor): first fit over a free list kept
 * sorted by offset, neighbours merged on free. Sizes are rounded up to {@link #ALIGN} floats (64
 * bytes) so that every region starts on a cache line. Plain Java with no TornadoVM dependency, so
 * the default build tests it. Thread-safe (tensors are freed from a cleaner thread).
 */
final class RegionAllocator {
    /** Region granularity in floats. */
    static final int ALIGN = 16;

    private final int capacity;
    /** Free regions: offset → length, never adjacent (merged on free). */
    private final TreeMap<Integer, Integer> free = new TreeMap<>();

    private long used;
    private long peak;

    RegionAllocator(int capacity) {
        if (capacity <= 0 || capacity % ALIGN != 0) {
            throw new IllegalArgumentException(
                    "capacity must be a positive multiple of " + ALIGN + ", got " + capacity);
        }
        this.capacity = capacity;
        free.put(0, capacity);
    }

    /** The region length a request of {@code size} floats takes. */
    static int rounded(int size) {
        return Math.max(ALIGN, (size + ALIGN - 1) / ALIGN * ALIGN);
    }

    /** The offset of a new region of at least {@code size} floats, or -1 when no free region is large enough. */
    synchronized int allocate(int size) {
        if (size < 0) throw new IllegalArgumentException("negative size " + size);
        int len = rounded(size);
        for (Map.Entry<Integer, Integer> e : free.entrySet()) {
            if (e.getValue() >= len) {
                int off = e.getKey(), rest = e.getValue() - len;
                free.remove(off);
                if (rest > 0) free.put(off + len, rest);
                used += len;
                peak = Math.max(peak, used);
                return off;
            }
        }
        return -1;
    }

    /** Returns the region allocated at {@code offset} for a request of {@code size} floats. */
    synchronized void free(int offset, int size) {
        int len = rounded(size);
        if (offset < 0 || offset + len > capacity) {
            throw new IllegalArgumentException("region [" + offset + ", " + (offset + len) + ") is outside the arena");
        }
        Map.Entry<Integer, Integer> before = free.floorEntry(offset);
        if (before != null && before.getKey() + before.getValue() > offset) {
            throw new IllegalStateException("region at " + offset + " freed twice (or never allocated)");
        }
        Map.Entry<Integer, Integer> after = free.ceilingEntry(offset);
        if (after != null && after.getKey() < offset + len) {
            throw new IllegalStateException("region at " + offset + " overlaps a free region");
        }
        int start = offset, end = offset + len;
        if (before != null && before.getKey() + before.getValue() == offset) {
            start = before.getKey();
            free.remove(start);
        }
        if (after != null && after.getKey() == end) {
            end += after.getValue();
            free.remove(after.getKey());
        }
        free.put(start, end - start);
        used -= len;
    }

    int capacity() {
        return capacity;
    }

    /** Floats currently handed out (rounded sizes). */
    synchronized long used() {
        return used;
    }

    /** The most floats ever handed out at once. */
    synchronized long peak() {
        return peak;
    }

    /** Number of free regions (fragmentation). */
    synchronized int freeRegions() {
        return free.size();
    }
}
