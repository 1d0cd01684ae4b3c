package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.scalarLike;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.autograd.Recorder.record;

import org.grad4j.core.GradMode;
import org.grad4j.core.ModeScope;
import org.grad4j.core.Tensor;
import org.grad4j.kernels.ReduceOp;

/** logsumexp over dimensions, shifted by the maximum so that large inputs do not overflow. */
public final class LogSumExp {
    private LogSumExp() {}

    public static Tensor logsumexp(Tensor x, int[] dimsIn, boolean keepdim) {
        int rank = shape(x).length;
        int[] dims = Reductions.normalizeDims(
                "logsumexp", dimsIn.length == 0 ? Reductions.allDims(rank) : dimsIn, rank); // dim=[] reduces all
        Tensor out;
        try (ModeScope s = GradMode.noGrad()) {
            Tensor m = Reductions.reduceKernel(x, ReduceOp.MAX, dims, true, false)[0];
            // an infinite maximum (a row of -inf, or a +inf) shifts by 0, as PyTorch: -inf rows give -inf
            Tensor shift = Comparisons.where(m.abs().eq(Float.POSITIVE_INFINITY), scalarLike(m, 0f), m);
            Tensor lse = x.sub(shift).exp().sum(dims, true).log().add(shift);
            out = keepdim ? lse : lse.sum(dims, false); // summing size-1 dims drops them
        }
        int[] in = shape(x);
        return record(
                out,
                "LogsumexpBackward0",
                x,
                (g, ctx) -> {
                    // d/dx logsumexp = exp(x - result) = softmax over the reduced dims
                    Tensor gk = g, r = ctx.saved(1);
                    if (!keepdim)
                        for (int d : dims) {
                            gk = gk.unsqueeze(d);
                            r = r.unsqueeze(d);
                        }
                    return new Tensor[] {gk.mul(ctx.saved(0).sub(r).exp())};
                },
                x,
                out);
    }
}
