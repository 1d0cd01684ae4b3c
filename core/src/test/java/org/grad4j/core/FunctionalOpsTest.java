package org.grad4j.core;

import static org.grad4j.core.Asserts.assertClose;
import static org.grad4j.core.Asserts.assertShape;
import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.function.Function;
import java.util.stream.Stream;
import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ops of {@link F}: gradcheck and gradgradcheck of every op and option, forward values against
 * naive loops and closed forms, grad_fn names, running statistics, sparse embedding gradients,
 * dropout's mask, and the error messages of bad input.
 */
class FunctionalOpsTest {

    record Case(String name, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Case op(String name, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        return new Case(name, fn, inputs);
    }

    static final Generator GEN = new Generator(2024);

    private static Tensor leaf(int... shape) {
        return Tensor.randn(GEN, shape).requiresGrad_();
    }

    private static Tensor constant(int... shape) {
        return Tensor.randn(GEN, shape);
    }

    /** Values in [lo, hi). */
    private static Tensor uniform(float lo, float hi, int... shape) {
        return Tensor.rand(GEN, shape).mul(hi - lo).add(lo);
    }

    /** Distinct values (multiples of 0.1, shuffled): no ties in a max-pool window, even after a finite-difference step. */
    private static Tensor distinct(int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i - n / 2) * 0.1f;
        for (int i = n - 1; i > 0; i--) {
            int j = GEN.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return Tensor.of(v, shape).requiresGrad_();
    }

    private static int[] a(int... v) {
        return v;
    }

    // =============================================================================================
    // gradcheck and gradgradcheck
    // =============================================================================================

    static Stream<Case> ops() {
        Tensor rm = constant(3).mul(0.1f), rv = uniform(0.5f, 1.5f, 3);
        Tensor cls = Tensor.indices(2, 0, 4, 1),
                cls4d = Tensor.indices(0, 2, 1, 1, 0, 2, 2, 1).view(2, 2, 2);
        Tensor ignoring = Tensor.indices(2, -100, 4, 1), classW = uniform(0.5f, 2f, 5);
        Tensor ids = Tensor.indices(1, 3, 3, 0, 5, 1).view(2, 3);
        Tensor bceW = uniform(0.5f, 2f, 4);
        return Stream.of(
                // conv2d
                op("conv2d 3x3", xs -> F.conv2d(xs[0], xs[1], xs[2]), leaf(2, 2, 5, 5), leaf(3, 2, 3, 3), leaf(3)),
                op(
                        "conv2d no bias, padding 1",
                        xs -> F.conv2d(xs[0], xs[1], null, 1, 1),
                        leaf(1, 2, 4, 4),
                        leaf(2, 2, 3, 3)),
                op(
                        "conv2d stride 2, padding (1, 0)",
                        xs -> F.conv2d(xs[0], xs[1], xs[2], a(2), a(1, 0), a(1), 1),
                        leaf(2, 1, 5, 6),
                        leaf(2, 1, 3, 2),
                        leaf(2)),
                op(
                        "conv2d dilation 2",
                        xs -> F.conv2d(xs[0], xs[1], xs[2], a(1), a(1), a(2), 1),
                        leaf(1, 2, 6, 5),
                        leaf(2, 2, 2, 3),
                        leaf(2)),
                op(
                        "conv2d groups 2",
                        xs -> F.conv2d(xs[0], xs[1], xs[2], a(1, 2), a(1), a(1), 2),
                        leaf(2, 4, 4, 5),
                        leaf(4, 2, 3, 3),
                        leaf(4)),
                op(
                        "conv2d depthwise (groups = channels)",
                        xs -> F.conv2d(xs[0], xs[1], null, 1, 0, 1, 3),
                        leaf(1, 3, 4, 4),
                        leaf(6, 1, 2, 2)),
                op(
                        "conv2d with more channels than pixels",
                        xs -> F.conv2d(xs[0], xs[1], xs[2], 1, 1),
                        leaf(2, 3, 2, 2),
                        leaf(8, 3, 3, 3),
                        leaf(8)),
                op(
                        "conv2d unbatched [C, H, W]",
                        xs -> F.conv2d(xs[0], xs[1], xs[2]),
                        leaf(2, 4, 4),
                        leaf(2, 2, 3, 3),
                        leaf(2)),
                op(
                        "conv2d non-contiguous input",
                        xs -> F.conv2d(xs[0].transpose(2, 3), xs[1], xs[2]),
                        leaf(1, 2, 5, 4),
                        leaf(2, 2, 2, 2),
                        leaf(2)),
                op(
                        "conv2d then tanh",
                        xs -> F.conv2d(xs[0], xs[1], xs[2], 1, 1).tanh(),
                        leaf(1, 1, 4, 4),
                        leaf(2, 1, 3, 3),
                        leaf(2)),
                op(
                        "unfold / fold",
                        xs -> F.fold(
                                F.unfold(xs[0], a(2, 3), a(1), a(1), a(2, 1)).mul(xs[1]),
                                a(5, 4),
                                a(2, 3),
                                a(1),
                                a(1),
                                a(2, 1)),
                        leaf(2, 2, 5, 4),
                        leaf(12, 12)),
                op("unfold unbatched [C, H, W]", xs -> F.unfold(xs[0], a(2), a(1), a(1), a(1, 2)), leaf(2, 3, 4)),
                op("fold unbatched [C*kh*kw, L]", xs -> F.fold(xs[0], a(3, 4), a(2), a(1), a(1), a(1, 2)), leaf(8, 12)),
                op(
                        "unfold / fold unbatched, dilation 2",
                        xs -> F.fold(
                                F.unfold(xs[0], a(2, 3), a(2), a(1), a(1)).mul(xs[1]),
                                a(5, 4),
                                a(2, 3),
                                a(2),
                                a(1),
                                a(1)),
                        leaf(2, 5, 4),
                        leaf(12, 10)),
                // pooling
                op("maxPool2d 2", xs -> F.maxPool2d(xs[0], 2), distinct(2, 2, 4, 4)),
                op("maxPool2d 3 stride 2 padding 1", xs -> F.maxPool2d(xs[0], 3, 2, 1), distinct(1, 2, 5, 6)),
                op(
                        "maxPool2d dilation 2, unbatched",
                        xs -> F.maxPool2d(xs[0], a(2), a(1), a(0), a(2)),
                        distinct(2, 5, 5)),
                op("maxPool2d then square", xs -> F.maxPool2d(xs[0], 2).pow(2f), distinct(1, 1, 4, 6)),
                op("avgPool2d 2", xs -> F.avgPool2d(xs[0], 2), leaf(2, 2, 4, 4)),
                op("avgPool2d 3 stride 2 padding 1", xs -> F.avgPool2d(xs[0], 3, 2, 1), leaf(1, 2, 5, 6)),
                op(
                        "avgPool2d padding not counted",
                        xs -> F.avgPool2d(xs[0], a(3), a(2), a(1), false),
                        leaf(1, 2, 5, 5)),
                op(
                        "avgPool2d (2, 3) then exp",
                        xs -> F.avgPool2d(xs[0], a(2, 3), a(1, 2), a(0, 1), true)
                                .exp(),
                        leaf(2, 4, 5)),
                // dropout: a fresh generator with the same seed gives the same mask at every evaluation
                op("dropout p=0.4", xs -> F.dropout(xs[0], 0.4f, true, new Generator(3)), leaf(4, 5)),
                op(
                        "dropout then square",
                        xs -> F.dropout(xs[0].mul(xs[1]), 0.5f, true, new Generator(4))
                                .pow(2f),
                        leaf(3, 4),
                        leaf(4)),
                // normalization
                op("layerNorm [5]", xs -> F.layerNorm(xs[0], a(5)), leaf(3, 5)),
                op(
                        "layerNorm [3, 4] with weight and bias",
                        xs -> F.layerNorm(xs[0], a(3, 4), xs[1], xs[2]),
                        leaf(2, 3, 4),
                        leaf(3, 4),
                        leaf(3, 4)),
                op(
                        "layerNorm weight only, eps 0.1",
                        xs -> F.layerNorm(xs[0], a(4), xs[1], null, 0.1f),
                        leaf(2, 2, 4),
                        leaf(4)),
                op(
                        "batchNorm training [N, C]",
                        xs -> F.batchNorm(xs[0], null, null, xs[1], xs[2], true),
                        leaf(5, 3),
                        leaf(3),
                        leaf(3)),
                op(
                        "batchNorm training [N, C, H, W]",
                        xs -> F.batchNorm(xs[0], null, null, xs[1], xs[2], true),
                        leaf(2, 3, 2, 2),
                        leaf(3),
                        leaf(3)),
                op(
                        "batchNorm training, no affine",
                        xs -> F.batchNorm(xs[0], null, null, null, null, true),
                        leaf(3, 2, 3)),
                op(
                        "batchNorm eval",
                        xs -> F.batchNorm(xs[0], rm, rv, xs[1], xs[2], false),
                        leaf(4, 3, 2),
                        leaf(3),
                        leaf(3)),
                op(
                        "batchNorm eval, then square",
                        xs -> F.batchNorm(xs[0], rm, rv, xs[1], xs[2], false).pow(2f),
                        leaf(4, 3),
                        leaf(3),
                        leaf(3)),
                // embedding
                op("embedding", xs -> F.embedding(ids, xs[0]), leaf(6, 3)),
                op("embedding, then square", xs -> F.embedding(ids, xs[0]).pow(2f), leaf(6, 3)),
                // losses
                op("crossEntropy", xs -> F.crossEntropy(xs[0], cls), leaf(4, 5)),
                op("crossEntropy sum", xs -> F.crossEntropy(xs[0], cls, Reduction.SUM), leaf(4, 5)),
                op("crossEntropy none", xs -> F.crossEntropy(xs[0], cls, Reduction.NONE), leaf(4, 5)),
                op(
                        "crossEntropy class weights + ignoreIndex",
                        xs -> F.crossEntropy(xs[0], ignoring, classW, -100, Reduction.MEAN),
                        leaf(4, 5)),
                op("crossEntropy [N, C, d1, d2]", xs -> F.crossEntropy(xs[0], cls4d), leaf(2, 3, 2, 2)),
                op(
                        "crossEntropy [C] with a 0-d target",
                        xs -> F.crossEntropy(xs[0], Tensor.indices(2).view()),
                        leaf(4)),
                op("nllLoss of logSoftmax", xs -> F.nllLoss(xs[0].logSoftmax(1), cls, Reduction.NONE), leaf(4, 5)),
                op("nllLoss weighted sum", xs -> F.nllLoss(xs[0], cls, classW, -100, Reduction.SUM), leaf(4, 5)),
                op("mseLoss", xs -> F.mseLoss(xs[0], xs[1]), leaf(3, 4), leaf(3, 4)),
                op("mseLoss sum, broadcast target", xs -> F.mseLoss(xs[0], xs[1], Reduction.SUM), leaf(3, 4), leaf(4)),
                op("mseLoss none", xs -> F.mseLoss(xs[0], xs[1], Reduction.NONE), leaf(2, 3), leaf(2, 3)),
                op(
                        "bceWithLogits",
                        xs -> F.binaryCrossEntropyWithLogits(xs[0], xs[1]),
                        leaf(3, 4),
                        uniform(0f, 1f, 3, 4).requiresGrad_()),
                op(
                        "bceWithLogits weight, posWeight, sum",
                        xs -> F.binaryCrossEntropyWithLogits(
                                xs[0], xs[1], bceW, Tensor.tensor(0.5f, 1f, 2f, 3f), Reduction.SUM),
                        leaf(3, 4),
                        uniform(0f, 1f, 3, 4).requiresGrad_()),
                op(
                        "bceWithLogits none, large logits",
                        xs -> F.binaryCrossEntropyWithLogits(xs[0].mul(8f), xs[1], Reduction.NONE),
                        leaf(2, 3),
                        uniform(0f, 1f, 2, 3).requiresGrad_()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ops")
    void gradcheck(Case c) {
        GradCheck.check(c.fn(), c.inputs());
        GradCheck.gradgradcheck(c.fn(), c.inputs());
    }

    // =============================================================================================
    // grad_fn names
    // =============================================================================================

    static Stream<Arguments> gradFnNames() {
        Tensor x = leaf(2, 1, 4, 4), w = leaf(2, 1, 3, 3), logits = leaf(3, 4), t = Tensor.indices(0, 3, 1);
        Tensor table = leaf(5, 2);
        return Stream.of(
                arguments("ConvolutionBackward0", F.conv2d(x, w)),
                arguments("SqueezeBackward1", F.conv2d(x.select(0, 0), w)), // unbatched, as PyTorch
                arguments("Im2ColBackward0", F.unfold(x, 2)),
                arguments("Col2ImBackward0", F.fold(F.unfold(x, 2), a(4, 4), a(2), a(1), a(0), a(1))),
                arguments("Im2ColBackward0", F.unfold(x.select(0, 0), 2)), // unbatched: no squeeze, as PyTorch
                arguments("Col2ImBackward0", F.fold(table.view(1, 10).expand(4, 10), a(3, 6), a(2), a(1), a(0), a(1))),
                arguments("MaxPool2DWithIndicesBackward0", F.maxPool2d(x, 2)),
                arguments("AvgPool2DBackward0", F.avgPool2d(x, 2)),
                arguments("MulBackward0", F.dropout(x, 0.5f, true)),
                arguments("NativeLayerNormBackward0", F.layerNorm(x, a(4))),
                arguments("NativeBatchNormBackward0", F.batchNorm(x, null, null, null, null, true)),
                arguments("EmbeddingBackward0", F.embedding(t, table)),
                arguments("NllLossBackward0", F.crossEntropy(logits, t)),
                arguments("NllLossBackward0", F.nllLoss(logits, t)),
                arguments("MseLossBackward0", F.mseLoss(logits, logits.detach())),
                arguments(
                        "BinaryCrossEntropyWithLogitsBackward0",
                        F.binaryCrossEntropyWithLogits(logits, logits.detach())),
                arguments("ReluBackward0", F.relu(logits)),
                arguments("SoftmaxBackward0", F.softmax(logits, 1)),
                arguments("LogSoftmaxBackward0", F.logSoftmax(logits, 1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gradFnNames")
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

    /** A direct convolution loop (zero padding), the reference for conv2d. */
    private static float[] naiveConv(
            Tensor x, Tensor w, Tensor b, int sh, int sw, int ph, int pw, int dh, int dw, int groups) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wi = x.size(3);
        int o = w.size(0), cg = w.size(1), kh = w.size(2), kw = w.size(3);
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (wi + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        float[] xv = x.toFloatArray(), wv = w.toFloatArray(), bv = b == null ? null : b.toFloatArray();
        float[] out = new float[n * o * oh * ow];
        int og = o / groups;
        for (int bi = 0; bi < n; bi++)
            for (int oc = 0; oc < o; oc++)
                for (int y = 0; y < oh; y++)
                    for (int xo = 0; xo < ow; xo++) {
                        double s = bv == null ? 0 : bv[oc];
                        int g = oc / og;
                        for (int ci = 0; ci < cg; ci++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int iy = y * sh - ph + i * dh, ix = xo * sw - pw + j * dw;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= wi) continue;
                                    s += wv[((oc * cg + ci) * kh + i) * kw + j]
                                            * xv[((bi * c + g * cg + ci) * h + iy) * wi + ix];
                                }
                        out[((bi * o + oc) * oh + y) * ow + xo] = (float) s;
                    }
        return out;
    }

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

    @Test
    void maxPoolKeepsIndicesAndRoutesTheGradientToThem() {
        Tensor x = Tensor.of(
                        new float[] {
                            1, 5, 2, 0,
                            3, 4, 9, 8,
                            7, 6, 1, 1,
                            0, 2, 3, 4
                        },
                        1,
                        1,
                        4,
                        4)
                .requiresGrad_();
        Tensor.ValuesIndices r = F.maxPool2dWithIndices(x, a(2), null, a(0), a(1));
        assertValues(r.values(), 5, 9, 7, 4);
        assertValues(r.indices(), 1, 6, 8, 15);
        assertEquals(DType.INT64, r.indices().dtype());
        r.values().backward(Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2));
        assertValues(x.grad(), 0, 1, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 4);
    }

    @Test
    void overlappingMaxPoolWindowsAddTheirGradients() {
        Tensor x =
                Tensor.of(new float[] {0, 1, 0, 0, 9, 0, 0, 1, 0}, 1, 1, 3, 3).requiresGrad_();
        F.maxPool2d(x, 2, 1, 0).sum().backward(); // the 9 in the middle wins all four windows
        assertValues(x.grad(), 0, 0, 0, 0, 4, 0, 0, 0, 0);
    }

    @Test
    void avgPoolCountsPaddingOnlyWhenAsked() {
        Tensor x = Tensor.ones(1, 1, 2, 2);
        assertValues(F.avgPool2d(x, a(2), a(2), a(1), true), 0.25f, 0.25f, 0.25f, 0.25f);
        assertValues(F.avgPool2d(x, a(2), a(2), a(1), false), 1, 1, 1, 1);
        assertValues(F.avgPool2d(Tensor.arange(16).view(1, 4, 4), 2), 2.5f, 4.5f, 10.5f, 12.5f);
    }

    @Test
    void layerNormNormalisesTheTrailingDims() {
        Tensor x = Tensor.tensor(new float[][] {{1, 2, 3, 4}, {-2, 0, 2, 4}});
        Tensor y = F.layerNorm(x, a(4), Tensor.full(2f, 4), Tensor.full(1f, 4), 0f);
        // (x - mean) / sqrt(biased var): row 1 has mean 2.5, var 1.25
        float s = (float) Math.sqrt(1.25);
        // row 2 has mean 1, var 5 = 4 * 1.25: after the weight 2 both rows come out the same
        float[] row = {1 - 3 / s, 1 - 1 / s, 1 + 1 / s, 1 + 3 / s};
        assertClose(y, new float[] {row[0], row[1], row[2], row[3], row[0], row[1], row[2], row[3]}, 1e-5f);
    }

    @Test
    void batchNormUpdatesRunningStatsWithTheUnbiasedVarianceAndUsesThemInEval() {
        Tensor x = Tensor.tensor(
                new float[][] {{1, 10}, {3, 20}, {5, 60}}); // per channel: mean 3, 30; biased var 8/3, 1400/3
        Tensor rm = Tensor.zeros(2), rv = Tensor.ones(2);
        Tensor y = F.batchNorm(x, rm, rv, null, null, true, 0.1f, 0f);
        assertValues(rm, 0.3f, 3f);
        assertValues(rv, 0.9f + 0.1f * 4f, 0.9f + 0.1f * 700f); // unbiased: 4 and 700
        float s0 = (float) Math.sqrt(8 / 3.0), s1 = (float) Math.sqrt(1400 / 3.0);
        assertClose(y, new float[] {-2 / s0, -20 / s1, 0, -10 / s1, 2 / s0, 30 / s1}, 1e-5f);
        Tensor e = F.batchNorm(
                Tensor.tensor(new float[][] {{1.3f, 4f}}),
                rm,
                rv,
                Tensor.tensor(2, 3),
                Tensor.tensor(1, 0),
                false,
                0.1f,
                0f);
        assertClose(
                e,
                new float[] {1 + 2 * (1.3f - 0.3f) / (float) Math.sqrt(1.3), 3 * (4 - 3f) / (float) Math.sqrt(70.9)},
                1e-5f);
        assertValues(rm, 0.3f, 3f); // eval leaves them alone
    }

    @Test
    void crossEntropyIsStableAndMatchesTheLogSumExp() {
        Tensor logits = Tensor.tensor(new float[][] {{1000, 0, -1000}, {1, 2, 3}});
        Tensor t = Tensor.indices(1, 2);
        double row2 = -(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)));
        Tensor none = F.crossEntropy(logits, t, Reduction.NONE);
        assertValues(none, 1000, (float) row2);
        assertValues(F.crossEntropy(logits, t), (float) ((1000 + row2) / 2));
        // class weights: the mean divides by the weights of the targets
        Tensor w = Tensor.tensor(1, 2, 3);
        assertValues(F.crossEntropy(logits, t, w, -100, Reduction.MEAN), (float) ((2 * 1000 + 3 * row2) / 5));
        // ignoreIndex drops a row from sum and count
        assertValues(F.crossEntropy(logits, Tensor.indices(1, -1), null, -1, Reduction.MEAN), 1000);
        assertValues(F.crossEntropy(logits, Tensor.indices(1, -1), null, -1, Reduction.NONE), 1000, 0);
    }

    @Test
    void crossEntropyGradientIsSoftmaxMinusOneHot() {
        Tensor logits = Tensor.tensor(new float[][] {{1, 2, 3}, {0, 0, 0}}).requiresGrad_();
        F.crossEntropy(logits, Tensor.indices(2, 0)).backward();
        float[] p = Tensor.tensor(1, 2, 3).softmax(0).toFloatArray();
        assertClose(
                logits.grad(),
                new float[] {p[0] / 2, p[1] / 2, (p[2] - 1) / 2, (1 / 3f - 1) / 2, 1 / 6f, 1 / 6f},
                1e-5f);
    }

    @Test
    void bceWithLogitsIsStableForLargeLogits() {
        Tensor x = Tensor.tensor(100, -100, 0, 2).requiresGrad_();
        Tensor y = Tensor.tensor(0, 1, 1, 0.25f);
        Tensor l = F.binaryCrossEntropyWithLogits(x, y, Reduction.NONE);
        assertValues(l, 100, 100, (float) Math.log(2), (float) (0.75 * 2 + Math.log1p(Math.exp(-2))));
        l.sum().backward();
        assertValues(x.grad(), 1, -1, -0.5f, (float) (1 / (1 + Math.exp(-2)) - 0.25));
        // posWeight scales the positive term: -pw * y * log(sigmoid(x)) - (1 - y) log(1 - sigmoid(x))
        Tensor lp = F.binaryCrossEntropyWithLogits(
                Tensor.tensor(0.5f), Tensor.tensor(0.7f), null, Tensor.tensor(3f), Reduction.SUM);
        double s = 1 / (1 + Math.exp(-0.5));
        assertValues(lp, (float) (-3 * 0.7 * Math.log(s) - 0.3 * Math.log(1 - s)));
    }

    @Test
    void mseLossValues() {
        Tensor x = Tensor.tensor(1, 2, 3), y = Tensor.tensor(0, 2, 5);
        assertValues(F.mseLoss(x, y), 5f / 3);
        assertValues(F.mseLoss(x, y, Reduction.SUM), 5);
        assertValues(F.mseLoss(x, y, Reduction.NONE), 1, 0, 4);
    }

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

    // =============================================================================================
    // dropout
    // =============================================================================================

    @Test
    void dropoutMasksAndScalesInTrainingAndIsTheIdentityInEval() {
        Tensor x = Tensor.ones(1000).requiresGrad_();
        Tensor y = F.dropout(x, 0.25f, true, new Generator(9));
        int zeros = 0;
        for (float v : y.toFloatArray()) {
            if (v == 0f) zeros++;
            else assertEquals(1f / 0.75f, v, 1e-6f);
        }
        assertTrue(zeros > 200 && zeros < 300, "dropped " + zeros + " of 1000 at p=0.25");
        assertArrayEquals(
                y.toFloatArray(), F.dropout(x, 0.25f, true, new Generator(9)).toFloatArray()); // same seed
        y.sum().backward();
        assertArrayEquals(y.toFloatArray(), x.grad().toFloatArray()); // the same mask and scale
        assertSame(x, F.dropout(x, 0.25f, false));
        assertSame(x, F.dropout(x, 0f, true));
        assertValues(F.dropout(Tensor.ones(3), 1f, true), 0, 0, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> F.dropout(x, 1.5f, true));
        assertEquals("dropout probability has to be between 0 and 1, but got 1.5", e.getMessage());
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

    /**
     * conv2d hands its im2col scratch (forward) and its backward's scratch back to the array pool; with
     * sizes the pool keeps (over 1024 floats), plain backwards that reuse those arrays, one after the
     * other, give the same bits as a createGraph backward, which frees nothing.
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
        loss.get().backward(Tensor.scalar(1f), true, true); // createGraph: nothing is freed
        float[][] reference = new float[leaves.length][];
        for (int i = 0; i < leaves.length; i++) {
            reference[i] = leaves[i].grad().toFloatArray();
            leaves[i].setGrad(null);
        }
        for (int round = 0; round < 3; round++) {
            loss.get().backward();
            for (int i = 0; i < leaves.length; i++) {
                assertArrayEquals(reference[i], leaves[i].grad().toFloatArray(), "gradient " + i + ", round " + round);
                leaves[i].setGrad(null);
            }
        }
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
