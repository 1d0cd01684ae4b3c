package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.checkSameDevice;
import static org.grad4j.core.TensorInternals.contiguousUntracked;
import static org.grad4j.core.TensorInternals.newOf;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.shape;

import java.util.Arrays;
import org.grad4j.core.DType;
import org.grad4j.core.Device;
import org.grad4j.core.GradMode;
import org.grad4j.core.Reduction;
import org.grad4j.core.Tensor;
import org.grad4j.core.autograd.Recorder;

/**
 * Losses as fused ops, one node each: nll_loss ({@code NllLossBackward0}; cross_entropy is
 * log_softmax, whose kernel subtracts the row maximum before the log-sum-exp, followed by nll_loss),
 * mse_loss ({@code MseLossBackward0}) and binary_cross_entropy_with_logits
 * ({@code BinaryCrossEntropyWithLogitsBackward0}, written with a stable softplus). Rules are tensor ops.
 */
public final class Losses {
    private Losses() {}

    public static final int DEFAULT_IGNORE_INDEX = -100;

    private static Tensor reduce(Tensor perElement, Reduction reduction) {
        return switch (reduction) {
            case NONE -> perElement;
            case SUM -> perElement.sum();
            case MEAN -> perElement.mean();
        };
    }

    private static void noGradFor(String op, String what, Tensor t) {
        if (t != null && t.requiresGrad() && GradMode.isEnabled()) {
            throw new UnsupportedOperationException(op + ": the derivative for '" + what + "' is not implemented; pass "
                    + what + ".detach() (it is treated as a constant)");
        }
    }

    // ---- nll_loss / cross_entropy ----------------------------------------------------------------

    public static Tensor crossEntropy(
            Tensor input, Tensor target, Tensor weight, int ignoreIndex, Reduction reduction) {
        if (input.dim() < 1) {
            throw new IllegalArgumentException(
                    "crossEntropy: expected an input of shape [C], [N, C] or [N, C, d1, ...], got a " + "0-d tensor");
        }
        return nllLoss(
                "crossEntropy", input.logSoftmax(input.dim() == 1 ? 0 : 1), target, weight, ignoreIndex, reduction);
    }

    public static Tensor nllLoss(Tensor input, Tensor target, Tensor weight, int ignoreIndex, Reduction reduction) {
        return nllLoss("nllLoss", input, target, weight, ignoreIndex, reduction);
    }

