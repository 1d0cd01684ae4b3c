package org.grad4j.core;

import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.grad4j.core.autograd.ActivationCheckpoint;
import org.grad4j.core.autograd.AutogradGraph;
import org.junit.jupiter.api.Test;

/**
 * Activation checkpointing: the same gradients (to the bit) as without it, first and second order,
 * with parameters captured by the function; and the graph holding only the checkpointed regions'
 * inputs instead of every activation (measured in saved bytes, not time).
 */
class CheckpointTest {
    private static final int BATCH = 16, WIDTH = 32, LAYERS = 6;

    private final Generator gen = new Generator(5);
    private final Tensor[] weights = new Tensor[LAYERS];
    private final Tensor[] biases = new Tensor[LAYERS];

    CheckpointTest() {
        for (int i = 0; i < LAYERS; i++) {
            weights[i] = Tensor.randn(gen, WIDTH, WIDTH).mul(0.3f).detach().requiresGrad_();
            biases[i] = Tensor.randn(gen, WIDTH).mul(0.1f).detach().requiresGrad_();
        }
    }

    /** Layers from..to-1 of a tanh MLP; the parameters are captured, not passed. */
    private Tensor block(Tensor h, int from, int to) {
        for (int i = from; i < to; i++)
            h = Torch.addmm(biases[i], h, weights[i]).tanh();
        return h;
    }

    private Tensor loss(Tensor x, boolean checkpointed, int segments) {
        Tensor h = x;
        int per = LAYERS / segments;
        for (int s = 0; s < segments; s++) {
            int from = s * per, to = from + per;
            h = checkpointed ? ActivationCheckpoint.checkpoint(in -> block(in[0], from, to), h) : block(h, from, to);
        }
        return h.pow(2f).sum();
    }

    private Tensor[] params() {
        Tensor[] p = new Tensor[2 * LAYERS];
        System.arraycopy(weights, 0, p, 0, LAYERS);
        System.arraycopy(biases, 0, p, LAYERS, LAYERS);
        return p;
    }

    private static void clear(Tensor... ts) {
        for (Tensor t : ts) t.setGrad(null);
    }

    @Test
    void gradientsAreTheSameToTheBit() {
        Tensor x = Tensor.randn(gen, BATCH, WIDTH).requiresGrad_();
        loss(x, false, 1).backward();
        float[][] plain = new float[2 * LAYERS + 1][];
        Tensor[] all = params();
        for (int i = 0; i < all.length; i++) plain[i] = all[i].grad().toFloatArray();
        plain[2 * LAYERS] = x.grad().toFloatArray();
        for (int segments : new int[] {1, 2, 3}) {
            clear(all);
            clear(x);
            Tensor l = loss(x, true, segments);
            // the real graph (sum <- pow <- tanh), not a wrapper node
            assertEquals(
                    "TanhBackward0",
                    l.gradFn().nextFunctions().get(0).nextFunctions().get(0).name());
            l.backward();
            for (int i = 0; i < all.length; i++)
                assertArrayEquals(plain[i], all[i].grad().toFloatArray(), "param " + i);
            assertArrayEquals(plain[2 * LAYERS], x.grad().toFloatArray());
        }
    }

    @Test
    void theGraphKeepsOnlyTheRegionsInputs() {
        Tensor x = Tensor.randn(gen, BATCH, WIDTH).requiresGrad_();
        long activation = 4L * BATCH * WIDTH;
        Tensor plain = loss(x, false, 1);
        // per layer: addmm saves its input and weight, tanh its output; the final pow saves its input
        long plainBytes = AutogradGraph.savedBytes(plain);
        long weightBytes = 4L * WIDTH * WIDTH * LAYERS;
        assertEquals(
                weightBytes + activation * (LAYERS + 1),
                plainBytes); // x and the 6 tanh outputs (each also the next input)
        Tensor whole = loss(x, true, 1);
        assertEquals(2 * activation, AutogradGraph.savedBytes(whole)); // x, and the region's output saved by pow
        assertEquals(2, AutogradGraph.savedTensorCount(whole));
        Tensor three = loss(x, true, 3);
        assertEquals(4 * activation, AutogradGraph.savedBytes(three)); // the three regions' inputs, and the output
        assertTrue(plainBytes > 9 * AutogradGraph.savedBytes(whole)); // 38912 bytes against 4096
        assertTrue(plainBytes > 4 * AutogradGraph.savedBytes(three));
        // everything is dropped after the backward
        three.backward();
        assertEquals(0, AutogradGraph.savedBytes(three));
    }

