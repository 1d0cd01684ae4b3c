package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.base;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.layout;
import static org.grad4j.core.TensorInternals.newEmpty;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.TensorInternals.strides;
import static org.grad4j.core.autograd.Recorder.record;

import java.util.Arrays;
import org.grad4j.core.DType;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.core.TensorInternals;
import org.grad4j.core.autograd.Node;
import org.grad4j.core.autograd.Recorder;
import org.grad4j.kernels.Geometry;
import org.grad4j.kernels.Layout;

/**
 * View ops: new shape/strides/offset over the same storage, no copy. Each is recorded with its own
 * backward (a view back, a sum for expand, a scatter for select/slice), and the result remembers its
 * base so in-place writes through it can be recorded on the base (CopySlices).
 */
public final class Views {
    private Views() {}

    /** A view of {@code x}'s storage; made in grad mode, autograd tracks it (its history follows its base's). */
    static Tensor makeView(Tensor x, Layout l) {
        Tensor v = TensorInternals.view(x, l);
        if (GradMode.isEnabled()) Recorder.trackView(v, base(v), Views::rebaseView);
        return v;
    }

    /** Size of dimension {@code dim} (negative counts from the end). */
    public static int size(Tensor x, int dim) {
        return shape(x)[Shapes.wrapDim("size", dim, shape(x).length)];
    }

    private static Tensor[] one(Tensor g) {
        return new Tensor[] {g};
    }

    // ---- reshaping -----------------------------------------------------------------------------

    public static Tensor view(Tensor x, int[] shapeIn) {
        return view(x, shapeIn, "ViewBackward0");
    }

    private static Tensor view(Tensor x, int[] shapeIn, String name) {
        int[] shape = Shapes.inferShape("view", shape(x), shapeIn);
        int[] strides = Shapes.viewStrides(shape(x), strides(x), shape);
        if (strides == null) {
            throw new IllegalArgumentException("view size is not compatible with input tensor's size and stride (at least one "
                    + "dimension spans across two contiguous subspaces): cannot view " + Arrays.toString(shape(x))
                    + " with strides " + Arrays.toString(strides(x)) + " as " + Arrays.toString(shape) + ". Use reshape(...) instead.");
        }
        int[] in = shape(x);
        return record(makeView(x, new Layout(shape, strides, x.storageOffset())), name, x, (g, ctx) -> one(g.reshape(in)));
    }

    /** PyTorch's {@code _unsafe_view}: a view recorded as UnsafeViewBackward0 (matmul's batched and folded results). */
    static Tensor unsafeView(Tensor x, int[] shape) {
        return view(x, shape, "UnsafeViewBackward0");
    }

    public static Tensor reshape(Tensor x, int[] shapeIn) {
        int[] shape = Shapes.inferShape("reshape", shape(x), shapeIn);
        if (Shapes.viewStrides(shape(x), strides(x), shape) != null) return view(x, shape);
        return view(x.clone(), shape, "UnsafeViewBackward0"); // a copy, then a view of it (PyTorch's _unsafe_view)
    }

    public static Tensor flatten(Tensor x, int startIn, int endIn) {
        if (shape(x).length == 0) return x.reshape(1);
        int start = Shapes.wrapDim("flatten", startIn, shape(x).length), end = Shapes.wrapDim("flatten", endIn, shape(x).length);
        if (start > end) throw new IllegalArgumentException("flatten() has invalid args: start_dim cannot come after end_dim");
        int[] shape = new int[shape(x).length - (end - start)];
        int k = 0;
        for (int i = 0; i < start; i++) shape[k++] = shape(x)[i];
        int m = 1;
        for (int i = start; i <= end; i++) m *= shape(x)[i];
        shape[k++] = m;
        for (int i = end + 1; i < shape(x).length; i++) shape[k++] = shape(x)[i];
        return x.reshape(shape);
    }

    // ---- dimension order -----------------------------------------------------------------------

    public static Tensor t(Tensor x) {
        if (shape(x).length > 2) {
            throw new IllegalArgumentException("t() expects a tensor with <= 2 dimensions, but self is " + shape(x).length
                    + "D; use transpose(dim0, dim1) or permute(...)");
        }
        Layout l = shape(x).length < 2 ? layout(x) : transposed(layout(x), 0, 1);
        return record(makeView(x, l), "TBackward0", x, (g, ctx) -> one(g.t()));
    }

