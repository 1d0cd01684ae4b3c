package org.grad4j.kernels.jvm;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.grad4j.kernels.Parallel;

/**
 * Released float arrays, by exact length: a training step allocates the same shapes every time, and
 * a recently used array is already in cache and needs no zeroing. Bins live in a small open-addressed
 * table keyed by the int length (a map keyed by Integer boxed every length and showed up at 2% of
 * an MLP step). Thread-safe; bounded per length and in total.
 *
 * <p>A miss on a large length also asks an idle pool worker ({@link Parallel#runWhenIdle}) for a
 * spare of that length: the JVM zeroes a fresh array on the thread that allocates it, serially,
 * while the other threads wait for the next op; the spare is zeroed on a worker that would only
 * spin, so a forward pass whose outputs are all fresh no longer zeroes them all on the caller's
 * thread.
 */
final class ArrayPool {
    static final int MIN_LENGTH = 1024;
    private static final int PER_LENGTH = 8, SLOTS = 256;
    private static final long MAX_FLOATS = 32L << 20; // 128 MB
    /** Lengths whose misses ask for a spare (1 MB and up: smaller arrays are zeroed in cache, cheaply). */
    static final int SPARE_MIN_LENGTH = 1 << 18;

    private static final int SPARES_PENDING = 2;

    private record Bin(
            int length, ConcurrentLinkedDeque<float[]> arrays, AtomicInteger count, AtomicInteger sparesPending) {}

    private final AtomicReferenceArray<Bin> bins = new AtomicReferenceArray<>(SLOTS);
    private final AtomicLong pooled = new AtomicLong();

    /** A pooled array of exactly this length (contents undefined), or null. */
    float[] take(int length) {
        if (length < MIN_LENGTH) return null;
        Bin bin = bin(length, length >= SPARE_MIN_LENGTH);
        float[] a = bin == null ? null : bin.arrays.pollFirst();
        if (a == null) {
            if (bin != null && length >= SPARE_MIN_LENGTH) askForSpare(bin);
            return null;
        }
        bin.count.decrementAndGet();
        pooled.addAndGet(-length);
        return a;
    }

    private void askForSpare(Bin bin) {
        if (bin.sparesPending.incrementAndGet() > SPARES_PENDING
                || !Parallel.runWhenIdle(() -> {
                    bin.sparesPending.decrementAndGet();
                    give(new float[bin.length]);
                })) {
            bin.sparesPending.decrementAndGet();
        }
    }

    /** Keeps {@code a} for a later {@link #take} unless its bin or the pool is full. */
    void give(float[] a) {
        int length = a.length;
        if (length < MIN_LENGTH || pooled.get() + length > MAX_FLOATS) return;
        Bin bin = bin(length, true);
        if (bin == null || bin.count.incrementAndGet() > PER_LENGTH) {
            if (bin != null) bin.count.decrementAndGet();
            return;
        }
        bin.arrays.addFirst(a); // LIFO: the most recently used (cache-warm) array goes out first
        pooled.addAndGet(length);
    }

    /** The bin of this length (linear probing), created if asked; null if absent or the table is full. */
    private Bin bin(int length, boolean create) {
        int slot = (length * 0x9E3779B9) >>> 24; // Fibonacci hashing to 8 bits (SLOTS = 256)
        for (int probe = 0; probe < SLOTS; probe++, slot = (slot + 1) & (SLOTS - 1)) {
            Bin bin = bins.get(slot);
            if (bin == null) {
                if (!create) return null;
                Bin fresh = new Bin(length, new ConcurrentLinkedDeque<>(), new AtomicInteger(), new AtomicInteger());
                if (bins.compareAndSet(slot, null, fresh)) return fresh;
                bin = bins.get(slot); // another thread took the slot: check whose length it holds
            }
            if (bin.length == length) return bin;
        }
        return null;
    }
}
