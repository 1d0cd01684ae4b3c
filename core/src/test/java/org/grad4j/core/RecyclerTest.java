package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import org.junit.jupiter.api.Test;

/**
 * The engine recycles the gradient buffers it owns and hands the first gradient of a leaf over
 * without a copy. These tests pin what must never happen: a grad() that aliases another gradient or
 * changes after a later backward. Sizes are above the pool's threshold so buffers really come back.
 */
class RecyclerTest {
    private static final int N = 4096;

    private static float[] expected(float[] a, float scale) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i] * scale;
        return out;
    }

    @Test
    void gradientsHandedToTwoLeavesDoNotAlias() {
        Tensor a = Tensor.randn(new Generator(1), N).requiresGrad_();
        Tensor b = Tensor.randn(new Generator(2), N).requiresGrad_();
        a.add(b).mul(3f).sum().backward(); // AddBackward0 gives the same gradient to both inputs
        assertNotSame(a.grad(), b.grad());
        try (var s = GradMode.noGrad()) {
            a.grad().mul_(0f);
        }
        assertArrayEquals(expected(Tensor.ones(N).toFloatArray(), 3f), b.grad().toFloatArray());
    }

    @Test
    void aGradKeptByTheUserNeverChangesInLaterBackwardPasses() {
        Generator gen = new Generator(3);
        Tensor w = Tensor.randn(gen, N).requiresGrad_();
        Tensor x = Tensor.randn(gen, N);
        w.mul(x).tanh().sum().backward();
        Tensor first = w.grad();
        float[] firstValues = first.toFloatArray();
        for (int step = 0; step < 30; step++) { // the pool is full of recycled buffers by now
            w.setGrad(null);
            w.mul(x.mul((float) step)).sigmoid().mul(x).sum().backward();
            Tensor y = x.exp().mul(w).relu(); // forward allocations take recycled buffers
            y.sum().backward();
        }
        assertArrayEquals(firstValues, first.toFloatArray());
    }

    @Test
    void recycledBuffersGiveTheSameGradientsStepAfterStep() {
        Generator gen = new Generator(4);
        Tensor w1 = Tensor.randn(gen, 64, 128).requiresGrad_();
        Tensor w2 = Tensor.randn(gen, 10, 64).requiresGrad_();
        Tensor x = Tensor.randn(gen, 32, 128);
        float[][] reference = null;
        for (int step = 0; step < 10; step++) {
            w1.setGrad(null);
            w2.setGrad(null);
            Tensor h = x.matmul(w1.t()).relu();
            Tensor out = h.matmul(w2.t())
                    .logSoftmax(1)
                    .mean()
                    .neg()
                    .add(h.tanh().sum().mul(1e-3f));
            out.backward();
            float[][] now = {w1.grad().toFloatArray(), w2.grad().toFloatArray()};
            if (reference == null) {
                reference = now;
            } else {
                assertArrayEquals(reference[0], now[0], "w1.grad at step " + step);
                assertArrayEquals(reference[1], now[1], "w2.grad at step " + step);
            }
        }
    }

    @Test
    void aGradientAHookKeptIsNeverRecycled() {
        // AddBackward0 hands one gradient tensor to both inputs: the hook on one keeps it, the other
        // input's node (no hooks) must not give its buffer back while the hook's copy is alive
        Generator gen = new Generator(5);
        Tensor w = Tensor.randn(gen, N).requiresGrad_();
        Tensor x = Tensor.randn(gen, N);
        Tensor[] kept = new Tensor[1];
        Tensor a = w.mul(x), b = w.mul(2f);
        b.registerHook(
                g -> { // b's node runs first (made later): a's runs after it with the same gradient
                    kept[0] = g;
                    return null;
                });
        a.add(b).mul(x).sum().backward();
        float[] seen = kept[0].toFloatArray();
        assertArrayEquals(x.toFloatArray(), seen);
        for (int step = 0; step < 10; step++) { // later allocations take pooled buffers
            w.mul(x.mul((float) step)).exp().sum().backward();
        }
        assertArrayEquals(seen, kept[0].toFloatArray());
    }
}
