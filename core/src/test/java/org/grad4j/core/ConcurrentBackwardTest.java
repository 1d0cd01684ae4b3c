package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.grad4j.core.autograd.ActivationCheckpoint;
import org.junit.jupiter.api.Test;

/**
 * Backward passes on several threads at once, into shared leaves or through one retained graph: no
 * gradient update may be lost (PyTorch locks each AccumulateGrad for this). The expected sums are
 * small integers, exact in float32, so any lost or doubled update shows as a wrong value. The
 * threads start together behind a barrier and run thousands of passes each, rounds repeated: an
 * unlocked read-modify-write of {@code grad()} lost updates in most rounds.
 */
class ConcurrentBackwardTest {
    private static final int THREADS = 4, PASSES = 2000, ROUNDS = 3;

    /** A body run by one thread: {@code thread} is its number. */
    @FunctionalInterface
    interface Body {
        void run(int thread) throws Exception;
    }

    /** Runs {@code body} on {@code threads} threads started together; rethrows the first failure. */
    static void concurrently(int threads, Body body) throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(
                    () -> {
                        try {
                            start.await();
                            body.run(id);
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    },
                    "backward-" + t);
            th.start();
            ts.add(th);
        }
        for (Thread th : ts) th.join();
        if (failure.get() != null)
            throw new AssertionError("a backward thread failed: " + failure.get(), failure.get());
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Test
    void sharedLeafSmallGradientLosesNoUpdate() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            Tensor w = Tensor.zeros(8).requiresGrad_(); // grad() starts null: the first-creation race too
            concurrently(THREADS, t -> {
                for (int i = 0; i < PASSES; i++) w.mul(3f).sum().backward();
            });
            assertArrayEquals(filled(8, 3f * THREADS * PASSES), w.grad().toFloatArray(), "round " + round);
        }
    }

    @Test
    void sharedLeafPooledGradientLosesNoUpdate() throws Exception {
        // 4096 elements: the engine owns and recycles these gradients, and hands the first over without a copy
        for (int round = 0; round < ROUNDS; round++) {
            Tensor w = Tensor.zeros(4096).requiresGrad_();
            Tensor x = Tensor.ones(4096);
            concurrently(THREADS, t -> {
                for (int i = 0; i < PASSES / 4; i++) w.mul(x).mul(2f).sum().backward();
            });
            assertArrayEquals(
                    filled(4096, 2f * THREADS * (PASSES / 4)), w.grad().toFloatArray(), "round " + round);
        }
    }

    @Test
    void firstGradientIsNeverLost() throws Exception {
        // many fresh leaves, each hit once by every thread at the same moment: grad() starts null each time
        int leaves = 1000;
        for (int round = 0; round < ROUNDS; round++) {
            Tensor[] ws = new Tensor[leaves];
            for (int i = 0; i < leaves; i++) ws[i] = Tensor.zeros(4).requiresGrad_();
            concurrently(2, t -> {
                for (Tensor w : ws) w.mul(1f).sum().backward();
            });
            for (int i = 0; i < leaves; i++) {
                assertArrayEquals(filled(4, 2f), ws[i].grad().toFloatArray(), "leaf " + i + ", round " + round);
            }
        }
    }

    @Test
    void sharedRetainedGraphLosesNoUpdate() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            Tensor w = Tensor.ones(3, 5).requiresGrad_();
            Tensor b = Tensor.ones(5).requiresGrad_();
            Tensor h = w.mul(3f).add(b).tanh(); // one graph, shared by every thread
            h.retainGrad(); // a non-leaf's retained grad is accumulated as well
            Tensor loss = h.sum();
            concurrently(THREADS, t -> {
                for (int i = 0; i < PASSES; i++) loss.backward(null, true);
            });
            int n = THREADS * PASSES;
            assertArrayEquals(filled(15, n), h.grad().toFloatArray(), "retained grad, round " + round);
            Tensor once = Tensor.ones(3, 5).requiresGrad_();
            once.mul(3f).add(Tensor.ones(5)).tanh().sum().backward();
            float[] dw = once.grad().toFloatArray();
            float[] want = new float[15], got = w.grad().toFloatArray();
            for (int i = 0; i < 15; i++) want[i] = dw[i] * n;
            assertArrayEquals(want, got, want[0] * 1e-4f, "w.grad, round " + round);
            // dL/db sums the 3 rows of dtanh, each dw/3: equal to one entry of dw
            assertArrayEquals(filled(5, dw[0] * n), b.grad().toFloatArray(), want[0] * 1e-4f, "b.grad, round " + round);
        }
    }

    @Test
    void postAccumulateHooksOfOneLeafNeverRunConcurrently() throws Exception {
        Tensor w = Tensor.zeros(2).requiresGrad_();
        int[] calls = {0}; // a plain counter: the hook runs under the leaf's lock, as in PyTorch
        w.registerPostAccumulateGradHook(t -> {
            calls[0]++;
            return null;
        });
        concurrently(THREADS, t -> {
            for (int i = 0; i < PASSES; i++) w.mul(1f).sum().backward();
        });
        assertEquals(THREADS * PASSES, calls[0]);
        assertArrayEquals(filled(2, THREADS * PASSES), w.grad().toFloatArray());
    }

    @Test
    void sparseEmbeddingGradientsLoseNoUpdate() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            Tensor weight = Tensor.zeros(6, 2).requiresGrad_();
            Tensor ids = Tensor.indices(1, 4, 4);
            int passes = PASSES / 4; // each sparse accumulation concatenates: keep the sum small
            concurrently(THREADS, t -> {
                for (int i = 0; i < passes; i++)
                    F.embedding(ids, weight, null, true).sum().backward();
            });
            SparseGrad sg = weight.sparseGrad();
            assertEquals(3 * THREADS * passes, sg.nnz(), "sparse entries, round " + round);
            float n = THREADS * passes;
            assertArrayEquals(
                    new float[] {0, 0, n, n, 0, 0, 0, 0, 2 * n, 2 * n, 0, 0},
                    weight.grad().toFloatArray());
            assertNull(weight.sparseGrad());
        }
    }

    @Test
    void denseAndSparseEmbeddingGradientsMixedLoseNoUpdate() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            Tensor weight = Tensor.zeros(6, 2).requiresGrad_();
            Tensor ids = Tensor.indices(0, 5, 5, 2);
            int passes = PASSES / 2;
            concurrently(THREADS, t -> {
                // even threads send row-sparse gradients, odd ones dense: the dense ones make the sum dense
                for (int i = 0; i < passes; i++)
                    F.embedding(ids, weight, null, t % 2 == 0).sum().backward();
            });
            float n = THREADS * passes;
            assertArrayEquals(
                    new float[] {n, n, 0, 0, n, n, 0, 0, 0, 0, 2 * n, 2 * n},
                    weight.grad().toFloatArray(),
                    "round " + round);
        }
    }

    @Test
    void hooksRegisteredWhileOtherThreadsRunBackward() throws Exception {
        Tensor w = Tensor.zeros(4).requiresGrad_();
        Tensor h = w.mul(2f);
        Tensor loss = h.sum();
        AtomicInteger seen = new AtomicInteger();
        concurrently(3, t -> {
            if (t == 0) {
                // adds and removes hooks on the leaf and on the shared node while the others iterate them
                for (int i = 0; i < PASSES; i++) {
                    RemovableHandle a = w.registerHook(g -> null);
                    RemovableHandle b = h.registerHook(g -> null);
                    RemovableHandle c = h.gradFn().registerHook((gin, gout) -> null);
                    a.remove();
                    b.remove();
                    c.remove();
                }
            } else {
                for (int i = 0; i < PASSES; i++) {
                    loss.backward(null, true);
                    seen.incrementAndGet();
                }
            }
        });
        assertArrayEquals(filled(4, 2f * seen.get()), w.grad().toFloatArray());
    }

    @Test
    void hooksRegisteredFromSeveralThreadsAreAllKept() throws Exception {
        Tensor w = Tensor.zeros(1).requiresGrad_();
        AtomicInteger calls = new AtomicInteger();
        int each = 500;
        concurrently(THREADS, t -> {
            for (int i = 0; i < each; i++) {
                w.registerHook(g -> {
                    calls.incrementAndGet();
                    return null;
                });
            }
        });
        w.mul(1f).sum().backward();
        assertEquals(THREADS * each, calls.get());
    }

    @Test
    void checkpointedGraphRecomputedByTwoThreadsAtOnce() throws Exception {
        // the first backward through a checkpointed region recomputes it: two threads must not mix their recomputations
        for (int round = 0; round < 300; round++) {
            Tensor w = Tensor.ones(3).requiresGrad_();
            Tensor x = Tensor.tensor(0.5f, 1f, 2f);
            Tensor loss = ActivationCheckpoint.checkpoint(
                            in -> in[0].mul(w).tanh().mul(in[0]).exp(), x)
                    .sum();
            concurrently(2, t -> loss.backward(null, true));
            Tensor once = Tensor.ones(3).requiresGrad_();
            x.mul(once).tanh().mul(x).exp().sum().backward();
            float[] want = once.grad().mul(2f).toFloatArray();
            assertArrayEquals(want, w.grad().toFloatArray(), 1e-5f, "round " + round);
        }
    }
}
