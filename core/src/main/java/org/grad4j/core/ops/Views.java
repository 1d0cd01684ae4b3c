package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.base;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.layout;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.TensorInternals.strides;
import static org.grad4j.core.autograd.Recorder.record;

import java.util.Arrays;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.core.TensorInternals;
import org.grad4j.core.autograd.Node;
import org.grad4j.core.autograd.Recorder;
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
            throw new IllegalArgumentException(
                    "view size is not compatible with input tensor's size and stride (at least one "
                            + "dimension spans across two contiguous subspaces): cannot view "
                            + Arrays.toString(shape(x))
                            + " with strides " + Arrays.toString(strides(x)) + " as " + Arrays.toString(shape)
                            + ". Use reshape(...) instead.");
        }
        int[] in = shape(x);
        return record(
                makeView(x, new Layout(shape, strides, x.storageOffset())), name, x, (g, ctx) -> one(g.reshape(in)));
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
        int start = Shapes.wrapDim("flatten", startIn, shape(x).length),
                end = Shapes.wrapDim("flatten", endIn, shape(x).length);
        if (start > end)
            throw new IllegalArgumentException("flatten() has invalid args: start_dim cannot come after end_dim");
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
            throw new IllegalArgumentException("t() expects a tensor with <= 2 dimensions, but self is "
                    + shape(x).length + "D; use transpose(dim0, dim1) or permute(...)");
        }
        Layout l = shape(x).length < 2 ? layout(x) : transposed(layout(x), 0, 1);
        return record(makeView(x, l), "TBackward0", x, (g, ctx) -> one(g.t()));
    }

    public static Tensor transpose(Tensor x, int d0In, int d1In) {
        int d0 = Shapes.wrapDim("transpose", d0In, shape(x).length),
                d1 = Shapes.wrapDim("transpose", d1In, shape(x).length);
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
            throw new IllegalArgumentException(
                    "permute: number of dimensions in the tensor input does not match the length of "
                            + "the desired ordering of dimensions i.e. input.dim() = " + rank
                            + " is not equal to len(dims) = "
                            + dimsIn.length);
        }
        int[] dims = new int[rank], inverse = new int[rank];
        boolean[] seen = new boolean[rank];
        int[] s = new int[rank], st = new int[rank];
        for (int i = 0; i < rank; i++) {
            int d = Shapes.wrapDim("permute", dimsIn[i], rank);
            if (seen[d])
                throw new IllegalArgumentException("permute: repeated dim " + d + " in " + Arrays.toString(dimsIn));
            seen[d] = true;
            dims[i] = d;
            inverse[d] = i;
            s[i] = shape(x)[d];
            st[i] = strides(x)[d];
        }
        return record(
                makeView(x, new Layout(s, st, x.storageOffset())),
                "PermuteBackward0",
                x,
                (g, ctx) -> one(g.permute(inverse)));
    }

    // ---- broadcasting and unit dimensions ------------------------------------------------------

    public static Tensor expand(Tensor x, int[] sizes) {
        int rank = sizes.length, lead = rank - shape(x).length;
        if (lead < 0) {
            throw new IllegalArgumentException(
                    "expand: the number of sizes provided (" + rank + ") must be greater or equal to "
                            + "the number of dimensions in the tensor (" + shape(x).length + "): cannot expand "
                            + Arrays.toString(shape(x))
                            + " to " + Arrays.toString(sizes) + "; give a size (or -1) for every dimension");
        }
        int[] s = new int[rank], st = new int[rank];
        for (int i = 0; i < rank; i++) {
            int want = sizes[i];
            if (i < lead) {
                if (want < 0)
                    throw new IllegalArgumentException("expand: the expanded size of the tensor (" + want
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
                throw new IllegalArgumentException(
                        "expand: the expanded size of the tensor (" + want + ") must match the existing "
                                + "size (" + have + ") at non-singleton dimension " + i + ".  Target sizes: "
                                + Arrays.toString(sizes)
                                + ".  Tensor sizes: " + Arrays.toString(shape(x))
                                + ". Only dimensions of size 1 can be expanded "
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
        return record(
                makeView(x, new Layout(s, st, x.storageOffset())),
                "SqueezeBackward0",
                x,
                (g, ctx) -> one(g.reshape(in)));
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
        return record(
                makeView(x, new Layout(s, st, x.storageOffset())),
                "UnsqueezeBackward0",
                x,
                (g, ctx) -> one(g.squeeze(dim)));
    }

    static Layout removeDim(Layout l, int dim) {
        int r = l.rank();
        int[] s = new int[r - 1], st = new int[r - 1];
        for (int i = 0, k = 0; i < r; i++) {
            if (i == dim) continue;
            s[k] = l.shape()[i];
            st[k++] = l.strides()[i];
        }
        return new Layout(s, st, l.offset());
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
        int[] positions = Slicing.logicalPositions(layout(base), layout(v));
        int[] baseShape = shape(base);
        Recorder.rebaseView(
                v,
                baseNode,
                "AsStridedBackward0",
                baseShape,
                (g, ctx) -> one(Slicing.scatter(g, baseShape, positions)));
    }
}