    public static Tensor transpose(Tensor x, int d0In, int d1In) {
        int d0 = Shapes.wrapDim("transpose", d0In, shape(x).length), d1 = Shapes.wrapDim("transpose", d1In, shape(x).length);
        Layout l = shape(x).length == 0 ? layout(x) : transposed(layout(x), d0, d1);
        return record(makeView(x, l), "TransposeBackward0", x, (g, ctx) -> one(g.transpose(d0, d1)));
    }

    private static Layout transposed(Layout l, int d0, int d1) {
        int[] s = l.shape().clone(), st = l.strides().clone();
        s[d0] = l.shape()[d1];
        s[d1] = l.shape()[d0];
        st[d0] = l.strides()[d1];
        st[d1] = l.strides()[d0];
        return new Layout(s, st, l.offset());
    }

    public static Tensor permute(Tensor x, int[] dimsIn) {
        int rank = shape(x).length;
        if (dimsIn.length != rank) {
            throw new IllegalArgumentException("permute: number of dimensions in the tensor input does not match the length of "
                    + "the desired ordering of dimensions i.e. input.dim() = " + rank + " is not equal to len(dims) = "
                    + dimsIn.length);
        }
        int[] dims = new int[rank], inverse = new int[rank];
        boolean[] seen = new boolean[rank];
        int[] s = new int[rank], st = new int[rank];
        for (int i = 0; i < rank; i++) {
            int d = Shapes.wrapDim("permute", dimsIn[i], rank);
            if (seen[d]) throw new IllegalArgumentException("permute: repeated dim " + d + " in " + Arrays.toString(dimsIn));
            seen[d] = true;
            dims[i] = d;
            inverse[d] = i;
            s[i] = shape(x)[d];
            st[i] = strides(x)[d];
        }
        return record(makeView(x, new Layout(s, st, x.storageOffset())), "PermuteBackward0", x, (g, ctx) -> one(g.permute(inverse)));
    }

    // ---- broadcasting and unit dimensions ------------------------------------------------------

    public static Tensor expand(Tensor x, int[] sizes) {
        int rank = sizes.length, lead = rank - shape(x).length;
        if (lead < 0) {
            throw new IllegalArgumentException("expand: the number of sizes provided (" + rank + ") must be greater or equal to "
                    + "the number of dimensions in the tensor (" + shape(x).length + "): cannot expand " + Arrays.toString(shape(x))
                    + " to " + Arrays.toString(sizes) + "; give a size (or -1) for every dimension");
        }
        int[] s = new int[rank], st = new int[rank];
        for (int i = 0; i < rank; i++) {
            int want = sizes[i];
            if (i < lead) {
                if (want < 0) throw new IllegalArgumentException("expand: the expanded size of the tensor (" + want
                        + ") isn't allowed in a leading, non-existing dimension " + i);
                s[i] = want;
                st[i] = 0;
                continue;
            }
            int have = shape(x)[i - lead];
            if (want == -1) want = have;
            if (have == want) {
                s[i] = have;
                st[i] = strides(x)[i - lead];
            } else if (have == 1) {
                s[i] = want;
                st[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: the expanded size of the tensor (" + want + ") must match the existing "
                        + "size (" + have + ") at non-singleton dimension " + i + ".  Target sizes: " + Arrays.toString(sizes)
                        + ".  Tensor sizes: " + Arrays.toString(shape(x)) + ". Only dimensions of size 1 can be expanded "
                        + "(unsqueeze or reshape first)");
            }
        }
        Layout.numel("expand", s);
        if (Arrays.equals(s, shape(x)) && !x.requiresGrad()) return x;
        // the rule hands back the broadcast gradient: the node sums it to the input's shape (see OpNode)
        return record(makeView(x, new Layout(s, st, x.storageOffset())), "ExpandBackward0", x, (g, ctx) -> one(g));
    }

    public static Tensor squeeze(Tensor x) {
        int n = 0;
        for (int d : shape(x)) if (d != 1) n++;
        int[] s = new int[n], st = new int[n];
        int k = 0;
        for (int i = 0; i < shape(x).length; i++) {
            if (shape(x)[i] != 1) {
                s[k] = shape(x)[i];
                st[k++] = strides(x)[i];
            }
        }
        int[] in = shape(x);
        return record(makeView(x, new Layout(s, st, x.storageOffset())), "SqueezeBackward0", x, (g, ctx) -> one(g.reshape(in)));
    }

    public static Tensor squeeze(Tensor x, int dimIn) {
        int dim = Shapes.wrapDim("squeeze", dimIn, shape(x).length);
        Layout l = layout(x);
        if (shape(x).length > 0 && shape(x)[dim] == 1) l = removeDim(l, dim);
        int[] in = shape(x);
        return record(makeView(x, l), "SqueezeBackward1", x, (g, ctx) -> one(g.reshape(in)));
    }

