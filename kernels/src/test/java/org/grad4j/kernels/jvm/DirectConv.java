package org.grad4j.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.Window2d;

/** Stride-1 convolution, its input gradient and its weight gradient by direct loops in double: the tests' reference. */
final class DirectConv {
    final double[] out, gradInput, gradWeight, gradBias;

    /** x: n × c × h × w, weight: o × c × kh × kw, bias: o (or null), g: the output gradient. */
    DirectConv(float[] x, int n, int c, int h, int w, float[] wt, int o, float[] bias, Window2d win, float[] g) {
        int kh = win.kernelH(), kw = win.kernelW(), ph = win.padH(), pw = win.padW();
        int oh = win.outH(h), ow = win.outW(w);
        out = new double[n * o * oh * ow];
        gradInput = new double[x.length];
        gradWeight = new double[wt.length];
        gradBias = new double[o];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        int oi = ((b * o + oc) * oh + oy) * ow + ox;
                        double sum = bias == null ? 0 : bias[oc];
                        gradBias[oc] += g[oi];
                        for (int ic = 0; ic < c; ic++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int iy = oy - ph + i, ix = ox - pw + j;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    int xi = ((b * c + ic) * h + iy) * w + ix, wi = ((oc * c + ic) * kh + i) * kw + j;
                                    sum += (double) wt[wi] * x[xi];
                                    gradInput[xi] += (double) wt[wi] * g[oi];
                                    gradWeight[wi] += (double) x[xi] * g[oi];
                                }
                        out[oi] = sum;
                    }
    }

    /**
     * A sum of {@code terms} products of numbers below 1 in magnitude: float error grows with
     * sqrt(terms); {@code scale} widens the bound for a method that rounds more than a plain sum.
     */
    static void assertClose(double[] expected, float[] actual, int terms, double scale, String what) {
        double tol = scale * (2e-6 * Math.sqrt(terms) + 1e-6);
        for (int i = 0; i < expected.length; i++)
            assertEquals(expected[i], actual[i], tol * (1 + Math.abs(expected[i])), what + " at " + i);
    }

    /** n NaNs: an output the kernel fails to overwrite (or adds to) shows as NaN. */
    static Buffer unset(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return JvmBackend.wrap(a);
    }
}
