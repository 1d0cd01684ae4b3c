package org.grad4j.core;

import static org.grad4j.core.FunctionalOpsTable.a;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * conv2d end to end: a small CNN learns, and the reuse of its scratch arrays leaves gradients unchanged.
 */
class Conv2dTest {
    @Test
    void aSmallCnnLearnsToTellBarsApart() {
        // 8x8 images with a vertical (class 0) or horizontal (class 1) bar at a random place, plus noise
        Generator g = new Generator(8);
        int n = 32;
        float[] img = new float[n * 64];
        int[] cls = new int[n];
        for (int i = 0; i < n; i++) {
            cls[i] = i % 2;
            int at = 1 + g.nextInt(6);
            for (int k = 0; k < 64; k++) img[i * 64 + k] = 0.1f * g.nextNormal();
            for (int k = 0; k < 8; k++) img[i * 64 + (cls[i] == 0 ? k * 8 + at : at * 8 + k)] += 1f;
        }
        Tensor x = Tensor.of(img, n, 1, 8, 8), y = Tensor.indices(cls);
        Tensor w1 = Tensor.randn(g, 4, 1, 3, 3).mul(0.5f).detach().requiresGrad_(),
                b1 = Tensor.zeros(4).requiresGrad_();
        Tensor w2 = Tensor.randn(g, 2, 64).mul(0.1f).detach().requiresGrad_(),
                b2 = Tensor.zeros(2).requiresGrad_();
        Tensor[] params = {w1, b1, w2, b2};
        java.util.function.Supplier<Tensor> logits = () -> {
            Tensor h = F.maxPool2d(F.relu(F.batchNorm(F.conv2d(x, w1, b1, 1, 1), null, null, null, null, true)), 2);
            return Torch.addmm(b2, F.dropout(h.flatten(1, -1), 0.1f, true, new Generator(1)), w2.t());
        };
        float first = 0, last = 0;
        for (int step = 0; step < 60; step++) {
            Tensor loss = F.crossEntropy(logits.get(), y);
            if (step == 0) first = loss.item();
            last = loss.item();
            loss.backward();
            try (var s = Torch.noGrad()) {
                for (Tensor p : params) {
                    p.sub_(p.grad().mul(0.2f));
                    p.setGrad(null);
                }
            }
        }
        assertTrue(last < 0.1f * first, "loss " + first + " -> " + last);
        float[] pred;
        try (var s = Torch.noGrad()) {
            pred = logits.get().argmax(1).toFloatArray();
        }
        for (int i = 0; i < n; i++) assertEquals(cls[i], (int) pred[i], "image " + i);
    }

    /** An empty batch convolves to an empty output, and its backward gives zero weight and bias gradients (PyTorch 2.13). */
    @Test
    void anEmptyBatchHasZeroWeightAndBiasGradients() {
        Generator gen = new Generator(3);
        Tensor x = Tensor.zeros(0, 3, 5, 5).requiresGrad_();
        Tensor w = Tensor.randn(gen, 4, 3, 3, 3).requiresGrad_(),
                b = Tensor.randn(gen, 4).requiresGrad_();
        Tensor y = F.conv2d(x, w, b, 1, 1);
        assertArrayEquals(new int[] {0, 4, 5, 5}, y.shape());
        y.sum().backward();
        assertArrayEquals(new float[4 * 3 * 3 * 3], w.grad().toFloatArray());
        assertArrayEquals(new float[4], b.grad().toFloatArray());
        assertArrayEquals(new int[] {0, 3, 5, 5}, x.grad().shape());
    }