    public static Tensor unsqueeze(Tensor x, int dimIn) {
        int rank = shape(x).length;
        int dim = Shapes.wrapDim("unsqueeze", dimIn, rank + 1);
        int[] s = new int[rank + 1], st = new int[rank + 1];
        for (int i = 0, k = 0; i <= rank; i++) {
            if (i == dim) {
                s[i] = 1;
                st[i] = dim < rank ? strides(x)[dim] * shape(x)[dim] : 1;
            } else {
                s[i] = shape(x)[k];
                st[i] = strides(x)[k++];
            }
        }
        return record(makeView(x, new Layout(s, st, x.storageOffset())), "UnsqueezeBackward0", x, (g, ctx) -> one(g.squeeze(dim)));
    }

    private static Layout removeDim(Layout l, int dim) {
        int r = l.rank();
        int[] s = new int[r - 1], st = new int[r - 1];
        for (int i = 0, k = 0; i < r; i++) {
            if (i == dim) continue;
            s[k] = l.shape()[i];
            st[k++] = l.strides()[i];
        }
        return new Layout(s, st, l.offset());
    }

    // ---- indexing views ------------------------------------------------------------------------

    public static Tensor select(Tensor x, int dimIn, int indexIn) {
        if (shape(x).length == 0) throw new IllegalArgumentException("select() cannot be applied to a 0-dim tensor.");
        int dim = Shapes.wrapDim("select", dimIn, shape(x).length);
        int size = shape(x)[dim];
        if (indexIn < -size || indexIn >= size) {
            throw new IndexOutOfBoundsException("select(): index " + indexIn + " out of range for tensor of size "
                    + Arrays.toString(shape(x)) + " at dimension " + dim + " (expected an index in [" + (-size) + ", "
                    + (size - 1) + "])");
        }
        int index = indexIn < 0 ? indexIn + size : indexIn;
        Layout l = selectLayout(layout(x), dim, index);
        int[] in = shape(x);
        return record(makeView(x, l), "SelectBackward0", x,
                (g, ctx) -> one(scatter(g, in, positions(selectLayout(Layout.contiguous(in), dim, index)))));
    }

    private static Layout selectLayout(Layout l, int dim, int index) {
        Layout r = removeDim(l, dim);
        return new Layout(r.shape(), r.strides(), l.offset() + index * l.strides()[dim]);
    }

    /**
     * {@code length} elements from {@code start} (negative counts from the end) of dimension {@code dim}:
     * unlike slice, bounds beyond the dimension are errors, not clamped (PyTorch's narrow).
     */
    public static Tensor narrow(Tensor x, int dimIn, int startIn, int length) {
        if (shape(x).length == 0) throw new IllegalArgumentException("narrow() cannot be applied to a 0-dim tensor.");
        if (length < 0) throw new IllegalArgumentException("narrow(): length must be non-negative.");
        int dim = Shapes.wrapDim("narrow", dimIn, shape(x).length);
        int size = shape(x)[dim];
        if (startIn < -size || startIn > size) {
            throw new IndexOutOfBoundsException("narrow(): start out of range (expected to be in range of [" + (-size) + ", "
                    + size + "], but got " + startIn + ")");
        }
        int start = startIn < 0 ? startIn + size : startIn;
        if ((long) start + length > size) {
            throw new IllegalArgumentException("narrow(): start (" + start + ") + length (" + length
                    + ") exceeds dimension size (" + size + ").");
        }
        return slice(x, dim, start, start + length, 1);
    }

    public static Tensor slice(Tensor x, int dimIn, int startIn, int endIn, int step) {
        if (shape(x).length == 0) throw new IllegalArgumentException("slice() cannot be applied to a 0-dim tensor.");
        if (step <= 0) throw new IllegalArgumentException("slice(): step must be greater than zero, got " + step);
        int dim = Shapes.wrapDim("slice", dimIn, shape(x).length);
        int size = shape(x)[dim];
        int start = clampIndex(startIn, size), end = clampIndex(endIn, size);
        if (end < start) end = start;
        Layout l = sliceLayout(layout(x), dim, start, end, step);
        int[] in = shape(x);
        int first = start, stop = end;
        return record(makeView(x, l), "SliceBackward0", x,
                (g, ctx) -> one(scatter(g, in, positions(sliceLayout(Layout.contiguous(in), dim, first, stop, step)))));
    }

    private static int clampIndex(int i, int size) {
        if (i < 0) i += size; // Python slice semantics: negative counts from the end, out of range clamps
        return Math.max(0, Math.min(i, size));
    }

