package org.grad4j.kernels.jvm;

/**
 * Reductions: for each output element {@code o}, combine {@code x[starts[o] + offs[r]]} over the
 * reduced positions {@code r}, for the outputs {@code from <= o < to} (callers split outputs over
 * threads; each output is computed the same way whichever thread does it). Sums accumulate in
 * double, so long reductions stay accurate.
 */
final class ReduceKernels {
    private ReduceKernels() {}

    static void sum(float[] x, int[] starts, int[] offs, float[] out, int from, int to) {
        for (int o = from; o < to; o++) {
            int s = starts[o];
            double acc = 0;
            for (int r = 0; r < offs.length; r++) acc += x[s + offs[r]];
            out[o] = (float) acc;
        }
    }

    /** Sum of a strided row run: the common case of a reduced innermost dimension. */
    static void sumRows(float[] x, int[] starts, int n, int stride, float[] out, int from, int to) {
        for (int o = from; o < to; o++) {
            int s = starts[o];
            double acc = 0;
            for (int j = 0; j < n; j++) acc += x[s + j * stride];
            out[o] = (float) acc;
        }
    }

    /** Max (sign = 1) or min (sign = -1) with the first extreme position; a NaN wins and stops the scan. */
    static void extreme(float[] x, int[] starts, int[] offs, float sign, float[] out, float[] idx, int from, int to) {
        for (int o = from; o < to; o++) {
            int s = starts[o];
            float best = x[s + offs[0]];
            int at = 0;
            if (best == best) {
                for (int r = 1; r < offs.length; r++) {
                    float v = x[s + offs[r]];
                    if (v != v) {
                        best = v;
                        at = r;
                        break;
                    }
                    if (sign * v > sign * best) {
                        best = v;
                        at = r;
                    }
                }
            }
            out[o] = best;
            if (idx != null) idx[o] = at;
        }
    }
}
