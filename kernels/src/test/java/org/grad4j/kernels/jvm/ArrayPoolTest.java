package org.grad4j.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.grad4j.kernels.Parallel;
import org.junit.jupiter.api.Test;

class ArrayPoolTest {

    @Test
    void givesBackTheLastReleasedArrayOfThatExactLength() {
        ArrayPool pool = new ArrayPool();
        assertNull(pool.take(4096));
        float[] a = new float[4096], b = new float[4096], other = new float[4097];
        pool.give(a);
        pool.give(other);
        pool.give(b);
        assertSame(b, pool.take(4096), "LIFO: the most recently released (cache-warm) array first");
        assertSame(a, pool.take(4096));
        assertNull(pool.take(4096));
        assertSame(other, pool.take(4097));
    }

    @Test
    void smallArraysAreNotPooledAndEachLengthKeepsAtMostEight() {
        ArrayPool pool = new ArrayPool();
        pool.give(new float[ArrayPool.MIN_LENGTH - 1]);
        assertNull(pool.take(ArrayPool.MIN_LENGTH - 1));
        for (int i = 0; i < 12; i++) pool.give(new float[2048]);
        int taken = 0;
        while (pool.take(2048) != null) taken++;
        assertEquals(8, taken);
    }

    @Test
    void moreLengthsThanSlotsAreSimplyNotPooled() {
        ArrayPool pool = new ArrayPool();
        for (int len = 1024; len < 1024 + 300; len++) pool.give(new float[len]);
        int found = 0;
        for (int len = 1024; len < 1024 + 300; len++) if (pool.take(len) != null) found++;
        assertEquals(256, found, "one bin per slot; the rest are dropped, never an error");
    }

    @Test
    void concurrentGiveAndTakeNeverHandOutAnArrayTwice() throws Exception {
        ArrayPool pool = new ArrayPool();
        ExecutorService ex = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<float[]>>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(ex.submit(() -> {
                    List<float[]> held = new ArrayList<>();
                    for (int i = 0; i < 20_000; i++) {
                        int len = 1024 + (i % 5);
                        float[] a = pool.take(len);
                        if (a != null) assertEquals(len, a.length);
                        if (i % 3 == 0) held.add(a != null ? a : new float[len]);
                        else pool.give(a != null ? a : new float[len]);
                    }
                    return held;
                }));
            }
            Set<float[]> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            int total = 0;
            for (var f : futures) {
                for (float[] a : f.get()) {
                    seen.add(a);
                    total++;
                }
            }
            float[] a;
            for (int len = 1024; len < 1029; len++)
                while ((a = pool.take(len)) != null) {
                    seen.add(a);
                    total++;
                }
            assertEquals(total, seen.size(), "an array kept by a thread (or left in the pool) went out twice");
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void aMissOnALargeLengthGetsASpareZeroedByAnIdleWorker() throws InterruptedException {
        int before = Parallel.numThreads(), length = ArrayPool.SPARE_MIN_LENGTH + 3;
        Parallel.setNumThreads(2);
        try {
            Parallel.forRange(2, 1 << 20, (from, to) -> {}); // the worker exists
            ArrayPool pool = new ArrayPool();
            assertNull(pool.take(length), "nothing released yet: the caller allocates this one");
            float[] spare = null;
            for (int i = 0; i < 5000 && spare == null; i++) { // the worker takes it between ranges
                Thread.sleep(1);
                spare = pool.take(length);
            }
            assertNotNull(spare, "no spare of the missed length appeared");
            assertEquals(length, spare.length);
            for (float f : spare) assertEquals(0f, f);
        } finally {
            Parallel.setNumThreads(before);
        }
    }

    @Test
    void oneThreadNeverHandsWorkToAWorker() throws InterruptedException {
        int before = Parallel.numThreads(), length = ArrayPool.SPARE_MIN_LENGTH + 5;
        Parallel.setNumThreads(2);
        Parallel.forRange(2, 1 << 20, (from, to) -> {}); // a worker exists, but one thread is granted
        Parallel.setNumThreads(1);
        try {
            boolean[] ran = {false};
            assertFalse(Parallel.runWhenIdle(() -> ran[0] = true));
            ArrayPool pool = new ArrayPool();
            assertNull(pool.take(length));
            Thread.sleep(50);
            assertNull(pool.take(length), "a spare was made on a core setNumThreads(1) did not grant");
            assertFalse(ran[0]);
        } finally {
            Parallel.setNumThreads(before);
        }
    }

    @Test
    void smallLengthsGetNoSpare() throws InterruptedException {
        int before = Parallel.numThreads(), length = ArrayPool.SPARE_MIN_LENGTH - 1;
        Parallel.setNumThreads(2);
        try {
            Parallel.forRange(2, 1 << 20, (from, to) -> {});
            ArrayPool pool = new ArrayPool();
            assertNull(pool.take(length));
            Thread.sleep(50);
            assertNull(pool.take(length), "below 1 MB the caller zeroes in cache: no spare needed");
            assertTrue(Parallel.runWhenIdle(() -> {}), "two threads: a worker takes tasks");
        } finally {
            Parallel.setNumThreads(before);
        }
    }
}
