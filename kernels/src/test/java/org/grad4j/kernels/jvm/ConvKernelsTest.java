package org.grad4j.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.ImageShape;
import org.grad4j.kernels.Window2d;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * im2col / col2im and the pooling kernels against naive direct loops, on odd sizes, padding,
 * stride and dilation.
 */
class ConvKernelsTest {
    private final JvmBackend be = JvmBackend.INSTANCE;
    private final Random rnd = new Random(5);

    private float[] random(int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = rnd.nextFloat() * 4 - 2;
        return d;
    }

    private static int outSize(int in, int k, int pad, int stride, int dil) {
        return (in + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    }

    @ParameterizedTest(name = "n={0} c={1} {2}x{3} k={4}x{5} pad={6},{7} stride={8},{9} dil={10},{11}")
    @CsvSource({
        "1, 1, 5, 5, 3, 3, 0, 0, 1, 1, 1, 1",
        "2, 3, 7, 6, 3, 2, 1, 0, 2, 1, 1, 1",
        "2, 2, 9, 8, 3, 3, 2, 1, 1, 2, 2, 1",
        "1, 4, 4, 5, 1, 1, 0, 0, 1, 1, 1, 1",
        "3, 1, 6, 6, 2, 2, 1, 1, 3, 3, 1, 2",
        "1, 2, 3, 2, 3, 3, 2, 2, 1, 1, 2, 2",
        "2, 1, 5, 7, 3, 3, 3, 3, 2, 3, 1, 1",
        "2, 3, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1",
        "2, 2, 7, 5, 3, 3, 2, 2, 1, 1, 2, 2",
        "1, 1, 6, 4, 5, 5, 2, 2, 1, 1, 1, 1",
        "1, 2, 4, 9, 1, 3, 0, 1, 1, 1, 1, 1",
        "1, 1, 3, 2, 7, 5, 3, 2, 1, 1, 1, 1",
        "2, 1, 1, 1, 1, 2, 0, 5, 2, 2, 1, 10",
        "1, 2, 5, 3, 3, 4, 0, 10, 1, 1, 2, 7"
    })
    void im2colIsADirectConvolutionAndCol2imItsAdjoint(
            int n, int c, int h, int w, int kh, int kw, int ph, int pw, int sh, int sw, int dh, int dw) {
        int oh = outSize(h, kh, ph, sh, dh), ow = outSize(w, kw, pw, sw, dw), l = oh * ow, rows = c * kh * kw;
        float[] x = random(n * c * h * w);
        Buffer cols = be.allocate(n * rows * l);
        be.im2col(JvmBackend.wrap(x), new ImageShape(n, c, h, w), new Window2d(kh, kw, ph, pw, sh, sw, dh, dw), cols);
        float[] col = ((HeapBuffer) cols).array();
        // one output channel with weights k: conv = sum over rows of k[r] * cols[r]
        float[] k = random(rows);
        for (int b = 0; b < n; b++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    double direct = 0, viaCols = 0;
                    for (int ci = 0; ci < c; ci++) {
                        for (int i = 0; i < kh; i++) {
                            for (int j = 0; j < kw; j++) {
                                int iy = oy * sh - ph + i * dh, ix = ox * sw - pw + j * dw;
                                float v = iy >= 0 && iy < h && ix >= 0 && ix < w
                                        ? x[((b * c + ci) * h + iy) * w + ix]
                                        : 0f;
                                direct += k[(ci * kh + i) * kw + j] * v;
                            }
                        }
                    }
                    for (int r = 0; r < rows; r++) viaCols += k[r] * col[(b * rows + r) * l + oy * ow + ox];
                    assertEquals(direct, viaCols, 1e-4);
                }
            }
        }
        // <im2col(x), y> == <x, col2im(y)>
        float[] y = random(n * rows * l);
        Buffer back = be.allocate(x.length);
        be.col2im(JvmBackend.wrap(y), new ImageShape(n, c, h, w), new Window2d(kh, kw, ph, pw, sh, sw, dh, dw), back);
        double lhs = 0, rhs = 0;
        for (int i = 0; i < y.length; i++) lhs += (double) col[i] * y[i];
        float[] xb = ((HeapBuffer) back).array();
        for (int i = 0; i < x.length; i++) rhs += (double) x[i] * xb[i];
        assertEquals(lhs, rhs, 1e-3 * Math.max(1, Math.abs(lhs)));
    }

    /**
     * im2col and col2im element for element against their definitions (col2im adding in the same order,
     * so exactly), over random geometries: sizes from 1, padding up to 5, strides and dilations up to 3,
     * "same" padding, and padding wider than the image with wide dilations; the runs handled apart from
     * the padding must neither drop nor spill an element.
     */
    @org.junit.jupiter.api.Test
    void im2colAndCol2imMatchTheirDefinitionsOnRandomGeometries() {
        Random g = new Random(42);
        int checked = 0;
        while (checked < 400) {
            int n = 1 + g.nextInt(2), c = 1 + g.nextInt(3), h = 1 + g.nextInt(9), w = 1 + g.nextInt(9);
            int kh = 1 + g.nextInt(4), kw = 1 + g.nextInt(4), ph = g.nextInt(6), pw = g.nextInt(6);
            int sh = 1 + g.nextInt(3), sw = 1 + g.nextInt(3), dh = 1 + g.nextInt(3), dw = 1 + g.nextInt(3);
            if (g.nextInt(4) == 0) { // padding wider than the image and a wide dilation: taps entirely outside
                w = 1 + g.nextInt(3);
                pw = w + g.nextInt(8);
                kw = 2 + g.nextInt(2);
                dw = 3 + g.nextInt(8);
                sw = 1 + g.nextInt(3);
            } else if (g.nextInt(3) == 0) { // often "same": stride 1, padding (k-1)/2 per side with dilation 1
                sh = sw = dh = dw = 1;
                kh = 2 * g.nextInt(3) + 1;
                kw = 2 * g.nextInt(3) + 1;
                ph = kh / 2;
                pw = kw / 2;
            }
            int oh = outSize(h, kh, ph, sh, dh), ow = outSize(w, kw, pw, sw, dw);
            if (oh <= 0 || ow <= 0) continue;
            checked++;
            int l = oh * ow, rows = c * kh * kw;
            String where = "n=" + n + " c=" + c + " " + h + "x" + w + " k=" + kh + "x" + kw + " pad=" + ph + "," + pw
                    + " stride=" + sh + "," + sw + " dil=" + dh + "," + dw;
            float[] x = random(n * c * h * w), y = random(n * rows * l);
            float[] expectedCols = new float[n * rows * l], expectedX = new float[x.length];
            for (int b = 0; b < n; b++) {
                for (int r = 0; r < rows; r++) {
                    int ci = r / (kh * kw), i = (r / kw) % kh, j = r % kw;
                    for (int oy = 0; oy < oh; oy++) {
                        for (int ox = 0; ox < ow; ox++) {
                            int iy = oy * sh - ph + i * dh,
                                    ix = ox * sw - pw + j * dw,
                                    at = (b * rows + r) * l + oy * ow + ox;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            expectedCols[at] = x[((b * c + ci) * h + iy) * w + ix];
                            expectedX[((b * c + ci) * h + iy) * w + ix] += y[at];
                        }
                    }
                }
            }
            Buffer cols = JvmBackend.wrap(random(n * rows * l)); // garbage in: every element must be written
            be.im2col(
                    JvmBackend.wrap(x), new ImageShape(n, c, h, w), new Window2d(kh, kw, ph, pw, sh, sw, dh, dw), cols);
            assertArrayEquals(expectedCols, ((HeapBuffer) cols).array(), "im2col, " + where);
            Buffer back = be.allocate(x.length);
            be.col2im(
                    JvmBackend.wrap(y), new ImageShape(n, c, h, w), new Window2d(kh, kw, ph, pw, sh, sw, dh, dw), back);
            assertArrayEquals(expectedX, ((HeapBuffer) back).array(), "col2im, " + where);
        }
    }

    @ParameterizedTest(name = "{0}x{1} planes={2} k={3}x{4} pad={5} stride={6} dil={7}")
    @CsvSource({
        "4, 4, 1, 2, 2, 0, 2, 1",
        "7, 5, 3, 3, 3, 1, 2, 1",
        "6, 9, 2, 3, 2, 1, 1, 1",
        "8, 8, 2, 2, 2, 1, 3, 2",
        "7, 9, 3, 2, 2, 0, 2, 1",
        "14, 14, 256, 2, 2, 0, 2, 1",
        "9, 8, 2, 3, 3, 0, 1, 2",
        "6, 7, 2, 2, 3, 0, 2, 1"
    })
    void poolingMatchesNaiveWindows(int h, int w, int planes, int kh, int kw, int pad, int stride, int dil) {
        float[] x = random(planes * h * w);
        x[3] = Float.NaN; // a NaN wins its windows
        x[x.length - 1] = Float.NaN;
        for (int i = 7; i < x.length; i += 11) x[i] = x[i - 1]; // ties: the first position wins
        if (w > 1 && h > 1) { // a -0.0 before a 0.0 in the first window: the first stays, sign included
            x[0] = -0f;
            x[1] = 0f;
            x[w] = -1f;
            x[w + 1] = -2f;
        }
        int oh = outSize(h, kh, pad, stride, dil), ow = outSize(w, kw, pad, stride, dil);
        Buffer out = be.allocate(planes * oh * ow), idx = be.allocate(planes * oh * ow);
        be.maxPool2d(
                JvmBackend.wrap(x),
                new ImageShape(1, planes, h, w),
                new Window2d(kh, kw, pad, pad, stride, stride, dil, dil),
                out,
                idx);
        float[] o = ((HeapBuffer) out).array(), ix = ((HeapBuffer) idx).array();
        for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    float best = Float.NEGATIVE_INFINITY;
                    int at = -1;
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            int iy = oy * stride - pad + i * dil, jx = ox * stride - pad + j * dil;
                            if (iy < 0 || iy >= h || jx < 0 || jx >= w) continue;
                            float v = x[(p * h + iy) * w + jx];
                            if (at < 0 || v > best || (Float.isNaN(v) && !Float.isNaN(best))) {
                                best = v;
                                at = iy * w + jx;
                            }
                        }
                    }
                    int e = (p * oh + oy) * ow + ox;
                    assertEquals(
                            Float.floatToIntBits(best),
                            Float.floatToIntBits(o[e]),
                            "max of window " + e + ": " + best + " vs " + o[e]);
                    assertEquals(at, (int) ix[e]);
                }
            }
        }
        if (dil != 1) return;
        for (boolean include : new boolean[] {true, false}) {
            Buffer avg = be.allocate(planes * oh * ow);
            float[] xa = x.clone();
            xa[3] = 0.5f;
            be.avgPool2d(
                    JvmBackend.wrap(xa),
                    new ImageShape(planes, 1, h, w),
                    new Window2d(kh, kw, pad, pad, stride, stride, 1, 1),
                    include,
                    avg);
            float[] expected = new float[planes * oh * ow];
            for (int p = 0; p < planes; p++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double s = 0;
                        int count = 0;
                        for (int i = 0; i < kh; i++) {
                            for (int j = 0; j < kw; j++) {
                                int iy = oy * stride - pad + i, jx = ox * stride - pad + j;
                                if (iy < 0 || iy >= h || jx < 0 || jx >= w) continue;
                                s += xa[(p * h + iy) * w + jx];
                                count++;
                            }
                        }
                        expected[(p * oh + oy) * ow + ox] = (float) (s / (include ? kh * kw : count));
                    }
                }
            }
            assertArrayEquals(expected, ((HeapBuffer) avg).array(), 1e-5f);
        }
    }

    /** avg_pool2d has no dilation: a dilated window is refused before anything is written. */
    @org.junit.jupiter.api.Test
    void avgPoolRejectsADilatedWindow() {
        float[] x = random(2 * 5 * 5), before = random(2 * 2 * 2);
        float[] o = before.clone();
        var window = new Window2d(2, 2, 0, 0, 2, 2, 2, 1);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> be.avgPool2d(JvmBackend.wrap(x), new ImageShape(1, 2, 5, 5), window, true, JvmBackend.wrap(o)));
        assertEquals("avgPool2d: dilation must be 1, got " + window, e.getMessage());
        assertArrayEquals(before, o);
    }
}
