package org.grad4j.training.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * A loader's worker threads: gone after {@code close()}, and gone too once a loader that was never
 * closed is garbage; a closed loader refuses to iterate, with a message saying so.
 */
class DataLoaderCloseTest {
    private static final String CLOSED =
            "DataLoader: the loader is closed (its worker threads are stopped); build a new " + "one to iterate again";

    private static TensorDataset numbers(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = i;
        return new TensorDataset(Tensor.of(x, n, 1), Tensor.of(x.clone(), n));
    }

    private static DataLoader loader(int samples) {
        return DataLoader.builder(numbers(samples))
                .batchSize(4)
                .shuffle(true)
                .seed(1)
                .numWorkers(2)
                .build();
    }

    private static Set<Thread> liveThreads() {
        return new HashSet<>(Thread.getAllStackTraces().keySet());
    }

    /**
     * Waits (collecting garbage, at most 30 s) until no thread is alive that was not alive in
     * {@code before}; fails naming the ones that stay.
     */
    private static void awaitNoNewThreads(Set<Thread> before, String what) throws InterruptedException {
        Set<Thread> extra = Set.of();
        for (long deadline = System.nanoTime() + 30_000_000_000L; System.nanoTime() < deadline; ) {
            System.gc();
            extra = liveThreads().stream().filter(t -> !before.contains(t)).collect(Collectors.toSet());
            if (extra.isEmpty()) return;
            Thread.sleep(50);
        }
        List<String> names = extra.stream().map(Thread::getName).sorted().toList();
        throw new AssertionError(
                what + ": " + names.size() + " threads left, e.g. " + names.subList(0, Math.min(10, names.size())));
    }

    /** Runs one loader to the end and closes it, so the JVM's and Reactor's own threads exist before counting. */
    private static Set<Thread> baseline() {
        try (DataLoader warm = loader(16)) {
            for (Batch b : warm) b.size();
        }
        return liveThreads();
    }

    @Test
    void droppedLoadersLeaveNoThreadBehind() throws Exception {
        Set<Thread> before = baseline();
        for (int i = 0; i < 100; i++) {
            DataLoader l = loader(40);
            switch (i % 4) {
                case 0 -> {} // built, never iterated
                case 1 -> {
                    for (Batch b : l) b.size();
                } // one whole epoch
                case 2 -> { // an iterator abandoned after one batch: its subscription is never cancelled
                    Iterator<Batch> it = l.iterator();
                    it.next();
                }
                default -> l.flux(3).take(2).blockLast(); // a flux cancelled after two batches
            }
        }
        awaitNoNewThreads(before, "100 loaders dropped without close()");
    }

    @Test
    void closedLoadersLeaveNoThreadBehind() throws Exception {
        Set<Thread> before = baseline();
        for (int i = 0; i < 100; i++) {
            try (DataLoader l = loader(40)) {
                if (i % 2 == 0) for (Batch b : l) b.size();
                else l.iterator().next(); // closed with an iteration still open
            }
        }
        awaitNoNewThreads(before, "100 loaders closed");
    }

    @Test
    void closeIsIdempotentAndAClosedLoaderRefusesToIterate() {
        for (int workers : new int[] {0, 2}) {
            DataLoader l = DataLoader.builder(numbers(10))
                    .batchSize(4)
                    .numWorkers(workers)
                    .build();
            Flux<Batch> made = l.flux(0); // made before close, subscribed after
            l.close();
            l.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.flux(1));
            assertEquals(CLOSED, e.getMessage());
            e = assertThrows(IllegalStateException.class, l::iterator);
            assertEquals(CLOSED, e.getMessage());
            StepVerifier.create(made)
                    .expectErrorSatisfies(err -> {
                        assertTrue(err instanceof IllegalStateException, err.toString());
                        assertEquals(CLOSED, err.getMessage());
                    })
                    .verify();
            // what the loader is stays readable
            assertEquals(3, l.numBatches());
            assertEquals(4, l.batchSize());
        }
    }

    @Test
    void closingDuringAnEpochEndsItWithTheClosedError() {
        DataLoader l = DataLoader.builder(numbers(400))
                .batchSize(4)
                .numWorkers(2)
                .prefetchFactor(1)
                .build();
        StepVerifier.create(l.flux(0), 1)
                .expectNextCount(1)
                .then(l::close)
                .thenRequest(Long.MAX_VALUE)
                .thenConsumeWhile(b -> true) // the batches already loaded may still arrive
                .expectErrorSatisfies(err -> {
                    assertTrue(err instanceof IllegalStateException, err.toString());
                    assertEquals(CLOSED, err.getMessage());
                })
                .verify();
    }

    @Test
    void aSchedulerGivenByTheUserIsNotDisposed() {
        Scheduler mine = Schedulers.newSingle("users-own", true);
        try {
            DataLoader l = DataLoader.builder(numbers(12))
                    .batchSize(4)
                    .numWorkers(1)
                    .scheduler(mine)
                    .build();
            int batches = 0;
            for (Batch b : l) batches += b.size() > 0 ? 1 : 0;
            assertEquals(3, batches);
            l.close();
            assertFalse(mine.isDisposed());
        } finally {
            mine.dispose();
        }
    }
}
