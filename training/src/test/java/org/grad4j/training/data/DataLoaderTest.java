package org.grad4j.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.test.StepVerifier;

class DataLoaderTest {

    private static TensorDataset numbers(int n) {
        float[] x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
            y[i] = 10 * i;
        }
        return new TensorDataset(Tensor.of(x, n, 1), Tensor.of(y, n));
    }

    private static List<Float> flatten(Iterable<Batch> batches) {
        List<Float> out = new ArrayList<>();
        for (Batch b : batches) {
            float[] x = b.inputs().toFloatArray(), y = b.targets().toFloatArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals(10 * x[i], y[i], "fields stay paired");
                out.add(x[i]);
            }
        }
        return out;
    }

    @Test
    void batchesInOrderKeepTheShortLastBatchUnlessDropLast() {
        DataLoader keep = DataLoader.builder(numbers(10)).batchSize(4).build();
        List<Integer> sizes = new ArrayList<>();
        for (Batch b : keep) sizes.add(b.size());
        assertEquals(List.of(4, 4, 2), sizes);
        assertEquals(3, keep.numBatches());
        assertEquals(List.of(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f), flatten(keep));
        DataLoader drop =
                DataLoader.builder(numbers(10)).batchSize(4).dropLast(true).build();
        assertEquals(2, drop.numBatches());
        assertEquals(8, flatten(drop).size());
    }

    @Test
    void shuffleIsAPermutationFixedBySeedAndEpoch() {
        DataLoader a = DataLoader.builder(numbers(50))
                .batchSize(7)
                .shuffle(true)
                .seed(3)
                .build();
        DataLoader b = DataLoader.builder(numbers(50))
                .batchSize(7)
                .shuffle(true)
                .seed(3)
                .build();
        List<Float> e0 = flatten(a.flux(0).toIterable()), e1 = flatten(a.flux(1).toIterable());
        assertEquals(e0, flatten(b.flux(0).toIterable()), "same seed, same epoch: same order");
        assertNotEquals(e0, e1, "another epoch reshuffles");
        List<Float> sorted = new ArrayList<>(e0);
        sorted.sort(null);
        assertEquals(
                flatten(DataLoader.builder(numbers(50)).batchSize(50).build()), sorted, "each sample exactly once");
        assertNotEquals(
                e0,
                flatten(DataLoader.builder(numbers(50))
                        .batchSize(7)
                        .shuffle(true)
                        .seed(4)
                        .build()
                        .flux(0)
                        .toIterable()));
        // iterating again moves to the next epoch
        assertEquals(e0, flatten(a));
        assertEquals(e1, flatten(a));
    }

    @Test
    void parallelWorkersGiveTheSameBatchesInOrder() {
        DataLoader serial = DataLoader.builder(numbers(200))
                .batchSize(8)
                .shuffle(true)
                .seed(1)
                .build();
        DataLoader parallel = DataLoader.builder(numbers(200))
                .batchSize(8)
                .shuffle(true)
                .seed(1)
                .numWorkers(3)
                .prefetchFactor(2)
                .build();
        assertEquals(
                flatten(serial.flux(2).toIterable()), flatten(parallel.flux(2).toIterable()));
        assertEquals(flatten(serial.flux(0).toIterable()), flatten(parallel));
    }

    /** A dataset that counts loads and records which threads load. */
    static final class Counting implements Dataset {
        final TensorDataset inner = numbers(100);
        final AtomicInteger loads = new AtomicInteger();
        final List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public int size() {
            return inner.size();
        }

        @Override
        public List<Tensor> get(int index) {
            return inner.get(index);
        }

        @Override
        public Batch getBatch(int[] indices) {
            loads.incrementAndGet();
            threads.add(Thread.currentThread().getName());
            return inner.getBatch(indices);
        }
    }

    @Test
    void loadingStaysABoundedNumberOfBatchesAheadOfDemand() {
        Counting ds = new Counting();
        DataLoader loader = DataLoader.builder(ds)
                .batchSize(5)
                .numWorkers(2)
                .prefetchFactor(2)
                .build();
        StepVerifier.create(loader.flux(0), 0)
                .expectSubscription()
                .thenAwait(Duration.ofMillis(100))
                .then(() -> assertTrue(ds.loads.get() <= 4, "nothing requested yet, loaded " + ds.loads.get()))
                .thenRequest(3)
                .expectNextCount(3)
                .thenAwait(Duration.ofMillis(100))
                .then(() -> assertTrue(ds.loads.get() <= 3 + 4, "3 taken, loaded " + ds.loads.get()))
                .thenRequest(Long.MAX_VALUE)
                .expectNextCount(17)
                .verifyComplete();
        assertEquals(20, ds.loads.get());
        assertTrue(ds.threads.stream().allMatch(t -> t.startsWith("grad4j-loader")), ds.threads.toString());
    }

    @Test
    void withoutWorkersBatchesLoadOnDemandOnTheConsumersThread() {
        Counting ds = new Counting();
        DataLoader loader = DataLoader.builder(ds).batchSize(10).build();
        StepVerifier.create(loader.flux(0), 2).expectNextCount(2).thenCancel().verify();
        assertEquals(2, ds.loads.get());
        assertEquals(Thread.currentThread().getName(), ds.threads.get(0));
    }

    @Test
    void defaultGetBatchStacksSamples() {
        Dataset rows = new Dataset() {
            @Override
            public int size() {
                return 3;
            }

            @Override
            public List<Tensor> get(int i) {
                return List.of(Tensor.full(i, 2), Tensor.scalar(i));
            }
        };
        Batch b = rows.getBatch(new int[] {2, 0});
        assertArrayEquals(new int[] {2, 2}, b.inputs().shape());
        assertArrayEquals(new float[] {2, 2, 0, 0}, b.inputs().toFloatArray());
        assertArrayEquals(new float[] {2, 0}, b.targets().toFloatArray());
    }

    @Test
    void badArgumentsAreRejected() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> new TensorDataset(Tensor.zeros(3, 2), Tensor.zeros(4)));
        assertEquals(
                "TensorDataset: Size mismatch between tensors: first dimensions must agree, got shapes [3, 2] [4]",
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> DataLoader.builder(numbers(3)).batchSize(0));
        assertEquals("DataLoader: batch_size should be a positive integer value, but got batch_size=0", e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> numbers(3).get(3));
        assertEquals(2, numbers(3).head(2).size());
    }

    @TempDir
    Path dir;

    @Test
    void csvReadsNumbersAndNamesBadLines() throws IOException {
        Path f = Files.writeString(dir.resolve("d.csv"), "a,b,y\n1,2,0\n3.5, -4 ,1\n\n");
        TensorDataset ds = Csv.readDataset(f, true, ',', -1);
        assertArrayEquals(new float[] {1, 2, 3.5f, -4}, ds.tensors().get(0).toFloatArray());
        assertArrayEquals(new float[] {0, 1}, ds.tensors().get(1).toFloatArray());
        assertArrayEquals(new int[] {2, 3}, Csv.read(f, true, ',').shape());
        Path ragged = Files.writeString(dir.resolve("r.csv"), "1;2\n3;4\n5\n");
        DataFileException e = assertThrows(DataFileException.class, () -> Csv.read(ragged, false, ';'));
        assertEquals(ragged + ": line 3 has 1 fields, expected 2 (as on line 1)", e.getMessage());
        Path text = Files.writeString(dir.resolve("t.csv"), "h\n1\nx1\n");
        e = assertThrows(DataFileException.class, () -> Csv.read(text, true, ','));
        assertEquals(text + ": line 3, column 1: 'x1' is not a number", e.getMessage());
        e = assertThrows(DataFileException.class, () -> Csv.read(dir.resolve("none.csv"), true, ','));
        assertEquals(dir.resolve("none.csv") + ": file not found", e.getMessage());
        Path empty = Files.writeString(dir.resolve("e.csv"), "h1,h2\n");
        assertEquals(
                empty + ": no data rows",
                assertThrows(DataFileException.class, () -> Csv.read(empty, true, ','))
                        .getMessage());
    }
}
