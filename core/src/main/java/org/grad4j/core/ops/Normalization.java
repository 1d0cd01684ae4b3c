package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.shape;

import java.util.Arrays;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.core.autograd.Recorder;

/**
 * layer_norm and batch_norm, each one node ({@code NativeLayerNormBackward0},
 * {@code NativeBatchNormBackward0}) over the input, weight and bias. The forward runs untracked; the
 * rule is the closed-form gradient written with tensor ops. Under createGraph the rule recomputes the
 * mean and variance from the saved input (instead of using the forward's), so that they are functions
 * of the input in the recorded graph and second derivatives come out right.
 */
public final class Normalization {
    private Normalization() {}

    /** mean and 1/sqrt(var + eps) (biased variance) over {@code dims}, kept as size-1 dimensions. */
    private static Tensor[] stats(Tensor x, int[] dims, float eps) {
        Tensor mean = x.mean(dims, true);
        Tensor xc = x.sub(mean);
        Tensor var = xc.mul(xc).mean(dims, true);
        return new Tensor[] {mean, var.add(eps).sqrt().reciprocal(), var};
    }

    /**
     * {@code gx = rstd * (gy - mean(gy) - xhat * mean(gy * xhat))}: the gradient of a normalisation
     * with statistics over {@code dims}, where {@code gy} is the gradient of xhat.
     */
    private static Tensor normGradient(Tensor gy, Tensor xhat, Tensor rstd, int[] dims) {
        return gy.sub(gy.mean(dims, true))
                .sub(xhat.mul(gy.mul(xhat).mean(dims, true)))
                .mul(rstd);
    }

