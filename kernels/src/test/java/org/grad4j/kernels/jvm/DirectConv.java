package org.grad4j.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.ImageShape;
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

    /**
     * The JVM backend's forward, input gradient and weight and bias gradients on random data in
     * [-1, 1) (x, weight, bias, output gradient, drawn in that order) against the direct loops;
     * {@code scale} widens the bound of the three convolution sums, not the bias gradient's.
     */
    static void assertBackendMatches(Random rnd, ImageShape shape, Window2d win, int o, double scale) {
        JvmBackend be = JvmBackend.INSTANCE;
        int n = shape.batch(), c = shape.channels(), h = shape.height(), w = shape.width();
        int kh = win.kernelH(), kw = win.kernelW(), oh = win.outH(h), ow = win.outW(w);
        float[] x = random(rnd, n * c * h * w), wt = random(rnd, o * c * kh * kw), bias = random(rnd, o);
        float[] g = random(rnd, n * o * oh * ow);
        Buffer out = be.allocate(n * o * oh * ow), gx = be.allocate(x.length), gw = be.allocate(wt.length);
        Buffer gb = unset(o);
        be.conv2d(JvmBackend.wrap(x), shape, win, JvmBackend.wrap(wt), o, JvmBackend.wrap(bias), out);
        be.conv2dInputGrad(JvmBackend.wrap(g), shape, win, JvmBackend.wrap(wt), o, gx);
        be.conv2dWeightGrad(JvmBackend.wrap(x), shape, win, JvmBackend.wrap(g), o, gw, gb);
        DirectConv ref = new DirectConv(x, n, c, h, w, wt, o, bias, win, g);
        assertClose(ref.out, data(out), c * kh * kw, scale, "output");
        assertClose(ref.gradInput, data(gx), o * kh * kw, scale, "input gradient");
        assertClose(ref.gradWeight, data(gw), n * oh * ow, scale, "weight gradient");
        assertClose(ref.gradBias, data(gb), n * oh * ow, 1, "bias gradient");
    }

    private static float[] random(Random rnd, int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = rnd.nextFloat() * 2 - 1;
        return d;
    }

    private static float[] data(Buffer b) {
        return ((HeapBuffer) b).data;
    }
}
