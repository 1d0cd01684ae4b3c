package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.checkSameDevice;
import static org.grad4j.core.TensorInternals.contiguousUntracked;
import static org.grad4j.core.TensorInternals.layout;
import static org.grad4j.core.TensorInternals.newEmpty;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.TensorInternals.strides;
import static org.grad4j.core.autograd.Recorder.record;

import java.util.Arrays;
import java.util.List;
import org.grad4j.core.DType;
import org.grad4j.core.GradMode;
import org.grad4j.core.Slice;
import org.grad4j.core.Tensor;
import org.grad4j.core.autograd.Recorder;

/** Python-style indexing and assignment, index_select / index_add, cat and stack. */
public final class Indexing {
    private Indexing() {}

    // ---- x[...] and x[...] = v ----------------------------------------------------------------

    public static Tensor get(Tensor x, Object[] indices) {
        Tensor r = x;
        int dim = 0;
        int consumed = 0;
        for (Object ix : indices) if (!(ix instanceof Tensor t && t.dim() == 0)) consumed++;
        if (consumed > x.dim()) {
            throw new IndexOutOfBoundsException("too many indices for tensor of dimension " + x.dim() + " (got "
                    + indices.length + ": " + Arrays.toString(indices) + ")");
        }
        int orig = 0; // the dimension of x that the index applies to (select removes dims from r)
        for (Object ix : indices) {
            if (ix instanceof Integer i) {
                int size = shape(r)[dim];
                if (i < -size || i >= size) {
                    throw new IndexOutOfBoundsException("get: index " + i + " is out of bounds for dimension " + orig
                            + " with size " + size + " (tensor of shape " + Arrays.toString(shape(x)) + ")");
                }
                r = r.select(dim, i);
                orig++;
            } else if (ix instanceof Slice s) {
                int size = shape(r)[dim];
                r = r.slice(dim, s.start() == null ? 0 : s.start(), s.end() == null ? size : s.end(), s.step());
                dim++;
                orig++;
            } else if (ix instanceof Tensor t) {
                if (t.dtype() == DType.BOOL) {
                    throw new IllegalArgumentException("get: boolean mask indexing (x[mask]) is not supported, got a "
                            + "torch.bool index of shape " + Arrays.toString(shape(t))
                            + "; index with Tensor.indices(...)");
                }
                if (t.dtype() != DType.INT64) {
                    throw new IllegalArgumentException(
                            "get: tensors used as indices must be int64 (Tensor.indices(...)), " + "got " + t.dtype()
                                    + " of shape " + Arrays.toString(shape(t)));
                }
                if (t.dim() != 1) {
                    throw new IllegalArgumentException("get: only 1-d index tensors are supported, got shape "
                            + Arrays.toString(shape(t)) + " (use indexSelect per dimension)");
                }
                r = r.indexSelect(dim, t);
                dim++;
                orig++;
            } else {
                throw new IllegalArgumentException(
                        "get: an index must be an Integer, a Slice or a 1-d index Tensor, got "
                                + (ix == null ? "null" : ix.getClass().getSimpleName()));
            }
        }
        return r;
    }

    public static Tensor set(Tensor x, Tensor value, Object[] indices) {
        for (Object ix : indices) {
            if (ix instanceof Tensor) {
                throw new IllegalArgumentException(
                        "set: assignment through index tensors (index_put_) is not supported; "
                                + "use Integer and Slice indices");
            }
        }
        Tensor view = get(x, indices);
        view.copy_(value);
        return x;
    }

    // ---- index_select / index_add -------------------------------------------------------------

