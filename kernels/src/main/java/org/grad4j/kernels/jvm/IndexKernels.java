package org.grad4j.kernels.jvm;

import java.util.Arrays;

/**
 * Kernels over contiguous outer×size×inner blocks that follow an index or scan a dimension: gather,
 * scatter (assign or add), cumsum and top-k. Index buffers hold whole numbers as floats (INT64
 * tensors are stored that way) already checked to lie in range.
 */
final class IndexKernels {
    private IndexKernels() {}

    static void gather(float[] x, int outer, int dimSize, int inner, float[] index, int n, float[] out) {
        for (int o = 0; o < outer; o++) {
            int xBase = o * dimSize * inner;
            for (int i = 0; i < n; i++) {
                int row = (o * n + i) * inner;
                for (int j = 0; j < inner; j++) out[row + j] = x[xBase + (int) index[row + j] * inner + j];
            }
        }
    }

    /** In index order, so that with repeated indices the last assignment wins (as PyTorch's CPU loop). */
    static void scatter(
            float[] src, float[] index, int outer, int n, int inner, int dimSize, boolean accumulate, float[] out) {
        for (int o = 0; o < outer; o++) {
            int outBase = o * dimSize * inner;
            for (int i = 0; i < n; i++) {
                int row = (o * n + i) * inner;
                if (accumulate) {
                    for (int j = 0; j < inner; j++) out[outBase + (int) index[row + j] * inner + j] += src[row + j];
                } else {
                    for (int j = 0; j < inner; j++) out[outBase + (int) index[row + j] * inner + j] = src[row + j];
                }
            }
        }
    }

    /** Running sums in double, as PyTorch's CPU cumsum accumulates float32. */
    static void cumsum(float[] x, int outer, int size, int inner, boolean reverse, float[] out) {
        double[] acc = new double[inner];
        for (int o = 0; o < outer; o++) {
            Arrays.fill(acc, 0.0);
            int base = o * size * inner;
            for (int t = 0; t < size; t++) {
                int row = base + (reverse ? size - 1 - t : t) * inner;
                for (int j = 0; j < inner; j++) {
                    acc[j] += x[row + j];
                    out[row + j] = (float) acc[j];
                }
            }
        }
    }

    /**
     * The k largest (or smallest) of each row along the middle dimension, sorted, into values and
     * indices (outer×k×inner). NaN counts as larger than every number, -0.0 equals 0.0, and equal
     * values come in index order: each element becomes one long key (its order-preserving bits above
     * its index) and a primitive sort does the rest.
     */
    static void topk(
            float[] x, int outer, int size, int inner, int k, boolean largest, float[] values, float[] indices) {
        long[] keys = new long[size];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                int base = o * size * inner + j;
                for (int s = 0; s < size; s++) {
                    int ordered = orderedBits(x[base + s * inner]);
                    keys[s] = ((long) (largest ? ~ordered : ordered) << 32) | s;
                }
                Arrays.sort(keys);
                for (int r = 0; r < k; r++) {
                    int s = (int) keys[r];
                    int at = (o * k + r) * inner + j;
                    values[at] = x[base + s * inner];
                    indices[at] = s;
                }
            }
        }
    }

    /** An int whose signed order is the float's order (NaN above +inf, -0.0 equal to 0.0). */
    private static int orderedBits(float v) {
        int b = Float.floatToIntBits(v == 0f ? 0f : v); // canonical NaN; -0.0 folded into 0.0
        return b ^ ((b >> 31) & 0x7fffffff);
    }
}