    /**
     * conv2d hands its scratch (forward) and its backward's scratch back to the array pool; with sizes
     * the pool keeps (over 1024 floats), plain backwards that reuse those arrays, one after the other,
     * give the same bits each time, and agree with a createGraph backward (which frees nothing and
     * runs the differentiable rule) to rounding.
     */
    @Test
    void conv2dScratchReuseLeavesGradientsUnchanged() {
        Generator gen = new Generator(7);
        Tensor x = Tensor.randn(gen, 4, 3, 12, 12).requiresGrad_();
        Tensor w1 = Tensor.randn(gen, 8, 3, 3, 3).mul(0.3f).requiresGrad_(),
                b1 = Tensor.randn(gen, 8).requiresGrad_();
        Tensor w2 = Tensor.randn(gen, 6, 4, 3, 3).mul(0.3f).requiresGrad_(); // groups 2
        Tensor[] leaves = {x, w1, b1, w2};
        java.util.function.Supplier<Tensor> loss =
                () -> F.conv2d(F.relu(F.conv2d(x, w1, b1, 1, 1)), w2, null, a(1), a(1), a(1), 2)
                        .pow(2f)
                        .sum();
        float[][] differentiable = differentiableGradients(leaves, loss);
        float[][] reference = new float[leaves.length][];
        for (int round = 0; round < 4; round++) {
            loss.get().backward();
            for (int i = 0; i < leaves.length; i++) {
                float[] grad = leaves[i].grad().toFloatArray();
                if (round == 0) {
                    reference[i] = grad;
                    for (int j = 0; j < grad.length; j++)
                        assertEquals(differentiable[i][j], grad[j], 1e-4f * (1 + Math.abs(grad[j])), "gradient " + i);
                }
                assertArrayEquals(reference[i], grad, "gradient " + i + ", round " + round);
                leaves[i].setGrad(null);
            }
        }
    }

    /**
     * A 3×3 convolution with 16 channels in and out (which the JVM backend computes by Winograd's
     * transforms, forward and backward): its plain backward agrees with the createGraph backward, which
     * runs the differentiable rule (unfolded columns and matrix products), to rounding.
     */
    @Test
    void aWideThreeByThreeConvolutionsBackwardAgreesWithTheDifferentiableRule() {
        Generator gen = new Generator(3);
        Tensor x = Tensor.randn(gen, 5, 16, 9, 7).requiresGrad_();
        Tensor w = Tensor.randn(gen, 24, 16, 3, 3).mul(0.1f).requiresGrad_(),
                b = Tensor.randn(gen, 24).requiresGrad_();
        Tensor[] leaves = {x, w, b};
        java.util.function.Supplier<Tensor> loss =
                () -> F.conv2d(x, w, b, 1, 1).pow(2f).sum();
        float[][] differentiable = differentiableGradients(leaves, loss);
        loss.get().backward();
        for (int i = 0; i < leaves.length; i++) {
            float[] grad = leaves[i].grad().toFloatArray();
            for (int j = 0; j < grad.length; j++)
                assertEquals(
                        differentiable[i][j], grad[j], 1e-4f * (1 + Math.abs(grad[j])), "gradient " + i + " at " + j);
        }
    }

    /**
     * The bias gradient is the output gradient summed over the batch and the positions, whether the
     * weight's gradient is computed in the same pass (the backend sums both) or not (a frozen weight).
     */
    @ParameterizedTest(name = "weight requires grad: {0}")
    @ValueSource(booleans = {true, false})
    void theBiasGradientSumsTheOutputGradient(boolean weightGrad) {
        Generator gen = new Generator(5);
        Tensor x = Tensor.randn(gen, 3, 2, 6, 5), w = Tensor.randn(gen, 4, 2, 3, 3), b = Tensor.zeros(4);
        if (weightGrad) w.requiresGrad_();
        b.requiresGrad_();
        Tensor g = Tensor.randn(gen, 3, 4, 6, 5);
        F.conv2d(x, w, b, 1, 1).backward(g);
        float[] gv = g.toFloatArray(), expected = new float[4];
        for (int i = 0; i < gv.length; i++) expected[i / 30 % 4] += gv[i];
        assertArrayEquals(expected, b.grad().toFloatArray(), 1e-4f);
        assertEquals(weightGrad, w.grad() != null);
    }

    /** The leaves' gradients from a createGraph backward (which frees nothing and runs the differentiable rule), then cleared. */
    private static float[][] differentiableGradients(Tensor[] leaves, java.util.function.Supplier<Tensor> loss) {
        loss.get().backward(Tensor.scalar(1f), true, true);
        float[][] grads = new float[leaves.length][];
        for (int i = 0; i < leaves.length; i++) {
            grads[i] = leaves[i].grad().toFloatArray();
            leaves[i].setGrad(null);
        }
        return grads;
    }
}
