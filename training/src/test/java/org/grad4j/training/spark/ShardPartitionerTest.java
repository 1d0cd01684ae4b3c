package org.grad4j.training.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShardPartitionerTest {
    @Test
    void workerRTakesTheRthSliceOfBOfEveryGlobalBatch() {
        int n = 3, b = 4;
        ShardPartitioner p = new ShardPartitioner(n, b);
        assertEquals(3, p.numPartitions());
        List<List<Long>> shares = new ArrayList<>();
        for (int r = 0; r < n; r++) shares.add(new ArrayList<>());
        for (long i = 0; i < 5 * n * b; i++) shares.get(p.getPartition(i)).add(i); // in order, as the sort leaves them
        for (int r = 0; r < n; r++) {
            assertEquals(5 * b, shares.get(r).size());
            for (int k = 0; k < 5; k++) {
                // step k of worker r: its batch k
                List<Long> batch = shares.get(r).subList(k * b, (k + 1) * b);
                for (int j = 0; j < b; j++)
                    assertEquals((long) k * n * b + (long) r * b + j, batch.get(j), "worker " + r + ", step " + k);
            }
        }
        // beyond 2^31 samples the arithmetic stays in longs
        assertEquals(1, ShardPartitioner.worker(3L * (1L << 32) + 4, n, b));
    }
}