    private static Layout sliceLayout(Layout l, int dim, int start, int end, int step) {
        int[] s = l.shape().clone(), st = l.strides().clone();
        s[dim] = (int) (((long) end - start + step - 1) / step); // in long: a step near 2^31 must not wrap
        // one element or none: the stride is never used, and stride * step could pass 2^31
        st[dim] = s[dim] <= 1 ? l.strides()[dim] : l.strides()[dim] * step;
        return new Layout(s, st, l.offset() + start * l.strides()[dim]);
    }

    /** An arbitrary strided view of {@code x}'s storage (PyTorch's {@code as_strided}). */
    public static Tensor asStrided(Tensor x, Layout l) {
        checkInBounds(x, l);
        int[] in = shape(x);
        int[] positions = logicalPositions(layout(x), l);
        return record(makeView(x, l), "AsStridedBackward0", x, (g, ctx) -> one(scatter(g, in, positions)));
    }

    private static void checkInBounds(Tensor x, Layout l) {
        Layout.numel("asStrided", l.shape());
        if (l.strides().length != l.rank()) {
            throw new IllegalArgumentException("asStrided: mismatch in length of strides and shape: " + l.rank() + " sizes, "
                    + l.strides().length + " strides");
        }
        for (int st : l.strides()) {
            if (st < 0) {
                throw new IllegalArgumentException("asStrided: Negative strides are not supported at the moment, got strides: "
                        + Arrays.toString(l.strides()));
            }
        }
        if (l.offset() < 0) throw new IllegalArgumentException("asStrided: invalid storage offset " + l.offset());
        long lo = l.offset(), hi = l.offset();
        for (int i = 0; i < l.rank(); i++) {
            if (l.shape()[i] == 0) return;
            long span = (long) (l.shape()[i] - 1) * l.strides()[i];
            if (span < 0) lo += span; else hi += span;
        }
        if (lo < 0 || hi >= buffer(x).size()) {
            throw new IllegalArgumentException("asStrided: setStorage: sizes " + Arrays.toString(l.shape()) + ", strides "
                    + Arrays.toString(l.strides()) + ", storage offset " + l.offset() + " are out of bounds for storage of size "
                    + buffer(x).size());
        }
    }

    /** Row-major positions (offset included) of a view's elements, for a view of a contiguous tensor. */
    static int[] positions(Layout l) {
        int[] p = Geometry.elementOffsets(l.shape(), l.strides());
        for (int i = 0; i < p.length; i++) p[i] += l.offset();
        return p;
    }

    /** Positions, in the row-major order of {@code of}'s shape, of the elements of view {@code v} of the same storage. */
    static int[] logicalPositions(Layout of, Layout v) {
        if (of.isContiguous() && of.offset() == 0) return positions(v);
        int[] ofStorage = positions(of);
        int max = 0;
        for (int p : ofStorage) max = Math.max(max, p);
        int[] storage = positions(v);
        for (int p : storage) max = Math.max(max, p);
        int[] logical = new int[max + 1];
        Arrays.fill(logical, -1);
        for (int i = 0; i < ofStorage.length; i++) logical[ofStorage[i]] = i;
        int[] out = new int[storage.length];
        for (int i = 0; i < storage.length; i++) {
            out[i] = logical[storage[i]];
            if (out[i] < 0) {
                throw new IllegalArgumentException("the view reaches storage elements outside the tensor it was taken from; "
                        + "its gradient cannot be mapped back");
            }
        }
        return out;
    }

    /** zeros(shape) with g's elements added at the given row-major positions (the backward of a view). */
    static Tensor scatter(Tensor g, int[] shape, int[] positions) {
        Tensor flat = newEmpty(g, new int[] {Layout.numel(shape)}, DType.FLOAT32);
        return Indexing.indexAdd(flat, 0, positions, g.reshape(-1)).view(shape);
    }

    // ---- copies --------------------------------------------------------------------------------

    public static Tensor cloneOp(Tensor x) {
        Tensor out = newUninitialized(x, shape(x), x.dtype());
        backend(x).copy(buffer(x), layout(x), buffer(out), layout(out));
        return record(out, "CloneBackward0", x, (g, ctx) -> one(g));
    }

    /** Re-derives a view's history from its base after the base got a new one (in-place write). */
    static void rebaseView(Tensor v, Node baseNode) {
        Tensor base = base(v);
        int[] positions = logicalPositions(layout(base), layout(v));
        int[] baseShape = shape(base);
        Recorder.rebaseView(v, baseNode, "AsStridedBackward0", baseShape, (g, ctx) -> one(scatter(g, baseShape, positions)));
    }
}
