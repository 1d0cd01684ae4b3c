package org.grad4j.kernels.jvm;

/**
 * Row kernels for elementwise ops: one strided row of {@code n} elements per call, the op chosen
 * once per row so the inner loop is a plain counted loop the JIT can vectorise. Static, no
 * allocation, no virtual calls: the same shape of loop a TornadoVM task can compile.
 */
public final class ElementwiseKernels {
    private ElementwiseKernels() {}

    // op codes mirror org.grad4j.kernels.UnaryOp / BinaryOp ordinals
    public static void unary(int op, float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        switch (op) {
            case 0 -> { for (int j = 0; j < n; j++) out[oo + j] = -x[xo + j * xs]; }
            case 1 -> { for (int j = 0; j < n; j++) out[oo + j] = (float) Math.exp(x[xo + j * xs]); }
            case 2 -> { for (int j = 0; j < n; j++) out[oo + j] = (float) Math.log(x[xo + j * xs]); }
            case 3 -> { for (int j = 0; j < n; j++) out[oo + j] = (float) Math.sqrt(x[xo + j * xs]); }
            case 4 -> { for (int j = 0; j < n; j++) out[oo + j] = Math.abs(x[xo + j * xs]); }
            case 5 -> { for (int j = 0; j < n; j++) out[oo + j] = (float) Math.tanh(x[xo + j * xs]); }
            case 6 -> { for (int j = 0; j < n; j++) out[oo + j] = (float) (1.0 / (1.0 + Math.exp(-x[xo + j * xs]))); }
            case 7 -> { for (int j = 0; j < n; j++) { float v = x[xo + j * xs]; out[oo + j] = v > 0f || v != v ? v : 0f; } }
            case 8 -> { for (int j = 0; j < n; j++) out[oo + j] = Math.signum(x[xo + j * xs]); }
            case 9 -> {
                if (p0 == 2f) { for (int j = 0; j < n; j++) { float v = x[xo + j * xs]; out[oo + j] = v * v; } }
                else if (p0 == 1f) { for (int j = 0; j < n; j++) out[oo + j] = x[xo + j * xs]; }
                else { for (int j = 0; j < n; j++) out[oo + j] = (float) Math.pow(x[xo + j * xs], p0); }
            }
            case 10 -> { for (int j = 0; j < n; j++) out[oo + j] = (float) Math.pow(p0, x[xo + j * xs]); }
            case 11 -> { for (int j = 0; j < n; j++) out[oo + j] = p0 * x[xo + j * xs] + p1; }
            case 12 -> {
                for (int j = 0; j < n; j++) {
                    float v = x[xo + j * xs];
                    if (p0 == p0 && v < p0) v = p0; // a NaN bound means "no bound"
                    if (p1 == p1 && v > p1) v = p1;
                    out[oo + j] = v;
                }
            }
            case 13 -> { for (int j = 0; j < n; j++) out[oo + j] = 1f / x[xo + j * xs]; }
            default -> throw new IllegalArgumentException("unknown unary op " + op);
        }
    }

    public static void binary(int op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        switch (op) {
            case 0 -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j * as] + b[bo + j * bs]; }
            case 1 -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j * as] - b[bo + j * bs]; }
            case 2 -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j * as] * b[bo + j * bs]; }
            case 3 -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j * as] / b[bo + j * bs]; }
            case 4 -> { for (int j = 0; j < n; j++) out[oo + j] = (float) Math.pow(a[ao + j * as], b[bo + j * bs]); }
            case 5 -> { for (int j = 0; j < n; j++) out[oo + j] = Math.max(a[ao + j * as], b[bo + j * bs]); }
            case 6 -> { for (int j = 0; j < n; j++) out[oo + j] = Math.min(a[ao + j * as], b[bo + j * bs]); }
            case 7 -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j * as] == b[bo + j * bs] ? 1f : 0f; }
            case 8 -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j * as] != b[bo + j * bs] ? 1f : 0f; }
            case 9 -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j * as] < b[bo + j * bs] ? 1f : 0f; }
            case 10 -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j * as] <= b[bo + j * bs] ? 1f : 0f; }
            case 11 -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j * as] > b[bo + j * bs] ? 1f : 0f; }
            case 12 -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j * as] >= b[bo + j * bs] ? 1f : 0f; }
            case 13 -> { for (int j = 0; j < n; j++) { float y = b[bo + j * bs]; out[oo + j] = a[ao + j * as] * (1f - y * y); } }
            case 14 -> { for (int j = 0; j < n; j++) { float y = b[bo + j * bs]; out[oo + j] = a[ao + j * as] * y * (1f - y); } }
            case 15 -> { for (int j = 0; j < n; j++) out[oo + j] = b[bo + j * bs] > 0f ? a[ao + j * as] : 0f; }
            default -> throw new IllegalArgumentException("unknown binary op " + op);
        }
    }

    public static void where(float[] c, int co, int cs, float[] a, int ao, int as, float[] b, int bo, int bs,
                             float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = c[co + j * cs] != 0f ? a[ao + j * as] : b[bo + j * bs];
    }

    /** Strided row copy: {@code dst[do + j*ds] = src[so + j*ss]}. */
    public static void copy(float[] src, int so, int ss, float[] dst, int dOff, int ds, int n) {
        for (int j = 0; j < n; j++) dst[dOff + j * ds] = src[so + j * ss];
    }

    /** {@code out = a ± (alpha*b + 0)}: ADD or SUB after AFFINE (two roundings, as the two ops), in one pass. */
    static void addScaled(boolean sub, float[] a, int ao, float[] b, int bo, float alpha, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) {
            float t = alpha * b[bo + j] + 0f;
            out[oo + j] = sub ? a[ao + j] - t : a[ao + j] + t;
        }
    }

    public static void fill(float[] dst, int dOff, int ds, int n, float v) {
        for (int j = 0; j < n; j++) dst[dOff + j * ds] = v;
    }
}
