package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.layout;
import static org.grad4j.core.TensorInternals.newEmpty;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.autograd.Recorder.record;

import java.util.Arrays;
import org.grad4j.core.DType;
import org.grad4j.core.Tensor;
import org.grad4j.kernels.Geometry;
import org.grad4j.kernels.Layout;

/**
 * Views that pick part of a tensor: {@code select}, {@code narrow}, {@code slice}, {@code as_strided}
 * (each a view of the same storage, with its backward rule), and the position arithmetic that
 * in-place writes through such views need.
 */
public final class Slicing {
    private Slicing() {}

    private static Tensor[] one(Tensor g) {
        return new Tensor[] {g};
    }

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
        return record(
                Views.makeView(x, l),
                "SelectBackward0",
                x,
                (g, ctx) -> one(viewBackward(
                        g,
                        in,
                        selectLayout(Layout.contiguous(in), dim, index),
                        "SelectBackwardBackward0",
                        gg -> gg.select(dim, index))));
    }

    private static Layout selectLayout(Layout l, int dim, int index) {
        Layout r = Views.removeDim(l, dim);
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
            throw new IndexOutOfBoundsException("narrow(): start out of range (expected to be in range of [" + (-size)
                    + ", " + size + "], but got " + startIn + ")");
        }
        int start = startIn < 0 ? startIn + size : startIn;
        if ((long) start + length > size) {
            throw new IllegalArgumentException(
                    "narrow(): start (" + start + ") + length (" + length + ") exceeds dimension size (" + size + ").");
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
        return record(
                Views.makeView(x, l),
                "SliceBackward0",
                x,
                (g, ctx) -> one(viewBackward(
                        g,
                        in,
                        sliceLayout(Layout.contiguous(in), dim, first, stop, step),
                        "SliceBackwardBackward0",
                        gg -> gg.slice(dim, first, stop, step))));
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
        return record(Views.makeView(x, l), "AsStridedBackward0", x, (g, ctx) -> one(scatter(g, in, positions)));
    }

    private static void checkInBounds(Tensor x, Layout l) {
        Layout.numel("asStrided", l.shape());
        if (l.strides().length != l.rank()) {
            throw new IllegalArgumentException("asStrided: mismatch in length of strides and shape: " + l.rank()
                    + " sizes, " + l.strides().length + " strides");
        }
        for (int st : l.strides()) {
            if (st < 0) {
                throw new IllegalArgumentException(
                        "asStrided: Negative strides are not supported at the moment, got strides: "
                                + Arrays.toString(l.strides()));
            }
        }
        if (l.offset() < 0) throw new IllegalArgumentException("asStrided: invalid storage offset " + l.offset());
        long lo = l.offset(), hi = l.offset();
        for (int i = 0; i < l.rank(); i++) {
            if (l.shape()[i] == 0) return;
            long span = (long) (l.shape()[i] - 1) * l.strides()[i];
            if (span < 0) lo += span;
            else hi += span;
        }
        if (lo < 0 || hi >= buffer(x).size()) {
            throw new IllegalArgumentException(
                    "asStrided: setStorage: sizes " + Arrays.toString(l.shape()) + ", strides "
                            + Arrays.toString(l.strides()) + ", storage offset " + l.offset()
                            + " are out of bounds for storage of size "
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
                throw new IllegalArgumentException(
                        "the view reaches storage elements outside the tensor it was taken from; "
                                + "its gradient cannot be mapped back");
            }
        }
        return out;
    }

    /**
     * zeros(shape) with g copied into the region {@code region} (a view layout of a contiguous tensor of
     * that shape): the backward of select and slice (PyTorch's select_backward/slice_backward), one strided
     * copy instead of a scatter by element positions. Its own backward takes the region again.
     */
    private static Tensor viewBackward(
            Tensor g, int[] shape, Layout region, String name, java.util.function.UnaryOperator<Tensor> back) {
        Tensor out = newEmpty(g, shape.clone(), DType.FLOAT32);
        if (region.numel() > 0) backend(out).copy(buffer(g), layout(g), buffer(out), region);
        return record(out, name, g, (gg, ctx) -> one(back.apply(gg)));
    }

    /** zeros(shape) with g's elements added at the given row-major positions (the backward of a view). */
    static Tensor scatter(Tensor g, int[] shape, int[] positions) {
        Tensor flat = newEmpty(g, new int[] {Layout.numel(shape)}, DType.FLOAT32);
        return Indexing.indexAdd(flat, 0, positions, g.reshape(-1)).view(shape);
    }
}
