package org.grad4j.kernels;

/**
 * Index arithmetic shared by backends: coalescing dimensions and listing the start offsets of
 * the innermost rows of a strided view. Not used inside kernel loops (it allocates).
 */
public final class Geometry {
    private Geometry() {}

    /**
     * Merges adjacent dimensions that every operand walks as one (stride[i] == stride[i+1]*shape[i+1])
     * and drops size-1 dimensions. Returns {@code [shape, strides0, strides1, ...]}; the shape has at
     * least one dimension.
     */
    public static int[][] coalesce(int[] shape, int[]... strides) {
        int rank = shape.length;
        int[] s = new int[rank];
        int[][] st = new int[strides.length][rank];
        int r = 0;
        for (int d = 0; d < rank; d++) {
            if (shape[d] == 1) continue;
            if (r > 0) {
                boolean merge = true;
                for (int k = 0; k < strides.length; k++) {
                    // the previous kept dim merges with d when its stride equals stride[d]*shape[d]
                    if (st[k][r - 1] != strides[k][d] * shape[d]) {
                        merge = false;
                        break;
                    }
                }
                if (merge) {
                    s[r - 1] *= shape[d];
                    for (int k = 0; k < strides.length; k++) st[k][r - 1] = strides[k][d];
                    continue;
                }
            }
            s[r] = shape[d];
            for (int k = 0; k < strides.length; k++) st[k][r] = strides[k][d];
            r++;
        }
        if (r == 0) { // a single element
            int[][] res = new int[strides.length + 1][];
            res[0] = new int[] {1};
            for (int k = 0; k < strides.length; k++) res[k + 1] = new int[] {0};
            return res;
        }
        int[][] res = new int[strides.length + 1][];
        res[0] = java.util.Arrays.copyOf(s, r);
        for (int k = 0; k < strides.length; k++) res[k + 1] = java.util.Arrays.copyOf(st[k], r);
        return res;
    }

    /**
     * Start offsets of the rows (all dimensions but the last) of a view, in row-major order.
     * A rank-0 or rank-1 view has one row.
     */
    public static int[] rowStarts(int[] shape, int[] strides, int offset) {
        int rank = shape.length;
        if (rank <= 1) return new int[] {offset};
        int rows = 1;
        for (int d = 0; d < rank - 1; d++) rows *= shape[d];
        int[] starts = new int[rows];
        if (rows == 0) return starts;
        int[] idx = new int[rank - 1];
        int pos = offset;
        for (int r = 0; r < rows; r++) {
            starts[r] = pos;
            for (int d = rank - 2; d >= 0; d--) { // odometer step
                idx[d]++;
                pos += strides[d];
                if (idx[d] < shape[d]) break;
                pos -= strides[d] * shape[d];
                idx[d] = 0;
            }
        }
        return starts;
    }

    /** Offsets (relative to 0) of every element of a view in row-major order. */
    public static int[] elementOffsets(int[] shape, int[] strides) {
        int n = Layout.numel(shape);
        int[] offs = new int[n];
        if (n == 0) return offs;
        int rank = shape.length;
        int[] idx = new int[rank];
        int pos = 0;
        for (int e = 0; e < n; e++) {
            offs[e] = pos;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                pos += strides[d];
                if (idx[d] < shape[d]) break;
                pos -= strides[d] * shape[d];
                idx[d] = 0;
            }
        }
        return offs;
    }
}
