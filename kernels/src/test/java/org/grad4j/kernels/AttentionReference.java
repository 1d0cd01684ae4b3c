package org.grad4j.kernels;

/**
 * Scaled dot-product attention written out naively in double, row by row with the full score row:
 * the reference the blocked kernels of every backend are checked against. Mask values are read at
 * {@code mask[offsets[b] + i·rowStride + j·colStride]} (null for none).
 */
public final class AttentionReference {
    private AttentionReference() {}

    /** out and lse of the forward pass, and the gradients of q, k, v for the output gradient {@code gout}. */
    public record Result(float[] out, float[] lse, float[] gq, float[] gk, float[] gv) {}

    public static Result run(
            Attention a,
            float[] q,
            float[] k,
            float[] v,
            float[] mask,
            int[] offsets,
            int rowStride,
            int colStride,
            boolean additive,
            float[] gout) {
        int B = a.batch(), L = a.queries(), S = a.keys(), E = a.headDim(), Ev = a.valueDim();
        float[] out = new float[B * L * Ev], lse = new float[B * L];
        float[] gq = new float[B * L * E], gk = new float[B * S * E], gv = new float[B * S * Ev];
        double keepScale = a.dropoutScale();
        for (int b = 0; b < B; b++) {
            for (int i = 0; i < L; i++) {
                double[] p = new double[S], z = new double[S];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < S; j++) {
                    double s = 0;
                    for (int e = 0; e < E; e++) s += (double) q[(b * L + i) * E + e] * k[(b * S + j) * E + e];
                    s *= a.scale();
                    if (mask != null) {
                        float mv = mask[offsets[b] + i * rowStride + j * colStride];
                        if (additive) s += mv;
                        else if (mv == 0f) s = Double.NEGATIVE_INFINITY;
                    }
                    if (a.causal() && j > i) s = Double.NEGATIVE_INFINITY;
                    p[j] = s;
                    max = Math.max(max, s);
                    z[j] = a.dropoutP() == 0f
                            ? 1
                            : Attention.dropoutUniform(a.seed(), b * L + i, j) >= a.dropoutP() ? keepScale : 0;
                }
                int row = b * L + i;
                if (max == Double.NEGATIVE_INFINITY) { // fully masked: zeros, no gradient
                    lse[row] = Float.NEGATIVE_INFINITY;
                    continue;
                }
                double sum = 0;
                for (int j = 0; j < S; j++) sum += p[j] = Math.exp(p[j] - max);
                for (int j = 0; j < S; j++) p[j] /= sum;
                lse[row] = (float) (max + Math.log(sum));
                double[] dp = new double[S];
                double d = 0;
                for (int c = 0; c < Ev; c++) {
                    double o = 0;
                    for (int j = 0; j < S; j++) o += p[j] * z[j] * v[(b * S + j) * Ev + c];
                    out[row * Ev + c] = (float) o;
                }
                for (int j = 0; j < S; j++) {
                    for (int c = 0; c < Ev; c++) {
                        double g = gout[row * Ev + c];
                        dp[j] += g * v[(b * S + j) * Ev + c];
                        gv[(b * S + j) * Ev + c] += (float) (p[j] * z[j] * g);
                    }
                    d += p[j] * z[j] * dp[j];
                }
                for (int j = 0; j < S; j++) {
                    double ds = p[j] * (dp[j] * z[j] - d) * a.scale();
                    for (int e = 0; e < E; e++) {
                        gq[row * E + e] += (float) (ds * k[(b * S + j) * E + e]);
                        gk[(b * S + j) * E + e] += (float) (ds * q[row * E + e]);
                    }
                }
            }
        }
        return new Result(out, lse, gq, gk, gv);
    }
}
