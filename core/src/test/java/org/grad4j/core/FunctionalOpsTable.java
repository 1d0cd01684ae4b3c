package org.grad4j.core;

import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The rows of {@link FunctionalOpsTest}'s gradcheck and grad_fn-name tables (every op and option of
 * {@link F}), the shared seeded generator they and its other tests draw from, in the order JUnit runs
 * them, and the direct convolution loop that is conv2d's reference.
 */
final class FunctionalOpsTable {
    private FunctionalOpsTable() {}

    record Case(String name, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Case op(String name, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        return new Case(name, fn, inputs);
    }

    static final Generator GEN = new Generator(2024);

    static Tensor leaf(int... shape) {
        return Tensor.randn(GEN, shape).requiresGrad_();
    }

    static Tensor constant(int... shape) {
        return Tensor.randn(GEN, shape);
    }

    /** Values in [lo, hi). */
    static Tensor uniform(float lo, float hi, int... shape) {
        return Tensor.rand(GEN, shape).mul(hi - lo).add(lo);
    }

    /** Distinct values (multiples of 0.1, shuffled): no ties in a max-pool window, even after a finite-difference step. */
    static Tensor distinct(int... shape) {
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

    static int[] a(int... v) {
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
                arguments("SiluBackward0", F.silu(logits)),
                arguments("GeluBackward0", F.gelu(logits)),
                arguments("GeluBackward0", F.gelu(logits, "tanh")),
                arguments("ErfBackward0", logits.erf()),
                arguments("SoftplusBackward0", F.softplus(logits, 2f, 1f)),
                arguments("LeakyReluBackward0", F.leakyRelu(logits, 0.2f)),
                arguments("SoftmaxBackward0", F.softmax(logits, 1)),
                arguments("LogSoftmaxBackward0", F.logSoftmax(logits, 1)));
    }

    /** A direct convolution loop (zero padding), the reference for conv2d. */
    static float[] naiveConv(Tensor x, Tensor w, Tensor b, int sh, int sw, int ph, int pw, int dh, int dw, int groups) {
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
}
