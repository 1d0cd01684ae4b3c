package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.autograd.Recorder.record;

import org.grad4j.core.GradMode;
import org.grad4j.core.ModeScope;
import org.grad4j.core.Tensor;

/** var and std over dimensions with a {@code correction} (1: Bessel's), as PyTorch's. */
public final class Variance {
    private Variance() {}

    public static Tensor var(Tensor x, int[] dimsIn, float correction, boolean keepdim) {
        return varStd(x, dimsIn, correction, keepdim, false);
    }

    public static Tensor std(Tensor x, int[] dimsIn, float correction, boolean keepdim) {
        return varStd(x, dimsIn, correction, keepdim, true);
    }

    private static Tensor varStd(Tensor x, int[] dimsIn, float correction, boolean keepdim, boolean std) {
        String op = std ? "std" : "var";
        int rank = shape(x).length;
        int[] dims =
                Reductions.normalizeDims(op, dimsIn.length == 0 ? Reductions.allDims(rank) : dimsIn, rank); // []: all
        int n = 1;
        for (int d : dims) n *= shape(x)[d];
        float dof = n - correction;
        Tensor out;
        try (ModeScope s = GradMode.noGrad()) {
            // two passes: the mean, then the squared deviations from it; dof <= 0 divides by 0 (inf or nan)
            Tensor dev = x.sub(x.mean(dims, true));
            Tensor v = dev.mul(dev).sum(dims, keepdim).div(Math.max(0f, dof));
            out = std ? v.sqrt() : v;
        }
        return record(
                out,
                std ? "StdBackward0" : "VarBackward0",
                x,
                (g, ctx) -> {
                    Tensor gk = g, r = ctx.saved(1);
                    if (!keepdim)
                        for (int d : dims) {
                            gk = gk.unsqueeze(d);
                            r = r.unsqueeze(d);
                        }
                    // std: d std = d var / (2 std), zero where std is zero (PyTorch's std_backward)
                    Tensor gVar = std ? gk.div(r.mul(2f)).maskedFill(r.eq(0f), 0f) : gk;
                    Tensor xi = ctx.saved(0);
                    return new Tensor[] {gVar.mul(2f / dof).mul(xi.sub(xi.mean(dims, true)))};
                },
                x,
                out);
    }
}