    @Test
    void secondOrderGradientsMatch() {
        Tensor x = Tensor.randn(gen, 4, WIDTH).requiresGrad_();
        Function<Boolean, Tensor[]> hvp = ck -> {
            Tensor h = ck ? ActivationCheckpoint.checkpoint(in -> block(in[0], 0, 2), x) : block(x, 0, 2);
            Tensor l = h.pow(3f).sum();
            Tensor[] g = Autograd.grad(new Tensor[] {l}, new Tensor[] {x, weights[0]}, null, true, true, false);
            Tensor dot = g[0].sum().add(g[1].sum());
            return Autograd.grad(new Tensor[] {dot}, new Tensor[] {x, weights[0]}, null, false, false, false);
        };
        Tensor[] plain = hvp.apply(false), ck = hvp.apply(true);
        // the same terms, summed in another order (the recomputed values carry a graph of their own)
        Asserts.assertClose(ck[0], plain[0].toFloatArray(), 1e-5f);
        Asserts.assertClose(ck[1], plain[1].toFloatArray(), 1e-5f);
    }

    @Test
    void aCreateGraphBackwardAfterAPlainOneRecomputesWithAGraph() {
        Tensor x = Tensor.randn(gen, 4, WIDTH).requiresGrad_();
        Tensor plain = block(x, 0, 1).pow(3f).sum();
        Tensor g0 = Autograd.grad(plain, x, true);
        Tensor expected = Autograd.grad(g0.sum(), x);
        Tensor l = ActivationCheckpoint.checkpoint(in -> block(in[0], 0, 1), x)
                .pow(3f)
                .sum();
        Autograd.grad(new Tensor[] {l}, new Tensor[] {x}, null, true, false, false); // recomputes without a graph
        Tensor g = Autograd.grad(l, x, true);
        Asserts.assertClose(Autograd.grad(g.sum(), x), expected.toFloatArray(), 1e-5f);
    }

    @Test
    void retainGraphRecomputesOnceAndGradientsAccumulate() {
        Tensor x = Tensor.randn(gen, BATCH, WIDTH).requiresGrad_();
        int[] calls = {0};
        Tensor out = ActivationCheckpoint.checkpoint(
                        in -> {
                            calls[0]++;
                            return block(in[0], 0, 2);
                        },
                        x)
                .sum();
        out.backward(null, true);
        float[] once = x.grad().toFloatArray();
        out.backward();
        assertEquals(2, calls[0]); // the forward, and one recomputation for both backwards
        float[] twice = x.grad().toFloatArray();
        for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], twice[i], 1e-6f * Math.abs(twice[i]) + 1e-7f);
    }

    @Test
    void randomOpsMustDrawTheSameNumbersWhenRecomputed() {
        Tensor x = Tensor.randn(gen, 8, WIDTH).requiresGrad_();
        Function<Tensor[], Tensor> fn = in -> F.dropout(block(in[0], 0, 1), 0.5f, true, new Generator(11));
        fn.apply(new Tensor[] {x}).sum().backward();
        float[] plain = x.grad().toFloatArray();
        x.setGrad(null);
        ActivationCheckpoint.checkpoint(fn, x).sum().backward();
        assertArrayEquals(plain, x.grad().toFloatArray());
    }

    @Test
    void anInPlaceChangeOfAnInputIsCaught() {
        Tensor x = Tensor.randn(gen, 4, WIDTH).requiresGrad_();
        Tensor h = x.mul(1f);
        Tensor out =
                ActivationCheckpoint.checkpoint(in -> block(in[0], 0, 1), h).sum();
        h.add_(1f);
        IllegalStateException e = assertThrows(IllegalStateException.class, out::backward);
        assertTrue(e.getMessage().contains("modified by an inplace operation"), e.getMessage());
        assertTrue(e.getMessage().contains("input 0 of a checkpointed function"), e.getMessage());
    }

    @Test
    void aFunctionThatDoesOtherOpsWhenRunAgainIsAnError() {
        Tensor x = Tensor.randn(gen, 4, WIDTH).requiresGrad_();
        int[] calls = {0};
        Tensor out = ActivationCheckpoint.checkpoint(
                        in -> calls[0]++ == 0 ? in[0].tanh() : in[0].tanh().exp(), x)
                .sum();
        IllegalStateException e = assertThrows(IllegalStateException.class, out::backward);
        assertEquals(
                "checkpoint: recomputing the checkpointed function (for TanhBackward0) saved 2 tensors for backward, "
                        + "but its forward saved 1: the function must run the same ops when called again (no branches on changing "
                        + "data)",
                e.getMessage());
    }

    @Test
    void withoutGradModeItIsAPlainCall() {
        Tensor x = Tensor.ones(2).requiresGrad_();
        try (var s = Torch.noGrad()) {
            Tensor y = ActivationCheckpoint.checkpoint(in -> in[0].mul(3f), x);
            assertValues(y, 3, 3);
            assertTrue(y.isLeaf());
        }
    }
}
