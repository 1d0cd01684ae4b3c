package org.grad4j.core;

import org.grad4j.core.ops.Indexing;
import org.grad4j.core.ops.Scatter;
import org.grad4j.core.ops.Slicing;
import org.grad4j.core.ops.Views;
import org.grad4j.kernels.Layout;

/** {@link Tensor}'s methods for views, copies and indexing; see {@link TensorMethods}. */
sealed interface ViewMethods permits TensorMethods {
    private Tensor self() {
        return (Tensor) this;
    }

    // ---- views and copies -----------------------------------------------------------------------

    default Tensor view(int... shape) {
        return Views.view(self(), shape);
    }

    default Tensor reshape(int... shape) {
        return Views.reshape(self(), shape);
    }

    default Tensor flatten() {
        return Views.flatten(self(), 0, -1);
    }

    default Tensor flatten(int startDim, int endDim) {
        return Views.flatten(self(), startDim, endDim);
    }

    default Tensor t() {
        return Views.t(self());
    }

    default Tensor transpose(int dim0, int dim1) {
        return Views.transpose(self(), dim0, dim1);
    }

    default Tensor permute(int... dims) {
        return Views.permute(self(), dims);
    }
    /** Broadcasts to {@code sizes} without copying; -1 keeps a dimension. */
    default Tensor expand(int... sizes) {
        return Views.expand(self(), sizes);
    }

    default Tensor expandAs(Tensor other) {
        return Views.expand(self(), other.shape);
    }

    default Tensor squeeze() {
        return Views.squeeze(self());
    }

    default Tensor squeeze(int dim) {
        return Views.squeeze(self(), dim);
    }

    default Tensor unsqueeze(int dim) {
        return Views.unsqueeze(self(), dim);
    }
    /** The slice at {@code index} of dimension {@code dim}, which is removed ({@code x[:, i]}). */
    default Tensor select(int dim, int index) {
        return Slicing.select(self(), dim, index);
    }
    /** Elements {@code start, start+step, ...} below {@code end} of dimension {@code dim} ({@code x[:, a:b:s]}). */
    default Tensor slice(int dim, int start, int end, int step) {
        return Slicing.slice(self(), dim, start, end, step);
    }

    default Tensor slice(int dim, int start, int end) {
        return Slicing.slice(self(), dim, start, end, 1);
    }
    /** {@code length} elements from {@code start} (negative counts from the end); out of range is an error, as in PyTorch. */
    default Tensor narrow(int dim, int start, int length) {
        return Slicing.narrow(self(), dim, start, length);
    }

    default Tensor asStrided(int[] size, int[] stride, int storageOffset) {
        return Slicing.asStrided(self(), new Layout(size.clone(), stride.clone(), storageOffset));
    }

    default Tensor contiguous() {
        return self().isContiguous() ? self() : self().clone();
    }

    // ---- indexing -------------------------------------------------------------------------------

    /**
     * Python-style indexing: each argument is an {@code Integer} (select, the dimension goes),
     * a {@link Slice} (e.g. {@code Slice.of(1, 3)}, {@code Slice.all()}), or an INT64 tensor (indexSelect).
     * {@code x.get(0, 1)} is {@code x[0, 1]}.
     */
    default Tensor get(Object... indices) {
        return Indexing.get(self(), indices);
    }
    /** Indexed assignment {@code this[indices] = value} (recorded as CopySlices). */
    default Tensor set(Tensor value, Object... indices) {
        return Indexing.set(self(), value, indices);
    }

    default Tensor set(float value, Object... indices) {
        return Indexing.set(self(), TensorInternals.scalarLike(self(), value), indices);
    }

    default Tensor indexSelect(int dim, Tensor index) {
        return Indexing.indexSelect(self(), dim, index);
    }
    /** Out-of-place {@code index_add}: adds rows of {@code source} at positions {@code index} of {@code dim}. */
    default Tensor indexAdd(int dim, Tensor index, Tensor source) {
        return Indexing.indexAdd(self(), dim, index, source);
    }

    /**
     * Values picked along {@code dim} by an INT64 index of this tensor's rank: for dim 1,
     * {@code out[i][j] = self[i][index[i][j]]}; the result has the index's shape.
     */
    default Tensor gather(int dim, Tensor index) {
        return Scatter.gather(self(), dim, index);
    }
    /** A copy of this tensor with {@code src}'s elements written where {@code index} points along {@code dim}. */
    default Tensor scatter(int dim, Tensor index, Tensor src) {
        return Scatter.scatter(self(), dim, index, src);
    }
    /** A copy of this tensor with {@code value} written where {@code index} points along {@code dim}. */
    default Tensor scatter(int dim, Tensor index, float value) {
        return Scatter.scatter(self(), dim, index, value);
    }
    /** A copy of this tensor with {@code src}'s elements added where {@code index} points; repeats add up. */
    default Tensor scatterAdd(int dim, Tensor index, Tensor src) {
        return Scatter.scatterAdd(self(), dim, index, src);
    }
}
