package org.grad4j.kernels;

import java.util.Arrays;

/**
 * The geometry of a strided view over a buffer: element {@code (i0, i1, ...)} lives at
 * {@code offset + i0*strides[0] + i1*strides[1] + ...}. A stride of 0 repeats an element
 * (broadcasting). Immutable; the arrays must not be changed after construction.
 */
public record Layout(int[] shape, int[] strides, int offset) {

    /** The row-major contiguous layout of {@code shape}, starting at 0. */
    public static Layout contiguous(int[] shape) {
        return new Layout(shape, contiguousStrides(shape), 0);
    }

    public static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    public static int numel(int[] shape) {
        return numel("numel", shape);
    }

    /**
     * The number of elements of {@code shape}, or an error naming {@code op} when a size is negative or
     * the product of the sizes (taken left to right, as PyTorch checks it) passes 2^31-1, the most one
     * buffer holds: a product that wrapped around would make a huge shape look small or empty.
     */
    public static int numel(String op, int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(
                        op + ": negative dimension " + d + " in shape " + Arrays.toString(shape));
            }
            n *= d; // both factors are at most 2^31-1 here, so the long product cannot wrap
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(
                        op + ": a tensor of shape " + Arrays.toString(shape) + " would have more "
                                + "than 2^31-1 elements (the product of its sizes overflows), which one buffer cannot hold");
            }
        }
        return (int) n;
    }

    public int rank() {
        return shape.length;
    }

    public int numel() {
        return numel(shape);
    }

    /** True when the view walks its elements in row-major order with no gaps. */
    public boolean isContiguous() {
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Layout l
                && offset == l.offset
                && Arrays.equals(shape, l.shape)
                && Arrays.equals(strides, l.strides);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(shape) + Arrays.hashCode(strides)) + offset;
    }

    @Override
    public String toString() {
        return "Layout" + Arrays.toString(shape) + " strides=" + Arrays.toString(strides) + " offset=" + offset;
    }
}
