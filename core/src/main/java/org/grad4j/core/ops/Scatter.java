package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.alias;
import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.checkSameDevice;
import static org.grad4j.core.TensorInternals.contiguousUntracked;
import static org.grad4j.core.TensorInternals.layout;
import static org.grad4j.core.TensorInternals.newEmpty;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.TensorInternals.strides;

import java.util.Arrays;
import org.grad4j.core.DType;
import org.grad4j.core.Tensor;
import org.grad4j.core.autograd.Recorder;
import org.grad4j.kernels.Layout;

/**
 * gather, scatter (from a tensor or a value) and scatter_add along one dimension, with an INT64 index
 * of the same rank as self (PyTorch's shape rules: the index no larger than self, and than src, in
 * every other dimension). The kernels see outer×size×inner blocks; where the index is smaller than
 * self in another dimension, the part of self it covers is copied out and back.
 */
public final class Scatter {
    private Scatter() {}

    public static Tensor gather(Tensor x, int dimIn, Tensor index) {
        return gather(x, dimIn, index, true);
    }

    /**
     * {@code checkValues} false: the index was checked by the forward whose backward this is (a later
     * in-place change to it fails at unpacking, by its version), so its values are not read again.
     */
    static Tensor gather(Tensor x, int dimIn, Tensor index, boolean checkValues) {
        checkSameDevice(x, index);
        Indexing.checkIndexDType("gather", "index", index);
        int dim = Shapes.wrapDim("gather", dimIn, x.dim());
        if (Math.max(index.dim(), 1) != Math.max(x.dim(), 1)) {
            throw new IllegalArgumentException("gather(): Index tensor must have the same number of dimensions as "
                    + "input tensor (index of shape " + Arrays.toString(shape(index)) + ", input of shape "
                    + Arrays.toString(shape(x)) + ")");
        }
        int[] xs = atLeast1d(shape(x)), is = atLeast1d(shape(index));
        for (int d = 0; d < xs.length; d++) {
            if (d != dim && is[d] > xs[d]) {
                throw new IllegalArgumentException("gather(): Size does not match at dimension " + d
                        + " expected index "
                        + Arrays.toString(shape(index)) + " to be no larger than self " + Arrays.toString(shape(x))
                        + " apart from dimension " + dim);
            }
        }
        if (checkValues) checkRange("gather", index, dim, xs[dim]);
        Tensor out = newUninitialized(x, shape(index), x.dtype());
        if (out.numel() > 0) {
            Tensor xc = covered(x, xs, is, dim, xs[dim]);
            backend(x)
                    .gather(
                            buffer(xc),
                            outer(is, dim),
                            xs[dim],
                            inner(is, dim),
                            indexBuffer(index),
                            is[dim],
                            buffer(out));
        }
        int[] in = shape(x);
        return Recorder.record(
                out, "GatherBackward0", new Tensor[] {x}, new Tensor[] {index}, (g, ctx) -> new Tensor[] {
                    scatter("scatter_add", newEmpty(g, in, DType.FLOAT32), dim, ctx.saved(0), g, 0f, true, false)
                });
    }

    /** {@code self} with {@code src}'s elements written where the index points (ScatterBackward0). */
    public static Tensor scatter(Tensor self, int dim, Tensor index, Tensor src) {
        return scatter("scatter", self, dim, index, src, 0f, false, true);
    }

    /** {@code self} with {@code value} written where the index points (ScatterBackward1). */
    public static Tensor scatter(Tensor self, int dim, Tensor index, float value) {
        return scatter("scatter", self, dim, index, null, value, false, true);
    }

    /** {@code self} with {@code src}'s elements added where the index points; repeated indices add up. */
    public static Tensor scatterAdd(Tensor self, int dim, Tensor index, Tensor src) {
        return scatter("scatter_add", self, dim, index, src, 0f, true, true);
    }