    private static Tensor nllLoss(
            String op, Tensor input, Tensor target, Tensor weight, int ignoreIndex, Reduction reduction) {
        int r = input.dim();
        if (r < 1)
            throw new IllegalArgumentException(
                    op + ": expected an input of shape [C], [N, C] or [N, C, d1, ...], got a 0-d tensor");
        int c = r == 1 ? shape(input)[0] : shape(input)[1];
        int[] want = new int[Math.max(r - 1, 0)]; // the target's shape: the input's without the class dimension
        if (r >= 2) {
            want[0] = shape(input)[0];
            System.arraycopy(shape(input), 2, want, 1, r - 2);
        }
        if (r >= 2 && (target.dim() < 1 || shape(target)[0] != shape(input)[0])) {
            throw new IllegalArgumentException(
                    op + ": expected input batch_size (" + shape(input)[0] + ") to match target "
                            + "batch_size (" + (target.dim() < 1 ? "a 0-d target" : shape(target)[0]) + "); input "
                            + Arrays.toString(shape(input)) + ", target " + Arrays.toString(shape(target)));
        }
        if (!Arrays.equals(shape(target), want)) {
            throw new IllegalArgumentException(
                    op + ": expected a target of class indices of shape " + Arrays.toString(want)
                            + " for an input of shape " + Arrays.toString(shape(input)) + " (classes along dimension "
                            + (r == 1 ? 0 : 1) + "), but got target of shape " + Arrays.toString(shape(target)));
        }
        if (target.dtype() != DType.INT64) {
            throw new IllegalArgumentException(op + ": expected target dtype to be int64 (class indices, e.g. "
                    + "Tensor.indices(...)), but got " + target.dtype() + "; for class probabilities compute "
                    + "-(target * input.logSoftmax(1)).sum(1)");
        }
        if (weight != null && (weight.dim() != 1 || shape(weight)[0] != c)) {
            throw new IllegalArgumentException(op + ": weight tensor should be defined either for all " + c
                    + " classes or no " + "classes but got weight tensor of shape: " + Arrays.toString(shape(weight)));
        }
        noGradFor(op, "weight", weight);
        checkSameDevice(input, target);
        if (weight != null) checkSameDevice(input, weight);
        float[] tf = target.toFloatArray();
        float[] wf = weight == null ? null : weight.toFloatArray();
        int m = tf.length, inner = 1;
        for (int i = 2; i < r; i++) inner *= shape(input)[i];
        // positions in the flattened input of the kept (not ignored) targets, and their class weights
        int[] keptAt = new int[m], pos = new int[m];
        float[] wk = new float[m];
        int kept = 0;
        double wsum = 0;
        for (int i = 0; i < m; i++) {
            float t = tf[i];
            if (t != Math.rint(t)) {
                throw new IllegalArgumentException(
                        op + ": expected a target of class indices, got the non-integral value " + t + " at position "
                                + i + "; for class probabilities compute -(target * input.logSoftmax(1)).sum(1)");
            }
            int ti = (int) t;
            if (ti == ignoreIndex) continue;
            if (ti < 0 || ti >= c) {
                throw new IndexOutOfBoundsException(op + ": target " + ti + " is out of bounds: the input has " + c
                        + " classes, so class indices must be in [0, " + c + ") (or equal ignoreIndex=" + ignoreIndex
                        + ")");
            }
            int n = i / inner, d = i % inner;
            keptAt[kept] = i;
            pos[kept] = (n * c + ti) * inner + d;
            wk[kept] = wf == null ? 1f : wf[ti];
            wsum += wk[kept];
            kept++;
        }
        keptAt = Arrays.copyOf(keptAt, kept);
        pos = Arrays.copyOf(pos, kept);
        wk = Arrays.copyOf(wk, kept);
        // gather the kept log-probabilities with the backend, then reduce them in double
        Tensor xc = contiguousUntracked(input);
        Tensor picked = newUninitialized(input, new int[] {kept}, DType.FLOAT32);
        backend(input).indexSelect(buffer(xc), 1, input.numel(), 1, pos, buffer(picked));
        Tensor out;
        if (input.device().equals(Device.cpu())) {
            float[] v = picked.toFloatArray();
            if (reduction == Reduction.NONE) {
                float[] o = new float[m];
                for (int k = 0; k < kept; k++) o[keptAt[k]] = -wk[k] * v[k];
                out = newOf(input, o, shape(target));
            } else {
                double s = 0;
                for (int k = 0; k < kept; k++) s -= (double) wk[k] * v[k];
                out = newOf(input, new float[] {reduction == Reduction.MEAN ? (float) (s / wsum) : (float) s
                }); // all ignored: 0/0 = NaN, as PyTorch
            }
        } else {
            // on an accelerator the loss is reduced where the log-probabilities are: no read-back
            // (and, without class weights, no upload) in the training step
            Tensor terms = weight == null ? picked : picked.mul(newOf(input, wk, kept));
            if (reduction == Reduction.NONE) {
                out = Slicing.scatter(terms.neg(), shape(target), keptAt).clone(); // a tensor of its own, as on the cpu
            } else {
                // the negated terms summed: with every target ignored, +0 (SUM) and 0 * inf = NaN (MEAN), as PyTorch
                Tensor s = terms.neg().sum();
                out = reduction == Reduction.MEAN ? s.mul((float) (1.0 / wsum)) : s;
            }
        }
        if (!Recorder.needsGrad(input)) return out;
        float[] coef = wk.clone();
        for (int k = 0; k < kept; k++) coef[k] = reduction == Reduction.MEAN ? (float) (-wk[k] / wsum) : -wk[k];
        int[] at = keptAt, positions = pos, inShape = shape(input);
        return Recorder.record(out, "NllLossBackward0", input, (g, ctx) -> {
            // d loss / d input is -w[t] (divided by the weight sum for mean) at each kept target, 0 elsewhere
            // without class weights every coefficient is the same: no host-made tensor (an upload on a device)
            Tensor vals;
            if (weight == null) {
                vals = reduction == Reduction.NONE
                        ? Indexing.indexSelect(g.reshape(-1), 0, at).mul(coef.length == 0 ? 0f : coef[0])
                        : g.mul(coef.length == 0 ? 0f : coef[0])
                                .expand(coef.length)
                                .contiguous();
            } else {
                Tensor cf = newOf(g, coef, coef.length);
                vals = reduction == Reduction.NONE
                        ? Indexing.indexSelect(g.reshape(-1), 0, at).mul(cf)
                        : cf.mul(g);
            }
            return new Tensor[] {Slicing.scatter(vals, inShape, positions)};
        });
    }

