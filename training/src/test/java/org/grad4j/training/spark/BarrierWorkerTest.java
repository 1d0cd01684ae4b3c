package org.grad4j.training.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import org.grad4j.training.nn.CrossEntropyLoss;
import org.grad4j.training.nn.Linear;
import org.grad4j.training.optim.SGD;
import org.junit.jupiter.api.Test;

class BarrierWorkerTest {
    static BarrierWorker<Sample> worker(boolean shuffle, long seed) {
        SparkTrainer.Settings s = new SparkTrainer.Settings(
                () -> new Linear(2, 2),
                m -> new SGD(m.parameters(), 0.1f),
                CrossEntropyLoss::new,
                4,
                3,
                shuffle,
                seed,
                null,
                100,
                1000,
                0);
        return new BarrierWorker<>(s, Sample.COLLATE, 5, null, 0);
    }

    @Test
    void withoutShuffleEveryEpochTakesTheShareAsDealt() {
        int[] identity = {0, 1, 2, 3, 4, 5, 6, 7};
        assertArrayEquals(identity, worker(false, 0).order(8, 0, 1));
        assertArrayEquals(identity, worker(false, 0).order(8, 2, 0));
    }

    @Test
    void withShuffleEachEpochAndRankHasItsOwnSeededPermutation() {
        BarrierWorker<Sample> w = worker(true, 7);
        int[] e0 = w.order(20, 0, 0), e1 = w.order(20, 1, 0), r1 = w.order(20, 0, 1);
        for (int[] o : new int[][] {e0, e1, r1}) {
            int[] sorted = o.clone();
            Arrays.sort(sorted);
            int[] all = new int[20];
            Arrays.setAll(all, i -> i);
            assertArrayEquals(all, sorted, "a permutation of the share");
        }
        assertFalse(Arrays.equals(e0, e1), "a new order each epoch");
        assertFalse(Arrays.equals(e0, r1), "each rank its own");
        assertArrayEquals(e0, worker(true, 7).order(20, 0, 0), "the same on a retried attempt");
        assertFalse(Arrays.equals(e0, worker(true, 8).order(20, 0, 0)), "another seed, another order");
        assertEquals(20, e0.length);
    }
}