    public static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        checkSameDevice(x, index);
        checkIndexDType("indexSelect", "index", index);
        if (index.dim() > 1) {
            throw new IllegalArgumentException(
                    "indexSelect: index should have 1 dimension, got shape " + Arrays.toString(shape(index)));
        }
        return indexSelect(x, dim, indexValues("indexSelect", "index", index));
    }

    /** Index tensors are INT64, as in PyTorch: a float or bool tensor is an error, not read as indices. */
    static void checkIndexDType(String op, String what, Tensor index) {
        if (index.dtype() != DType.INT64) {
            throw new IllegalArgumentException(op + "(): Expected dtype int64 for " + what + " but got " + index.dtype()
                    + " (shape " + Arrays.toString(shape(index)) + "); make index tensors with Tensor.indices(...)");
        }
    }

    /**
     * The elements of an INT64 tensor as ints. Storage is float32, and an in-place write (add_, fill_,
     * copy_) can leave a fraction there: such an element is an error, never truncated.
     */
    static int[] indexValues(String op, String what, Tensor index) {
        float[] f = index.toFloatArray();
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            if (f[i] != Math.rint(f[i])) {
                throw new IllegalArgumentException(op + "(): " + what + " holds the non-integral value " + f[i]
                        + " at position " + i + "; indices must be whole numbers");
            }
            out[i] = (int) f[i];
        }
        return out;
    }

    /** The elements of a tensor of whole numbers (indices a kernel wrote) as ints, truncated. */
    static int[] intValues(Tensor index) {
        float[] f = index.toFloatArray();
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) out[i] = (int) f[i];
        return out;
    }

    static Tensor indexSelect(Tensor x, int dimIn, int[] index) {
        if (x.dim() == 0) throw new IllegalArgumentException("indexSelect: cannot index a 0-d tensor");
        int dim = Shapes.wrapDim("indexSelect", dimIn, x.dim());
        int size = shape(x)[dim];
        int[] idx = index.clone();
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < -size || idx[i] >= size) {
                throw new IndexOutOfBoundsException(
                        "indexSelect(): index " + idx[i] + " is out of bounds for dimension " + dim
                                + " with size " + size + " of a tensor of shape " + Arrays.toString(shape(x))
                                + " (expected indices in ["
                                + (-size) + ", " + (size - 1) + "])");
            }
            if (idx[i] < 0) idx[i] += size;
        }
        Tensor xc = contiguousUntracked(x);
        int[] outShape = shape(x).clone();
        outShape[dim] = idx.length;
        Tensor out = newUninitialized(x, outShape, x.dtype());
        backend(x).indexSelect(buffer(xc), outer(shape(x), dim), size, inner(shape(x), dim), idx, buffer(out));
        int[] in = shape(x);
        return record(out, "IndexSelectBackward0", x, (g, ctx) ->
                new Tensor[] {indexAdd(newEmpty(g, in, DType.FLOAT32), dim, idx, g)});
    }

    public static Tensor indexAdd(Tensor self, int dim, Tensor index, Tensor source) {
        checkSameDevice(self, index, source);
        checkIndexDType("indexAdd", "index", index);
        if (index.dim() > 1) {
            throw new IllegalArgumentException(
                    "indexAdd(): Index is supposed to be a vector, got shape " + Arrays.toString(shape(index)));
        }
        return indexAdd(self, dim, indexValues("indexAdd", "index", index), source);
    }

    public static Tensor indexAdd(Tensor self, int dimIn, int[] idx, Tensor source) {
        checkSameDevice(self, source);
        int dim = Shapes.wrapDim("indexAdd", dimIn, self.dim());
        int[] want = shape(self).clone();
        want[dim] = idx.length;
        if (!Arrays.equals(want, shape(source))) {
            throw new IllegalArgumentException("indexAdd: source of shape " + Arrays.toString(shape(source))
                    + " does not fit self of shape " + Arrays.toString(shape(self)) + " with " + idx.length
                    + " indices along dim " + dim + " (expected " + Arrays.toString(want) + ")");
        }
        int size = shape(self)[dim];
        for (int i : idx) {
            if (i < 0 || i >= size) {
                throw new IndexOutOfBoundsException(
                        "indexAdd(): index " + i + " is out of bounds for dimension " + dim + " with size " + size);
            }
        }
        Tensor out = newUninitialized(self, shape(self), DType.FLOAT32);
        backend(self).copy(buffer(self), layout(self), buffer(out), layout(out));
        Tensor src = contiguousUntracked(source);
        backend(self).indexAdd(buffer(src), outer(shape(self), dim), size, inner(shape(self), dim), idx, buffer(out));
        return record(out, "IndexAddBackward0", self, source, (g, ctx) ->
                new Tensor[] {g, ctx.needs(1) ? indexSelect(g, dim, idx) : null});
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

    // ---- cat / stack ---------------------------------------------------------------------------

    public static Tensor cat(List<Tensor> tensors, int dimIn) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("cat(): expected a non-empty list of Tensors");
        Tensor first = tensors.get(0);
        if (first.dim() == 0)
            throw new IllegalArgumentException("cat(): zero-dimensional tensor (at position 0) cannot be concatenated");
        int dim = Shapes.wrapDim("cat", dimIn, first.dim());
        long total = 0;
        DType dtype = first.dtype();
        for (int t = 0; t < tensors.size(); t++) {
            Tensor x = tensors.get(t);
            checkSameDevice(first, x);
            if (x.dim() != first.dim()) {
                throw new IllegalArgumentException(
                        "cat(): Tensors must have same number of dimensions: got " + first.dim()
                                + " and " + x.dim() + " (shapes " + Arrays.toString(shape(first)) + " and "
                                + Arrays.toString(shape(x))
                                + ", tensor number " + t + "); unsqueeze or reshape them to the same rank");
            }
            for (int d = 0; d < first.dim(); d++) {
                if (d != dim && shape(x)[d] != shape(first)[d]) {
                    throw new IllegalArgumentException("cat(): Sizes of tensors must match except in dimension " + dim
                            + ". Expected size " + shape(first)[d] + " but got size " + shape(x)[d]
                            + " for tensor number " + t
                            + " in the list (shapes " + Arrays.toString(shape(first)) + " and "
                            + Arrays.toString(shape(x))
                            + " differ at dimension " + d + "); make them equal there, or concatenate along dimension "
                            + d);
                }
            }
            total += shape(x)[dim];
            dtype = promote(dtype, x.dtype());
        }
        int[] outShape = shape(first).clone();
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "cat(): the concatenated size along dimension " + dim + " is " + total + ", more than 2^31-1");
        }
        outShape[dim] = (int) total;
        org.grad4j.kernels.Layout.numel("cat", outShape);
        Tensor out = newUninitialized(first, outShape, dtype);
        int[] sizes = new int[tensors.size()];
        int at = 0;
        for (int t = 0; t < tensors.size(); t++) {
            Tensor x = tensors.get(t);
            sizes[t] = shape(x)[dim];
            int[] st = strides(out);
            org.grad4j.kernels.Layout dst = new org.grad4j.kernels.Layout(shape(x), st, at * st[dim]);
            backend(out).copy(buffer(x), layout(x), buffer(out), dst);
            at += sizes[t];
        }
        Tensor[] inputs = tensors.toArray(new Tensor[0]);
        return Recorder.record(out, "CatBackward0", inputs, new Tensor[0], (g, ctx) -> {
            Tensor[] gs = new Tensor[sizes.length];
            int off = 0;
            for (int t = 0; t < sizes.length; t++) {
                if (ctx.needs(t)) gs[t] = g.narrow(dim, off, sizes[t]);
                off += sizes[t];
            }
            return gs;
        });
    }

    /** PyTorch's type promotion over our three dtypes: bool < int64 < float32 (cat of labels stays int64). */
    private static DType promote(DType a, DType b) {
        if (a == DType.FLOAT32 || b == DType.FLOAT32) return DType.FLOAT32;
        return a == DType.INT64 || b == DType.INT64 ? DType.INT64 : DType.BOOL;
    }

    public static Tensor stack(List<Tensor> tensors, int dimIn) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("stack expects a non-empty TensorList");
        Tensor first = tensors.get(0);
        for (int t = 1; t < tensors.size(); t++) {
            if (!Arrays.equals(shape(tensors.get(t)), shape(first))) {
                throw new IllegalArgumentException("stack expects each tensor to be equal size, but got "
                        + Arrays.toString(shape(first)) + " at entry 0 and " + Arrays.toString(shape(tensors.get(t)))
                        + " at entry " + t
                        + "; stack needs equal shapes (use cat to join tensors along an existing dimension)");
            }
        }
        int dim = Shapes.wrapDim("stack", dimIn, first.dim() + 1);
        Tensor out;
        try (var s = GradMode.noGrad()) {
            Tensor[] parts = new Tensor[tensors.size()];
            for (int t = 0; t < parts.length; t++) parts[t] = tensors.get(t).unsqueeze(dim);
            out = cat(Arrays.asList(parts), dim);
        }
        int n = tensors.size();
        return Recorder.record(out, "StackBackward0", tensors.toArray(new Tensor[0]), new Tensor[0], (g, ctx) -> {
            Tensor[] gs = new Tensor[n];
            for (int t = 0; t < n; t++) if (ctx.needs(t)) gs[t] = g.select(dim, t);
            return gs;
        });
    }
}
