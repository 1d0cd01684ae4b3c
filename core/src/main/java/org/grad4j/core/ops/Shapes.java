package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.TensorInternals.strides;

import java.util.Arrays;
import org.grad4j.core.Tensor;
import org.grad4j.kernels.Layout;

/** Shape arithmetic: broadcasting, dimension wrapping, inferring a -1 size, view strides. */
final class Shapes {
    private Shapes() {}

    static int[] broadcast(String op, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i - (rank - a.length), db = i - (rank - b.length);
            int sa = da >= 0 ? a[da] : 1, sb = db >= 0 ? b[db] : 1;
            if (sa != sb && sa != 1 && sb != 1) {
                throw new IllegalArgumentException(
                        op + ": the size of tensor a (" + sa + ") must match the size of tensor b ("
                                + sb + ") at non-singleton dimension " + i + "; shapes " + Arrays.toString(a) + " and "
                                + Arrays.toString(b)
                                + " cannot be broadcast together (aligned from the right, each pair of sizes "
                                + "must be equal or one of them 1): reshape, unsqueeze or transpose an operand");
            }
            out[i] = sa == 1 ? sb : sa;
        }
        Layout.numel(op, out); // [65536, 1, 65536, 1] with [1, 65536, 1, 65536] has 2^64 elements
        return out;
    }

    /** The layout that reads {@code t} as if expanded to {@code shape} (stride 0 on broadcast dims). */
    static Layout broadcastLayout(Tensor t, int[] shape) {
        int rank = shape.length, lead = rank - shape(t).length;
        int[] strides = new int[rank];
        for (int i = 0; i < shape(t).length; i++) {
            strides[lead + i] = shape(t)[i] == 1 && shape[lead + i] != 1 ? 0 : strides(t)[i];
        }
        return new Layout(shape, strides, t.storageOffset());
    }

    static int wrapDim(String op, int dim, int rank) {
        int r = Math.max(rank, 1); // a 0-d tensor accepts dims 0 and -1, as in PyTorch
        if (dim < -r || dim >= r) {
            throw new IndexOutOfBoundsException(op + ": dimension out of range (expected to be in range of [" + (-r)
                    + ", " + (r - 1) + "], but got " + dim + ") for a " + rank + "-d tensor");
        }
        return dim < 0 ? dim + r : dim;
    }

    static int[] inferShape(String op, int[] from, int[] shape) {
        int numel = Layout.numel(from);
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (infer >= 0)
                    throw new IllegalArgumentException(
                            op + ": only one dimension can be inferred, got " + Arrays.toString(shape));
                infer = i;
            } else if (shape[i] < 0) {
                throw new IllegalArgumentException(
                        op + ": invalid shape dimension " + shape[i] + " in " + Arrays.toString(shape));
            } else {
                known *= shape[i];
                if (known > Integer.MAX_VALUE) { // checked at each step, so a later 0 cannot hide a wrapped product
                    throw new IllegalArgumentException(
                            op + ": a tensor of shape " + Arrays.toString(shape) + " would have "
                                    + "more than 2^31-1 elements (the product of its sizes overflows), which one buffer cannot hold");
                }
            }
        }
        int[] out = shape.clone();
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) {
                throw invalidShape(op, from, shape);
            }
            out[infer] = (int) (numel / known);
        } else if (known != numel) {
            throw invalidShape(op, from, shape);
        }
        return out;
    }

    private static IllegalArgumentException invalidShape(String op, int[] from, int[] shape) {
        int numel = Layout.numel(from);
        return new IllegalArgumentException(op + ": shape " + Arrays.toString(shape) + " is invalid for input of shape "
                + Arrays.toString(from) + " (" + numel + " elements); the new shape must have " + numel
                + " elements too (one dimension may be -1 to infer it)");
    }

    /**
     * Strides that let a tensor of {@code oldShape}/{@code oldStrides} be viewed as {@code newShape}
     * without copying, or null when no such strides exist (ATen's computeStride).
     */
    static int[] viewStrides(int[] oldShape, int[] oldStrides, int[] newShape) {
        int numel = Layout.numel(oldShape);
        if (numel == 0 || oldShape.length == 0) return Layout.contiguousStrides(newShape);
        int[] newStrides = new int[newShape.length];
        int viewD = newShape.length - 1;
        long chunkBaseStride = oldStrides[oldStrides.length - 1];
        long tensorNumel = 1, viewNumel = 1;
        for (int tensorD = oldShape.length - 1; tensorD >= 0; tensorD--) {
            tensorNumel *= oldShape[tensorD];
            if (tensorD == 0
                    || (oldShape[tensorD - 1] != 1 && oldStrides[tensorD - 1] != tensorNumel * chunkBaseStride)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1)) {
                    newStrides[viewD] = (int) (viewNumel * chunkBaseStride);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (tensorD > 0) {
                    chunkBaseStride = oldStrides[tensorD - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? newStrides : null;
    }
}
