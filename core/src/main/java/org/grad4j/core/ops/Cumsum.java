package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.contiguousUntracked;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.autograd.Recorder.record;

import org.grad4j.core.DType;
import org.grad4j.core.Tensor;

/**
 * Running sums along a dimension (sums in double, as PyTorch's CPU kernel). The backward of cumsum
 * is the cumsum of the gradient taken from the end (PyTorch: {@code grad.flip(dim).cumsum(dim).flip(dim)}),
 * one kernel here, whose own backward is the forward cumsum again.
 */
public final class Cumsum {
    private Cumsum() {}

    public static Tensor cumsum(Tensor x, int dimIn) {
        int dim = Shapes.wrapDim("cumsum", dimIn, x.dim());
        if (x.dtype() == DType.BOOL) {
            throw new IllegalArgumentException("cumsum: a bool tensor has no running sum here; convert it with "
                    + "to(DType.INT64) first (PyTorch promotes it to int64)");
        }
        return scan(x, dim, false);
    }

    private static Tensor scan(Tensor x, int dim, boolean reverse) {
        int[] s = x.dim() == 0 ? new int[] {1} : shape(x);
        Tensor out = newUninitialized(x, shape(x), x.dtype());
        if (out.numel() > 0) {
            backend(x)
                    .cumsum(
                            buffer(contiguousUntracked(x)),
                            Scatter.outer(s, dim),
                            s[dim],
                            Scatter.inner(s, dim),
                            reverse,
                            buffer(out));
        }
        return record(out, "CumsumBackward0", x, (g, ctx) -> new Tensor[] {scan(g, dim, !reverse)});
    }
}