    // ---- layer_norm ------------------------------------------------------------------------------

    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, float eps) {
        int k = normalizedShape.length, r = x.dim();
        boolean ok = k >= 1 && k <= r;
        for (int i = 0; ok && i < k; i++) ok = shape(x)[r - k + i] == normalizedShape[i];
        if (!ok) {
            throw new IllegalArgumentException("layerNorm: given normalized_shape=" + Arrays.toString(normalizedShape)
                    + ", expected input with shape [*, "
                    + Arrays.toString(normalizedShape).replaceAll("[\\[\\]]", "")
                    + "], but got input of size " + Arrays.toString(shape(x))
                    + "; normalizedShape must be the trailing dimensions of the input");
        }
        for (Tensor p : new Tensor[] {weight, bias}) {
            if (p != null && !Arrays.equals(shape(p), normalizedShape)) {
                throw new IllegalArgumentException("layerNorm: expected " + (p == weight ? "weight" : "bias")
                        + " of shape " + Arrays.toString(normalizedShape) + " (normalizedShape), but got "
                        + Arrays.toString(shape(p)));
            }
        }
        int[] dims = new int[k];
        for (int i = 0; i < k; i++) dims[i] = r - k + i;
        Tensor out;
        Tensor[] st;
        try (var s = GradMode.noGrad()) {
            st = stats(x, dims, eps);
            out = x.sub(st[0]).mul(st[1]);
            if (weight != null) out = out.mul(weight);
            if (bias != null) out = out.add(bias);
        }
        Tensor mean = st[0], rstd = st[1];
        return Recorder.record(
                out, "NativeLayerNormBackward0", new Tensor[] {x, weight, bias}, new Tensor[] {x, weight}, (g, ctx) -> {
                    Tensor xs = ctx.saved(0), w = weight == null ? null : ctx.saved(1);
                    Tensor m = mean, rs = rstd;
                    if (GradMode.isEnabled()) { // createGraph: statistics as functions of x
                        Tensor[] again = stats(xs, dims, eps);
                        m = again[0];
                        rs = again[1];
                    }
                    Tensor xhat = xs.sub(m).mul(rs);
                    Tensor gx = ctx.needs(0) ? normGradient(w == null ? g : g.mul(w), xhat, rs, dims) : null;
                    // weight and bias gradients come back in the input's shape; the node sums the batch dims
                    return new Tensor[] {gx, ctx.needs(1) ? g.mul(xhat) : null, ctx.needs(2) ? g : null};
                });
    }

    // ---- batch_norm ------------------------------------------------------------------------------

    public static Tensor batchNorm(
            Tensor x,
            Tensor runningMean,
            Tensor runningVar,
            Tensor weight,
            Tensor bias,
            boolean training,
            float momentum,
            float eps) {
        if (x.dim() < 2) {
            throw new IllegalArgumentException(
                    "batchNorm: expected an input of shape [N, C, *] (2-d or more), got " + Arrays.toString(shape(x)));
        }
        int c = shape(x)[1];
        String[] names = {"runningMean", "runningVar", "weight", "bias"};
        Tensor[] params = {runningMean, runningVar, weight, bias};
        for (int i = 0; i < 4; i++) {
            if (params[i] != null && (params[i].dim() != 1 || shape(params[i])[0] != c)) {
                throw new IllegalArgumentException(
                        "batchNorm: " + names[i] + " should contain " + c + " elements (one per " + "channel of input "
                                + Arrays.toString(shape(x)) + ") not " + Arrays.toString(shape(params[i])));
            }
        }
        if (!training && (runningMean == null || runningVar == null)) {
            throw new IllegalArgumentException(
                    "batchNorm: running_mean and running_var must be defined in evaluation mode "
                            + "(training=false); pass them, or use training=true");
        }
        int[] dims = new int[x.dim() - 1];
        dims[0] = 0;
        for (int i = 2; i < x.dim(); i++) dims[i - 1] = i;
        int count = x.numel() / Math.max(c, 1);
        if (training && count <= 1) {
            throw new IllegalArgumentException(
                    "batchNorm: expected more than 1 value per channel when training, got input " + "size "
                            + Arrays.toString(shape(x)) + "; use a batch of more than one sample, or eval mode");
        }
        int[] chShape = new int[x.dim()]; // [1, C, 1, ...]: per-channel values broadcast over the input
        Arrays.fill(chShape, 1);
        chShape[1] = c;
        Tensor out, mean, rstd;
        try (var s = GradMode.noGrad()) {
            if (training) {
                Tensor[] st = stats(x, dims, eps);
                mean = st[0];
                rstd = st[1];
                if (runningMean != null) {
                    runningMean.mul_(1f - momentum).add_(mean.reshape(c), momentum);
                }
                if (runningVar != null) { // the running variance is unbiased, as PyTorch's
                    runningVar.mul_(1f - momentum).add_(st[2].reshape(c), momentum * count / (float) (count - 1));
                }
            } else {
                mean = runningMean.reshape(chShape).clone();
                rstd = runningVar.reshape(chShape).add(eps).sqrt().reciprocal();
            }
            out = x.sub(mean).mul(rstd);
            if (weight != null) out = out.mul(weight.reshape(chShape));
            if (bias != null) out = out.add(bias.reshape(chShape));
        }
        Tensor m0 = mean, rs0 = rstd;
        return Recorder.record(
                out, "NativeBatchNormBackward0", new Tensor[] {x, weight, bias}, new Tensor[] {x, weight}, (g, ctx) -> {
                    Tensor xs = ctx.saved(0),
                            w = weight == null ? null : ctx.saved(1).reshape(chShape);
                    Tensor m = m0, rs = rs0;
                    if (training && GradMode.isEnabled()) { // createGraph: batch statistics as functions of x
                        Tensor[] again = stats(xs, dims, eps);
                        m = again[0];
                        rs = again[1];
                    }
                    Tensor xhat = xs.sub(m).mul(rs);
                    Tensor gy = w == null ? g : g.mul(w);
                    Tensor gx = null;
                    if (ctx.needs(0)) {
                        // in eval mode the statistics are constants: the input gradient is only rescaled
                        gx = training ? normGradient(gy, xhat, rs, dims) : gy.mul(rs);
                    }
                    return new Tensor[] {
                        gx, ctx.needs(1) ? g.mul(xhat).sum(dims, false) : null, ctx.needs(2) ? g.sum(dims, false) : null
                    };
                });
    }
}
