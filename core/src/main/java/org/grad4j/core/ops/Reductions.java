package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.newOf;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.scalarLike;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.TensorInternals.strides;
import static org.grad4j.core.autograd.Recorder.record;

import java.util.Arrays;
import org.grad4j.core.DType;
import org.grad4j.core.Tensor;
import org.grad4j.core.TensorInternals;
import org.grad4j.kernels.Layout;
import org.grad4j.kernels.ReduceOp;

/** Sum, mean, max and min: over everything or over dimensions, with their backward rules. */
public final class Reductions {
    private Reductions() {}

    /** Sorted, distinct, wrapped dimensions; for a 0-d tensor, none. */
    static int[] normalizeDims(String op, int[] dims, int rank) {
        boolean[] seen = new boolean[Math.max(rank, 1)];
        for (int d : dims) {
            int w = Shapes.wrapDim(op, d, rank);
            if (seen[w])
                throw new IllegalArgumentException(op + ": dim " + w + " appears multiple times in the list of dims");
            seen[w] = true;
        }
        if (rank == 0) return new int[0];
        int n = 0;
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) if (seen[i]) out[n++] = i;
        return Arrays.copyOf(out, n);
    }

    /** Runs a reduction kernel over {@code dims}; returns {values, indices-or-null} with kept dims. */
    static Tensor[] reduceKernel(Tensor x, ReduceOp op, int[] dims, boolean keepdim, boolean wantIndices) {
        int rank = shape(x).length;
        boolean[] red = new boolean[rank];
        for (int d : dims) red[d] = true;
        int[] pShape = new int[rank], pStrides = new int[rank];
        int k = 0;
        for (int i = 0; i < rank; i++)
            if (!red[i]) {
                pShape[k] = shape(x)[i];
                pStrides[k++] = strides(x)[i];
            }
        int kept = k;
        for (int i = 0; i < rank; i++)
            if (red[i]) {
                pShape[k] = shape(x)[i];
                pStrides[k++] = strides(x)[i];
            }
        int[] outShape = outShape(shape(x), red, keepdim);
        Tensor out = newUninitialized(x, outShape, DType.FLOAT32);
        Tensor idx = wantIndices ? newUninitialized(x, outShape, DType.INT64) : null;
        backend(x)
                .reduce(
                        op,
                        buffer(x),
                        new Layout(pShape, pStrides, x.storageOffset()),
                        kept,
                        buffer(out),
                        idx == null ? null : buffer(idx));
        return new Tensor[] {out, idx};
    }

    private static int[] outShape(int[] shape, boolean[] red, boolean keepdim) {
        int[] out = new int[shape.length];
        int n = 0;
        for (int i = 0; i < shape.length; i++) {
            if (!red[i]) out[n++] = shape[i];
            else if (keepdim) out[n++] = 1;
        }
        return Arrays.copyOf(out, n);
    }

    static int[] allDims(int rank) {
        int[] d = new int[rank];
        for (int i = 0; i < rank; i++) d[i] = i;
        return d;
    }

    /** The gradient of a reduced tensor, broadcast back over the reduced dimensions (a view). */
    static Tensor expandBack(Tensor g, int[] inputShape, int[] dims, boolean keepdim) {
        Tensor gk = g;
        if (!keepdim) for (int d : dims) gk = gk.unsqueeze(d); // dims are sorted ascending
        return gk.expand(inputShape);
    }

    public static Tensor sum(Tensor x) {
        int[] dims = allDims(shape(x).length);
        Tensor out = reduceKernel(x, ReduceOp.SUM, dims, false, false)[0];
        int[] in = shape(x);
        return record(out, "SumBackward0", x, (g, ctx) -> new Tensor[] {g.expand(in)});
    }

    public static Tensor sum(Tensor x, int[] dimsIn, boolean keepdim) {
        int[] dims = normalizeDims(
                "sum",
                dimsIn.length == 0 ? allDims(shape(x).length) : dimsIn,
                shape(x).length); // dim=[] reduces all, as in PyTorch
        Tensor out = reduceKernel(x, ReduceOp.SUM, dims, keepdim, false)[0];
        int[] in = shape(x);
        return record(out, "SumBackward1", x, (g, ctx) -> new Tensor[] {expandBack(g, in, dims, keepdim)});
    }

    public static Tensor mean(Tensor x) {
        int n = x.numel();
        Tensor out = divideExact(x, allDims(shape(x).length), false, n);
        int[] in = shape(x);
        return record(
                out, "MeanBackward0", x, (g, ctx) -> new Tensor[] {g.expand(in).div((float) n)});
    }

    public static Tensor mean(Tensor x, int[] dimsIn, boolean keepdim) {
        int[] dims = normalizeDims(
                "mean",
                dimsIn.length == 0 ? allDims(shape(x).length) : dimsIn,
                shape(x).length); // dim=[] reduces all, as in PyTorch
        int count = 1;
        for (int d : dims) count *= shape(x)[d];
        Tensor out = divideExact(x, dims, keepdim, count);
        int[] in = shape(x);
        final int n = count;
        return record(out, "MeanBackward1", x, (g, ctx) ->
                new Tensor[] {expandBack(g, in, dims, keepdim).div((float) n)});
    }

    /** sum / n with a true division (not a multiplication by 1/n), as PyTorch rounds it. */
    private static Tensor divideExact(Tensor x, int[] dims, boolean keepdim, int n) {
        Tensor s = reduceKernel(x, ReduceOp.SUM, dims, keepdim, false)[0];
        return Pointwise.binary("mean", org.grad4j.kernels.BinaryOp.DIV, s, scalarLike(s, n), DType.FLOAT32);
    }

    public static Tensor maxAll(Tensor x, boolean max) {
        String op = max ? "max" : "min";
        if (x.numel() == 0) {
            throw new IllegalArgumentException(
                    op + "(): Expected reduction dim to be specified for input.numel() == 0. "
                            + "Specify the reduction dim with the 'dim' argument.");
        }
        Tensor out = reduceKernel(x, max ? ReduceOp.MAX : ReduceOp.MIN, allDims(shape(x).length), false, false)[0];
        return record(
                out,
                max ? "MaxBackward1" : "MinBackward1",
                x,
                (g, ctx) -> {
                    // ties share the gradient evenly, as in PyTorch
                    Tensor mask = ctx.saved(0).eq(ctx.saved(1));
                    Tensor m = mask.mul(1f);
                    return new Tensor[] {m.mul(g).div(m.sum())};
                },
                x,
                out);
    }

    public static Tensor.ValuesIndices maxDim(Tensor x, int dimIn, boolean keepdim, boolean max) {
        String op = max ? "max" : "min";
        int dim = Shapes.wrapDim(op, dimIn, shape(x).length);
        if (shape(x).length > 0 && shape(x)[dim] == 0) {
            throw new IllegalArgumentException(op + "(): Expected reduction dim " + dim
                    + " to have non-zero size, shape " + Arrays.toString(shape(x)));
        }
        if (shape(x).length > 0 && shape(x)[dim] - 1 > TensorInternals.MAX_EXACT_INDEX) {
            throw new IllegalArgumentException(op + "(): dimension " + dim + " of shape " + Arrays.toString(shape(x))
                    + " has "
                    + shape(x)[dim]
                    + " positions, but the indices it returns (int64, stored as float32) are exact only up "
                    + "to 2^24 = " + TensorInternals.MAX_EXACT_INDEX + "; reduce a shorter dimension (e.g. in chunks)");
        }
        int[] dims = shape(x).length == 0 ? new int[0] : new int[] {dim};
        Tensor[] r = reduceKernel(x, max ? ReduceOp.MAX : ReduceOp.MIN, dims, keepdim, true);
        Tensor values = r[0], indices = r[1];
        int[] in = shape(x);
        record(
                values,
                max ? "MaxBackward0" : "MinBackward0",
                x,
                (g, ctx) -> {
                    if (in.length == 0) return new Tensor[] {g};
                    Tensor idx = ctx.saved(0), gk = g;
                    if (!keepdim) {
                        idx = idx.unsqueeze(dim);
                        gk = gk.unsqueeze(dim);
                    }
                    int[] posShape = new int[in.length];
                    Arrays.fill(posShape, 1);
                    posShape[dim] = in[dim];
                    float[] pos = new float[in[dim]];
                    for (int i = 0; i < pos.length; i++) pos[i] = i;
                    Tensor positions = newOf(gk, pos, posShape);
                    return new Tensor[] {gk.mul(positions.eq(idx))}; // one-hot along dim, broadcast to the input shape
                },
                indices);
        return new Tensor.ValuesIndices(values, indices);
    }
}
