package org.grad4j.core;

import java.util.Arrays;
import java.util.TreeMap;
import org.grad4j.kernels.Backend;
import org.grad4j.kernels.Layout;

/**
 * A row-sparse gradient (what PyTorch's {@code embedding(..., sparse=True)} gives as a sparse COO
 * tensor): the gradient of a [rows, ...] parameter that is zero except at some rows. It holds the
 * row indices (possibly repeated, like an uncoalesced COO tensor: repeated rows add up) and one
 * value slice per index. Immutable.
 *
 * <p>A leaf whose gradient arrived sparse holds it in {@link Tensor#sparseGrad()}; an optimizer that
 * knows sparse gradients updates only those rows ({@link #addTo}); anything that asks for
 * {@link Tensor#grad()} gets the dense gradient (the dense fallback).
 */
public final class SparseGrad {
    private final int[] shape;
    private final int[] rows;
    private final Tensor values;

    /**
     * @param shape  the dense shape, [rows, ...]
     * @param rows   one row index per slice of {@code values}
     * @param values [rows.length, shape[1], ...]
     */
    public SparseGrad(int[] shape, int[] rows, Tensor values) {
        if (shape.length < 1)
            throw new IllegalArgumentException("SparseGrad: the dense shape needs at least one dimension");
        int[] want = shape.clone();
        want[0] = rows.length;
        if (!Arrays.equals(want, values.shape)) {
            throw new IllegalArgumentException("SparseGrad: " + rows.length + " row indices for a dense shape "
                    + Arrays.toString(shape) + " need values of shape " + Arrays.toString(want) + ", got "
                    + Arrays.toString(values.shape));
        }
        for (int r : rows) {
            if (r < 0 || r >= shape[0]) {
                throw new IndexOutOfBoundsException(
                        "SparseGrad: row index " + r + " is out of range for dense shape " + Arrays.toString(shape));
            }
        }
        this.shape = shape.clone();
        this.rows = rows.clone();
        this.values = values;
    }

    /** The dense shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** The row index of each value slice (a copy); rows may repeat until {@link #coalesce()}. */
    public int[] indices() {
        return rows.clone();
    }

    /** The value slices, [nnz, ...]. */
    public Tensor values() {
        return values;
    }

    /** The number of stored slices (with repeats). */
    public int nnz() {
        return rows.length;
    }

    private int rowSize() {
        return rowSize(shape);
    }

    /** The elements of one row of {@code shape} (all its dimensions but the first). */
    private static int rowSize(int[] shape) {
        int n = 1;
        for (int i = 1; i < shape.length; i++) n *= shape[i];
        return n;
    }

    /** The same gradient with each row once, rows ascending, repeated rows summed. */
    public SparseGrad coalesce() {
        TreeMap<Integer, Integer> slot = new TreeMap<>();
        for (int r : rows) slot.putIfAbsent(r, 0);
        int[] unique = new int[slot.size()];
        int k = 0;
        for (var e : slot.entrySet()) {
            e.setValue(k);
            unique[k++] = e.getKey();
        }
        int[] target = new int[rows.length];
        for (int i = 0; i < rows.length; i++) target[i] = slot.get(rows[i]);
        int[] vs = shape.clone();
        vs[0] = unique.length;
        return new SparseGrad(shape, unique, scatterAddRows(vs, target, values));
    }

    /** This gradient plus another of the same dense shape (the indices and values are concatenated). */
    public SparseGrad add(SparseGrad other) {
        if (!Arrays.equals(shape, other.shape)) {
            throw new IllegalArgumentException("SparseGrad.add: dense shapes differ: " + Arrays.toString(shape)
                    + " and " + Arrays.toString(other.shape));
        }
        int[] r = Arrays.copyOf(rows, rows.length + other.rows.length);
        System.arraycopy(other.rows, 0, r, rows.length, other.rows.length);
        TensorInternals.checkSameDevice(values, other.values);
        int[] vs = shape.clone();
        vs[0] = r.length;
        Tensor v = values.newUninitialized(vs, DType.FLOAT32); // the two value blocks one after the other
        Backend backend = v.buffer.backend();
        backend.copy(values.buffer, values.layout(), v.buffer, new Layout(values.shape, v.strides, 0));
        backend.copy(
                other.values.buffer,
                other.values.layout(),
                v.buffer,
                new Layout(other.values.shape, v.strides, rows.length * v.strides[0]));
        return new SparseGrad(shape, r, v);
    }

    /** The dense gradient: zeros with the value slices added at their rows. */
    public Tensor toDense() {
        return scatterAddRows(shape.clone(), rows, values);
    }

    /**
     * Zeros of {@code dense} with slice i of {@code values} added at row {@code rows[i]}: one scatter-add
     * kernel (index_add along dimension 0; the rows were checked when the gradient was made). The
     * sparse gradient's few operations run their kernels directly, so that autograd can sum and
     * densify these gradients without the op catalogue above it.
     */
    private static Tensor scatterAddRows(int[] dense, int[] rows, Tensor values) {
        Tensor out = values.newEmpty(dense, DType.FLOAT32);
        Tensor v = values.contiguousUntracked();
        out.buffer.backend().indexAdd(v.buffer, 1, dense[0], rowSize(dense), rows, out.buffer);
        return out;
    }

    /**
     * {@code target[rows] += alpha * values} in place, touching only the stored rows (what a sparse
     * optimizer step does, e.g. SGD's {@code p -= lr * grad}). Must run in a no-grad scope when the
     * target requires grad, like any in-place update of a parameter.
     */
    public void addTo(Tensor target, float alpha) {
        if (!Arrays.equals(target.shape, shape)) {
            throw new IllegalArgumentException("SparseGrad.addTo: target of shape " + Arrays.toString(target.shape)
                    + " does not match the gradient's dense shape " + Arrays.toString(shape));
        }
        if (target.requiresGrad() && GradMode.isEnabled()) {
            throw new IllegalStateException(
                    "SparseGrad.addTo: the target requires grad; update it inside a no-grad scope "
                            + "(try (var s = Torch.noGrad()) {...})");
        }
        TensorInternals.checkSameDevice(target, values);
        Tensor v;
        try (var s = GradMode.noGrad()) {
            v = (alpha == 1f ? values : values.mul(alpha)).contiguousUntracked();
        }
        if (target.offset == 0 && target.isContiguous()) {
            target.buffer.backend().indexAdd(v.buffer, 1, shape[0], rowSize(), rows, target.buffer);
        } else { // a strided target: scatter into a dense buffer, then one strided add
            Tensor tmp = TensorInternals.newEmpty(target, shape.clone(), DType.FLOAT32);
            tmp.buffer.backend().indexAdd(v.buffer, 1, shape[0], rowSize(), rows, tmp.buffer);
            try (var s = GradMode.noGrad()) {
                target.data().add_(tmp);
            }
        }
        target.version.value++; // an in-place write: saved copies of the target are now stale
    }

    @Override
    public String toString() {
        return "SparseGrad(shape=" + Arrays.toString(shape) + ", indices=" + Arrays.toString(rows) + ", values="
                + values + ")";
    }
}