    // ---- mse_loss --------------------------------------------------------------------------------

    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        checkSameDevice(input, target);
        int[] shape = Shapes.broadcast("mseLoss", shape(input), shape(target));
        int n = Math.max(1, org.grad4j.kernels.Layout.numel(shape));
        Tensor out;
        try (var s = GradMode.noGrad()) {
            Tensor d = input.sub(target);
            out = reduce(d.mul(d), reduction);
        }
        return Recorder.record(
                out,
                "MseLossBackward0",
                input,
                target,
                (g, ctx) -> {
                    Tensor gd = ctx.saved(0).sub(ctx.saved(1)).mul(2f).mul(g);
                    if (reduction == Reduction.MEAN) gd = gd.div((float) n);
                    return new Tensor[] {ctx.needs(0) ? gd : null, ctx.needs(1) ? gd.neg() : null};
                },
                input,
                target);
    }

    // ---- binary_cross_entropy_with_logits --------------------------------------------------------

    /** softplus(-x) = log(1 + exp(-x)), as max(-x, 0) + log(1 + exp(-|x|)) so that no exp overflows. */
    private static Tensor softplusNeg(Tensor x) {
        return x.neg().relu().add(x.abs().neg().exp().add(1f).log());
    }

    public static Tensor binaryCrossEntropyWithLogits(
            Tensor input, Tensor target, Tensor weight, Tensor posWeight, Reduction reduction) {
        String op = "binaryCrossEntropyWithLogits";
        checkSameDevice(input, target, weight, posWeight);
        if (!Arrays.equals(shape(input), shape(target))) {
            throw new IllegalArgumentException(op + ": target size " + Arrays.toString(shape(target))
                    + " must be the same as input size " + Arrays.toString(shape(input)));
        }
        if (weight != null) Shapes.broadcast(op + " (weight)", shape(weight), shape(input));
        if (posWeight != null) Shapes.broadcast(op + " (posWeight)", shape(posWeight), shape(input));
        noGradFor(op, "weight", weight);
        noGradFor(op, "posWeight", posWeight);
        int n = Math.max(1, input.numel());
        Tensor out;
        try (var s = GradMode.noGrad()) {
            // (1 - y) x + lw * softplus(-x), with lw = 1 + (posWeight - 1) y
            Tensor sp = softplusNeg(input);
            Tensor l = target.rsub(1f).mul(input);
            l = l.add(
                    posWeight == null
                            ? sp
                            : posWeight.sub(1f).mul(target).add(1f).mul(sp));
            if (weight != null) l = l.mul(weight);
            out = reduce(l, reduction);
        }
        return Recorder.record(
                out,
                "BinaryCrossEntropyWithLogitsBackward0",
                input,
                target,
                (g, ctx) -> {
                    Tensor x = ctx.saved(0), y = ctx.saved(1);
                    Tensor scale = weight == null ? g : g.mul(weight);
                    if (reduction == Reduction.MEAN) scale = scale.div((float) n);
                    Tensor gx = null, gy = null;
                    if (ctx.needs(0)) {
                        // sigmoid(x) - y, or with posWeight: (1 - y) + lw (sigmoid(x) - 1)
                        Tensor d = posWeight == null
                                ? x.sigmoid().sub(y)
                                : y.rsub(1f)
                                        .add(posWeight
                                                .sub(1f)
                                                .mul(y)
                                                .add(1f)
                                                .mul(x.sigmoid().sub(1f)));
                        gx = d.mul(scale);
                    }
                    if (ctx.needs(1)) {
                        Tensor d = posWeight == null
                                ? x.neg()
                                : x.neg().add(posWeight.sub(1f).mul(softplusNeg(x)));
                        gy = d.mul(scale);
                    }
                    return new Tensor[] {gx, gy};
                },
                input,
                target);
    }
}
