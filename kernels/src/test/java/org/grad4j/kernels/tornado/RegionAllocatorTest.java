package org.grad4j.kernels.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RegionAllocatorTest {

    @Test
    void regionsAreAlignedDisjointAndMergedBackWhenFreed() {
        RegionAllocator a = new RegionAllocator(1024);
        int x = a.allocate(1), y = a.allocate(17), z = a.allocate(100);
        assertEquals(0, x);
        assertEquals(16, y);
        assertEquals(48, z);
        assertEquals(16 + 32 + 112, a.used());
        a.free(y, 17);
        assertEquals(16, a.allocate(30), "first fit reuses the hole");
        a.free(16, 30);
        a.free(x, 1);
        a.free(z, 100);
        assertEquals(0, a.used());
        assertEquals(1, a.freeRegions(), "neighbours merge into one free region");
        assertEquals(0, a.allocate(1024), "the whole arena is one region again");
        assertEquals(-1, a.allocate(1), "full");
    }

    @Test
    void randomAllocateFreeNeverOverlaps() {
        RegionAllocator a = new RegionAllocator(1 << 16);
        Random rnd = new Random(3);
        List<int[]> live = new ArrayList<>();
        for (int step = 0; step < 5000; step++) {
            if (!live.isEmpty() && rnd.nextInt(3) == 0) {
                int[] r = live.remove(rnd.nextInt(live.size()));
                a.free(r[0], r[1]);
            } else {
                int size = 1 + rnd.nextInt(700);
                int off = a.allocate(size);
                if (off < 0) continue;
                assertEquals(0, off % RegionAllocator.ALIGN);
                for (int[] r : live) {
                    int end = off + RegionAllocator.rounded(size), rEnd = r[0] + RegionAllocator.rounded(r[1]);
                    assertTrue(end <= r[0] || off >= rEnd, "overlap at step " + step);
                }
                live.add(new int[] {off, size});
            }
        }
        for (int[] r : live) a.free(r[0], r[1]);
        assertEquals(0, a.used());
        assertEquals(1, a.freeRegions());
        assertTrue(a.peak() > 0);
    }

    @Test
    void doubleFreeAndBadArgumentsAreErrors() {
        RegionAllocator a = new RegionAllocator(256);
        int x = a.allocate(10);
        a.free(x, 10);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.free(x, 10));
        assertTrue(e.getMessage().contains("freed twice"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.free(250, 32));
        assertThrows(IllegalArgumentException.class, () -> new RegionAllocator(100));
        assertThrows(IllegalArgumentException.class, () -> a.allocate(-1));
    }
}
