package org.grad4j.core;

import static org.grad4j.core.Recorder.record;

/** softmax and log_softmax along a dimension, computed stably in one fused kernel. */
final class Softmax {
    private Softmax() {}

    static Tensor softmax(Tensor x, int dimIn, boolean log) {
        String op = log ? "logSoftmax" : "softmax";
        int dim = Shapes.wrapDim(op, dimIn, x.dim());
        Tensor xc = x.contiguousUntracked();
        Tensor out = x.newUninitialized(x.shape, DType.FLOAT32);
        int size = x.dim() == 0 ? 1 : x.shape[dim];
        int outer = x.dim() == 0 ? 1 : Indexing.outer(x.shape, dim), inner = x.dim() == 0 ? 1 : Indexing.inner(x.shape, dim);
        x.backend().softmax(xc.buffer, outer, size, inner, log, out.buffer);
        if (log) {
            // d/dx log_softmax: g - softmax * sum(g)
            return record(out, "LogSoftmaxBackward0", x, (g, ctx) ->
                    new Tensor[] {g.sub(ctx.saved(0).exp().mul(g.sum(dim, true)))}, out);
        }
        // d/dx softmax: y * (g - sum(g * y))
        return record(out, "SoftmaxBackward0", x, (g, ctx) -> {
            Tensor y = ctx.saved(0);
            return new Tensor[] {y.mul(g.sub(g.mul(y).sum(dim, true)))};
        }, out);
    }
}