    /** The three scatters; {@code checkValues} as in {@link #gather(Tensor, int, Tensor, boolean)}. */
    static Tensor scatter(
            String op,
            Tensor self,
            int dimIn,
            Tensor index,
            Tensor src,
            float value,
            boolean add,
            boolean checkValues) {
        if (src == null) checkSameDevice(self, index);
        else checkSameDevice(self, index, src);
        Indexing.checkIndexDType(op, "index", index);
        int dim = Shapes.wrapDim(op, dimIn, self.dim());
        int rank = Math.max(self.dim(), 1);
        if (Math.max(index.dim(), 1) != rank) {
            throw new IllegalArgumentException(op + "(): Index tensor must have the same number of dimensions as "
                    + "self tensor (index of shape " + Arrays.toString(shape(index)) + ", self of shape "
                    + Arrays.toString(shape(self)) + ")");
        }
        if (src != null && Math.max(src.dim(), 1) != rank) {
            throw new IllegalArgumentException(op + "(): Index tensor must have the same number of dimensions as "
                    + "src tensor (index of shape " + Arrays.toString(shape(index)) + ", src of shape "
                    + Arrays.toString(shape(src)) + ")");
        }
        if (src != null && src.dtype() != self.dtype()) {
            throw new IllegalArgumentException(op + "(): Expected self.dtype to be equal to src.dtype (self is "
                    + self.dtype() + ", src is " + src.dtype() + ")");
        }
        int[] ss = atLeast1d(shape(self)), is = atLeast1d(shape(index));
        int[] rs = src == null ? null : atLeast1d(shape(src));
        for (int d = 0; d < ss.length; d++) {
            if ((d != dim && is[d] > ss[d]) || (rs != null && is[d] > rs[d])) {
                throw new IllegalArgumentException(op + "(): Expected index " + Arrays.toString(shape(index))
                        + " to be no larger than self " + Arrays.toString(shape(self)) + " apart from dimension " + dim
                        + (rs == null ? "" : " and to be no larger size than src " + Arrays.toString(shape(src))));
            }
        }
        if (checkValues) checkRange(op, index, dim, ss[dim]);
        Tensor out = newUninitialized(self, shape(self), self.dtype());
        backend(self).copy(buffer(self), layout(self), buffer(out), layout(out));
        if (index.numel() > 0) scatterInto(out, ss, is, dim, index, source(self, src, value, is), add);
        int[] selfShape = shape(self), srcShape = src == null ? null : shape(src);
        String name = add ? "ScatterAddBackward0" : src == null ? "ScatterBackward1" : "ScatterBackward0";
        return Recorder.record(
                out,
                name,
                src == null ? new Tensor[] {self} : new Tensor[] {self, src},
                new Tensor[] {index},
                (g, ctx) -> {
                    Tensor idx = ctx.saved(0);
                    Tensor gSelf =
                            ctx.needs(0) ? (add ? g : scatter("scatter", g, dim, idx, null, 0f, false, false)) : null;
                    if (srcShape == null) return new Tensor[] {gSelf};
                    Tensor gSrc = ctx.needs(1) ? padTo(gather(g, dim, idx, false), srcShape) : null;
                    return new Tensor[] {gSelf, gSrc};
                });
    }

    /** The values to scatter, contiguous in the index's shape (a value is filled in). */
    private static Tensor source(Tensor self, Tensor src, float value, int[] is) {
        if (src != null) return covered(src, atLeast1d(shape(src)), is, -1, 0);
        Tensor v = newUninitialized(self, is, self.dtype());
        backend(self).fill(buffer(v), layout(v), value);
        return v;
    }

    /** Runs the kernel on out (contiguous, shape ss), through a copy of the part the index covers if smaller. */
    private static void scatterInto(Tensor out, int[] ss, int[] is, int dim, Tensor index, Tensor src, boolean add) {
        int[] region = is.clone();
        region[dim] = ss[dim];
        boolean whole = Arrays.equals(region, ss);
        Tensor target = whole ? out : covered(out, ss, is, dim, ss[dim]);
        backend(out)
                .scatter(
                        buffer(src),
                        indexBuffer(index),
                        outer(is, dim),
                        is[dim],
                        inner(is, dim),
                        ss[dim],
                        add,
                        buffer(target));
        if (!whole) {
            Layout back = new Layout(region, Layout.contiguous(ss).strides(), 0);
            backend(out).copy(buffer(target), Layout.contiguous(region), buffer(out), back);
        }
    }

    /**
     * t's elements that the index covers (its shape in every dimension but {@code dim}, where all
     * {@code dimSize} are kept; dim -1: the index's shape everywhere), contiguous, outside the graph.
     */
    private static Tensor covered(Tensor t, int[] ts, int[] is, int dim, int dimSize) {
        int[] region = is.clone();
        if (dim >= 0) region[dim] = dimSize;
        if (Arrays.equals(region, ts)) return contiguousUntracked(t);
        int[] st = t.dim() == 0 ? new int[] {1} : strides(t);
        return contiguousUntracked(alias(t, new Layout(region, st, t.storageOffset())));
    }

    /** A gradient in the index's shape, zero-padded to src's larger shape (PyTorch fails there instead). */
    private static Tensor padTo(Tensor g, int[] shape) {
        if (Arrays.equals(shape(g), shape)) return g;
        Tensor z = newEmpty(g, shape, DType.FLOAT32);
        Tensor part = z;
        for (int d = 0; d < shape.length; d++) part = part.narrow(d, 0, shape(g)[d]);
        part.copy_(g);
        return z;
    }

    /** Every index in [0, size): PyTorch's message (negative indices do not wrap here), before any write. */
    private static void checkRange(String op, Tensor index, int dim, int size) {
        int[] v = Indexing.indexValues(op, "index", index);
        for (int i : v) {
            if (i < 0 || i >= size) {
                throw new IndexOutOfBoundsException(
                        op + "(): index " + i + " is out of bounds for dimension " + dim + " with size " + size);
            }
        }
    }

    private static org.grad4j.kernels.Buffer indexBuffer(Tensor index) {
        return buffer(contiguousUntracked(index));
    }

    private static int[] atLeast1d(int[] shape) {
        return shape.length == 0 ? new int[] {1} : shape;
    }

    static int outer(int[] shape, int dim) {
        int n = 1;
        for (int i = 0; i < dim; i++) n *= shape[i];
        return n;
    }

    static int inner(int[] shape, int dim) {
        int n = 1;
        for (int i = dim + 1; i < shape.length; i++) n *= shape[i];
        return n;
    }
}
