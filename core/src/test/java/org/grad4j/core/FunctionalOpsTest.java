package org.grad4j.core;

import static org.grad4j.core.Asserts.assertClose;
import static org.grad4j.core.Asserts.assertShape;
import static org.grad4j.core.Asserts.assertValues;
import static org.grad4j.core.FunctionalOpsTable.a;
import static org.grad4j.core.FunctionalOpsTable.constant;
import static org.grad4j.core.FunctionalOpsTable.distinct;
import static org.grad4j.core.FunctionalOpsTable.leaf;
import static org.grad4j.core.FunctionalOpsTable.naiveConv;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.grad4j.core.FunctionalOpsTable.Case;
import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ops of {@link F} whose inputs come from {@link FunctionalOpsTable}'s shared generator (kept in one
 * class, so that every test draws what it drew before): gradcheck and gradgradcheck of every op and
 * option, grad_fn names, conv2d against a direct loop, sparse embedding gradients, and the error messages
 * of bad input.
 */
class FunctionalOpsTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.grad4j.core.FunctionalOpsTable#ops")
    void gradcheck(Case c) {
        GradCheck.check(c.fn(), c.inputs());
        GradCheck.gradgradcheck(c.fn(), c.inputs());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.grad4j.core.FunctionalOpsTable#gradFnNames")
    void gradFnName(String expected, Tensor result) {
        assertEquals(expected, result.gradFn().name());
    }

    @Test
    void crossEntropyIsNllLossOverLogSoftmax() {
        Tensor loss = F.crossEntropy(leaf(3, 4), Tensor.indices(0, 3, 1));
        assertEquals("NllLossBackward0", loss.gradFn().name());
        assertEquals("LogSoftmaxBackward0", loss.gradFn().nextFunctions().get(0).name());
    }

    // =============================================================================================
    // forward values
    // =============================================================================================

    @Test
    void conv2dMatchesADirectLoop() {
        Tensor x = constant(2, 4, 7, 6), w = constant(6, 2, 3, 2), b = constant(6);
        Tensor y = F.conv2d(x, w, b, a(2, 1), a(1, 2), a(2, 1), 2);
        assertShape(y, 2, 6, 3, 9);
        assertClose(y, naiveConv(x, w, b, 2, 1, 1, 2, 2, 1, 2), 1e-5f);
        Tensor x1 = constant(3, 1, 28, 28), w1 = constant(4, 1, 3, 3);
        assertClose(F.conv2d(x1, w1, null, 1, 1), naiveConv(x1, w1, null, 1, 1, 1, 1, 1, 1, 1), 1e-5f);
    }

    @Test
    void conv2dGradientsMatchADirectLoopOnABiggerCase() {
        // gradients of sum(conv * r) are correlations the direct loop can compute by linearity:
        // check them against finite differences of that loop on a few elements
        Tensor x = leaf(2, 3, 6, 6), w = leaf(4, 3, 3, 3), b = leaf(4), r = constant(2, 4, 6, 6);
        F.conv2d(x, w, b, 1, 1).mul(r).sum().backward();
        float[] rv = r.toFloatArray();
        float[][] probes = {{0, 5}, {0, 100}, {1, 40}, {2, 3}};
        for (float[] p : probes) {
            int which = (int) p[0], at = (int) p[1];
            Tensor[] in = {x.detach().clone(), w.detach().clone(), b.detach().clone()};
            float[] base = in[which].toFloatArray();
            double[] val = new double[2];
            for (int sgn = 0; sgn < 2; sgn++) {
                float[] q = base.clone();
                q[at] += sgn == 0 ? 1e-2f : -1e-2f;
                Tensor[] mod = in.clone();
                mod[which] = Tensor.of(q, in[which].shape());
                float[] out = naiveConv(mod[0], mod[1], mod[2], 1, 1, 1, 1, 1, 1, 1);
                for (int i = 0; i < out.length; i++) val[sgn] += (double) out[i] * rv[i];
            }
            float numeric = (float) ((val[0] - val[1]) / 2e-2);
            Tensor grad = new Tensor[] {x, w, b}[which].grad();
            assertEquals(numeric, grad.toFloatArray()[at], 2e-2 * Math.max(1, Math.abs(numeric)));
        }
    }

    // =============================================================================================
    // sparse embedding gradients
    // =============================================================================================

    @Test
    void sparseEmbeddingGradientHoldsOnlyThePickedRows() {
        Tensor w = leaf(10, 3);
        Tensor idx = Tensor.indices(7, 2, 7, 4).view(2, 2);
        Tensor g = constant(2, 2, 3);
        F.embedding(idx, w, null, true).backward(g);
        SparseGrad sg = w.sparseGrad();
        assertArrayEquals(new int[] {7, 2, 7, 4}, sg.indices());
        assertArrayEquals(new int[] {10, 3}, sg.shape());
        assertArrayEquals(g.reshape(4, 3).toFloatArray(), sg.values().toFloatArray());
        SparseGrad c = sg.coalesce();
        assertArrayEquals(new int[] {2, 4, 7}, c.indices());
        float[] gv = g.toFloatArray();
        assertClose(c.values().select(0, 2), new float[] {gv[0] + gv[6], gv[1] + gv[7], gv[2] + gv[8]}, 1e-6f);

        // the dense fallback equals the dense embedding's gradient
        Tensor wd = w.detach().clone().requiresGrad_();
        F.embedding(idx, wd).backward(g);
        assertArrayEquals(wd.grad().toFloatArray(), w.grad().toFloatArray());
        assertNull(w.sparseGrad()); // grad() made it dense
    }

    @Test
    void sparseGradientsAccumulateAndAnOptimizerCanApplyThem() {
        Tensor w = leaf(6, 2), before = w.detach().clone();
        F.embedding(Tensor.indices(1, 3), w, null, true).sum().backward();
        F.embedding(Tensor.indices(3, 5), w, null, true).sum().backward();
        SparseGrad sg = w.sparseGrad();
        assertArrayEquals(new int[] {1, 3, 3, 5}, sg.indices());
        try (var s = Torch.noGrad()) {
            sg.addTo(w, -0.5f); // SGD with lr 0.5 touches rows 1, 3, 5 only
        }
        float[] exp = before.toFloatArray();
        for (int row : new int[] {1, 3, 3, 5}) for (int j = 0; j < 2; j++) exp[row * 2 + j] -= 0.5f;
        assertClose(w, exp, 1e-6f);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> sg.addTo(w, 1f));
        assertTrue(e.getMessage().contains("no-grad scope"), e.getMessage());
    }

    @Test
    void sparseAndDenseGradientsOfOneWeightAddUp() {
        Tensor w = leaf(5, 2);
        Tensor loss = F.embedding(Tensor.indices(0, 4), w, null, true)
                .sum()
                .add(w.pow(2f).sum());
        loss.backward();
        float[] expected = w.detach().mul(2f).toFloatArray();
        expected[0] += 1;
        expected[1] += 1;
        expected[8] += 1;
        expected[9] += 1;
        assertClose(w.grad(), expected, 1e-6f);
        // with createGraph the gradient stays dense and differentiable
        Tensor w2 = leaf(5, 2);
        Tensor g = Autograd.grad(
                F.embedding(Tensor.indices(1), w2, null, true).pow(2f).sum(), w2, true);
        assertTrue(g.requiresGrad());
        assertClose(Autograd.grad(g.sum(), w2), new float[] {0, 0, 2, 2, 0, 0, 0, 0, 0, 0}, 1e-6f);
    }

    @Test
    void embeddingPaddingRowGetsNoGradient() {
        Tensor w = leaf(4, 2);
        F.embedding(Tensor.indices(0, 2, 2, 1), w, 2, false).sum().backward();
        assertValues(w.grad(), 1, 1, 1, 1, 0, 0, 0, 0);
        Tensor ws = leaf(4, 2);
        F.embedding(Tensor.indices(0, 2, 2, 1), ws, -2, true).sum().backward();
        assertArrayEquals(new int[] {0, 1}, ws.sparseGrad().indices());
    }

    // =============================================================================================
    // bad input: the message names the op, the shapes and the fix
    // =============================================================================================

    private static String message(Class<? extends Throwable> type, org.junit.jupiter.api.function.Executable call) {
        return assertThrows(type, call).getMessage();
    }

    @Test
    void conv2dErrors() {
        Tensor x = constant(2, 3, 8, 8);
        assertEquals(
                "conv2d: given groups=1, weight of size [4, 2, 3, 3], expected input[2, 3, 8, 8] to have 2 channels, "
                        + "but got 3 channels instead; the weight's dimension 1 must be inChannels/groups",
                message(IllegalArgumentException.class, () -> F.conv2d(x, constant(4, 2, 3, 3))));
        assertTrue(message(IllegalArgumentException.class, () -> F.conv2d(constant(3, 8), constant(4, 3, 3, 3)))
                .contains(
                        "expected 3-d (unbatched) or 4-d (batched) input [N, C, H, W], but got input of shape [3, 8]"));
        assertTrue(message(IllegalArgumentException.class, () -> F.conv2d(x, constant(4, 3, 9, 9)))
                .contains("Kernel size: (9 x 9). Kernel size can't be greater than actual input size"));
        assertTrue(message(IllegalArgumentException.class, () -> F.conv2d(x, constant(4, 3, 3, 3), constant(3)))
                .contains("expected bias to be 1-dimensional with 4 elements, but got bias of size [3]"));
        assertTrue(
                message(IllegalArgumentException.class, () -> F.conv2d(x, constant(3, 1, 3, 3), null, 1, 0, 1, 2))
                        .contains(
                                "given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size [3, 1, 3, 3]"));
        assertTrue(message(IllegalArgumentException.class, () -> F.conv2d(x, constant(4, 3, 3, 3), null, 0, 0))
                .contains("conv2d: stride should be greater than zero, but got stride=(0, 0)"));
        assertTrue(message(
                        IllegalArgumentException.class,
                        () -> F.conv2d(x, constant(4, 3, 3, 3), null, a(1, 2, 3), a(0), a(1), 1))
                .contains("conv2d: stride must be one int or two (h, w), got [1, 2, 3]"));
    }

    @Test
    void unfoldAndFoldTakeUnbatchedInputs() {
        // shapes and values from PyTorch: F.unfold(torch.arange(24.).reshape(2, 3, 4), 2, padding=1, stride=(1, 2)) and
        // F.fold(torch.arange(96.).reshape(8, 12), (3, 4), 2, padding=1, stride=(1, 2))
        Tensor x = Tensor.arange(24).reshape(2, 3, 4);
        Tensor cols = F.unfold(x, a(2), a(1), a(1), a(1, 2));
        assertShape(cols, 8, 12);
        assertValues(cols.slice(1, 0, 3), 0, 0, 0, 0, 0, 0, 0, 1, 3, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 13, 15, 12, 14, 0);
        assertValues(cols, F.unfold(x.unsqueeze(0), a(2), a(1), a(1), a(1, 2)).toFloatArray());
        Tensor img = F.fold(Tensor.arange(96).reshape(8, 12), a(3, 4), a(2), a(1), a(1), a(1, 2));
        assertShape(img, 2, 3, 4);
        assertValues(
                img, 51, 29, 53, 31, 57, 35, 59, 37, 63, 41, 65, 43, 147, 125, 149, 127, 153, 131, 155, 133, 159, 137,
                161, 139);
        assertEquals(
                "unfold: expected a 3-d (unbatched) [C, H, W] or 4-d (batched) [N, C, H, W] input, got shape [5, 4]",
                message(IllegalArgumentException.class, () -> F.unfold(constant(5, 4), 2)));
        assertEquals(
                "fold: expected a 2-d (unbatched) [C*kh*kw, L] or 3-d (batched) [N, C*kh*kw, L] input, got shape "
                        + "[1, 1, 8, 12]",
                message(
                        IllegalArgumentException.class,
                        () -> F.fold(constant(1, 1, 8, 12), a(5, 4), a(2), a(1), a(0), a(1))));
        assertEquals(
                "fold: expected size of input's dimension 0 to be divisible by the product of kernel_size, but got "
                        + "input.size(0)=7 and kernel_size=(2, 2)",
                message(
                        IllegalArgumentException.class,
                        () -> F.fold(constant(7, 12), a(5, 4), a(2), a(1), a(0), a(1))));
        assertEquals(
                "fold: given output_size=(5, 4), kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0), stride=(1, 1), "
                        + "expected size of input's dimension 1 to match the calculated number of sliding blocks 4 * 3 = 12, but got "
                        + "input.size(1)=11",
                message(
                        IllegalArgumentException.class,
                        () -> F.fold(constant(8, 11), a(5, 4), a(2), a(1), a(0), a(1))));
    }

    @Test
    void maxPool2dPaddingIsAtMostHalfTheKernelNotTheDilatedOne() {
        Tensor x = leaf(1, 1, 5, 5);
        // effective kernel 4 allows padding 2; PyTorch's max_pool2d also wants padding <= kernel / 2 = 1
        assertEquals(
                "maxPool2d: pad should be smaller than or equal to half of kernel size, but got padW = 2, padH = 2, "
                        + "kW = 2, kH = 2",
                message(IllegalArgumentException.class, () -> F.maxPool2d(x, a(2), a(1), a(2), a(3))));
        assertNull(x.grad());
        assertShape(F.maxPool2d(x, a(2), a(1), a(1), a(3)), 1, 1, 4, 4); // padding 1 is fine
    }

    @Test
    void maxPool2dRejectsWindowsWhollyInThePadding() {
        // a 2x2 image, kernel 2, padding 1, dilation 3: the one window's taps are rows (and columns) -1 and 2, both
        // padding; PyTorch passes its checks here and returns -inf with an index outside the plane
        Tensor x = leaf(1, 1, 2, 2);
        String m = message(IllegalArgumentException.class, () -> F.maxPool2d(x, a(2), a(1), a(1), a(3)));
        assertEquals(
                "maxPool2d: the windows of output row 0 (input height 2, kernel_size=(2, 2), padding=(1, 1), "
                        + "dilation=(3, 3), stride=(1, 1)) lie wholly in the padding, so they have no element to take the maximum of; "
                        + "use less padding or a smaller dilation",
                m);
        assertNull(x.grad());
        // only the columns are the problem: a 4x2 image with kernel (1, 2), padding (0, 1), dilation (1, 3)
        String c = message(
                IllegalArgumentException.class,
                () -> F.maxPool2dWithIndices(constant(1, 4, 2), a(1, 2), a(1), a(0, 1), a(1, 3)));
        assertTrue(c.startsWith("maxPool2d: the windows of output column 0 (input width 2, kernel_size=(1, 2)"), c);
        // the same window on a 3x3 image reaches row 2: it has a maximum
        Tensor y = distinct(1, 1, 3, 3);
        GradCheck.check(xs -> F.maxPool2d(xs[0], a(2), a(1), a(1), a(3)), y);
    }

    @Test
    void avgPool2dPaddingIsAtMostHalfTheKernel() {
        Tensor x = leaf(1, 1, 4, 4);
        // PyTorch names the first dimension that fails (here the width), with its own sizes
        assertEquals(
                "avgPool2d: pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and "
                        + "dilation=1",
                message(IllegalArgumentException.class, () -> F.avgPool2d(x, a(4, 2), a(2), a(2, 2), true)));
        assertNull(x.grad());
    }

    @Test
    void poolingErrors() {
        assertEquals(
                "maxPool2d: pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and "
                        + "dilation=1",
                message(IllegalArgumentException.class, () -> F.maxPool2d(constant(1, 1, 4, 4), 2, 2, 2)));
        assertTrue(message(IllegalArgumentException.class, () -> F.avgPool2d(constant(4, 4), 2))
                .contains("avgPool2d: expected 3-d (unbatched) or 4-d (batched) input"));
        assertTrue(message(IllegalArgumentException.class, () -> F.maxPool2d(constant(1, 1, 2, 2), 3))
                .contains("Kernel size can't be greater than actual input size (input shape [1, 1, 2, 2])"));
    }

    @Test
    void normalizationErrors() {
        assertEquals(
                "layerNorm: given normalized_shape=[5], expected input with shape [*, 5], but got input of size [3, 4]; "
                        + "normalizedShape must be the trailing dimensions of the input",
                message(IllegalArgumentException.class, () -> F.layerNorm(constant(3, 4), a(5))));
        assertTrue(message(IllegalArgumentException.class, () -> F.layerNorm(constant(3, 4), a(4), constant(3), null))
                .contains("expected weight of shape [4] (normalizedShape), but got [3]"));
        assertTrue(message(
                        IllegalArgumentException.class, () -> F.batchNorm(constant(1, 3), null, null, null, null, true))
                .contains("expected more than 1 value per channel when training, got input size [1, 3]"));
        assertTrue(message(
                        IllegalArgumentException.class,
                        () -> F.batchNorm(constant(4, 3), Tensor.zeros(2), Tensor.ones(3), null, null, true))
                .contains(
                        "batchNorm: runningMean should contain 3 elements (one per channel of input [4, 3]) not [2]"));
        assertTrue(message(
                        IllegalArgumentException.class,
                        () -> F.batchNorm(constant(4, 3), null, null, null, null, false))
                .contains("running_mean and running_var must be defined in evaluation mode"));
    }

    @Test
    void lossErrors() {
        Tensor logits = constant(3, 4);
        assertEquals(
                "crossEntropy: expected input batch_size (3) to match target batch_size (2); input [3, 4], target [2]",
                message(IllegalArgumentException.class, () -> F.crossEntropy(logits, Tensor.indices(0, 1))));
        assertEquals(
                "nllLoss: target 4 is out of bounds: the input has 4 classes, so class indices must be in [0, 4) "
                        + "(or equal ignoreIndex=-100)",
                message(IndexOutOfBoundsException.class, () -> F.nllLoss(logits, Tensor.indices(0, 4, 1))));
        assertEquals(
                "crossEntropy: expected target dtype to be int64 (class indices, e.g. Tensor.indices(...)), but got "
                        + "torch.float32; for class probabilities compute -(target * input.logSoftmax(1)).sum(1)",
                message(IllegalArgumentException.class, () -> F.crossEntropy(logits, Tensor.tensor(0.5f, 1, 2))));
        assertTrue(message(
                        IllegalArgumentException.class,
                        () -> F.crossEntropy(logits, Tensor.indices(0, 1, 2), Tensor.ones(3), -100, Reduction.MEAN))
                .contains(
                        "weight tensor should be defined either for all 4 classes or no classes but got weight tensor of "
                                + "shape: [3]"));
        assertEquals(
                "binaryCrossEntropyWithLogits: target size [3] must be the same as input size [3, 1]",
                message(
                        IllegalArgumentException.class,
                        () -> F.binaryCrossEntropyWithLogits(constant(3, 1), Tensor.zeros(3))));
        assertTrue(message(
                        UnsupportedOperationException.class,
                        () -> F.binaryCrossEntropyWithLogits(logits, Tensor.zeros(3, 4), null, leaf(4), Reduction.MEAN))
                .contains("the derivative for 'posWeight' is not implemented; pass posWeight.detach()"));
        assertTrue(message(IllegalArgumentException.class, () -> F.mseLoss(logits, Tensor.zeros(3)))
                .contains("mseLoss: the size of tensor a (4) must match the size of tensor b (3)"));
    }

    @Test
    void embeddingErrors() {
        assertEquals(
                "embedding: index 6 (at position 1) is out of range for a weight of 6 rows (shape [6, 2]); indices must "
                        + "be in [0, 6)",
                message(IndexOutOfBoundsException.class, () -> F.embedding(Tensor.indices(0, 6), constant(6, 2))));
        assertTrue(message(IllegalArgumentException.class, () -> F.embedding(Tensor.indices(0), constant(6)))
                .contains("expected a 2-d weight [numEmbeddings, embeddingDim], got shape [6]"));
        assertTrue(message(IllegalArgumentException.class, () -> new SparseGrad(a(4, 2), a(1), Tensor.zeros(2, 2)))
                .contains("need values of shape [1, 2], got [2, 2]"));
    }
}
