package org.grad4j.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.ImageShape;
import org.grad4j.kernels.Parallel;
import org.grad4j.kernels.Window2d;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The JVM backend's own convolution (forward, input gradient, weight gradient) against direct loops
 * in double: odd sizes, paddings from 0 to kernel-1, non-square kernels and images, batches that are
 * not a multiple of the weight gradient's parts, more taps than one k block, 1 and 2 threads. (3×3
 * windows with 16 channels or more in and out are {@link WinogradConvTest}'s.)
 */
class ImplicitGemmConvTest {
    private final JvmBackend be = JvmBackend.INSTANCE;
    private final Random rnd = new Random(11);

    private float[] random(int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = rnd.nextFloat() * 2 - 1;
        return d;
    }

    @Test
    void takesStrideOneUndilatedWindowsWithPaddingBelowTheKernel() {
        assumeTrue(Simd.AVAILABLE);
        ImageShape cnn = new ImageShape(64, 32, 14, 14);
        assertTrue(be.convolvesDirectly(cnn, new Window2d(3, 3, 1, 1, 1, 1, 1, 1), 64));
        assertTrue(be.convolvesDirectly(cnn, new Window2d(5, 1, 4, 0, 1, 1, 1, 1), 64));
        assertFalse(be.convolvesDirectly(cnn, new Window2d(3, 3, 1, 1, 2, 2, 1, 1), 64), "stride 2");
        assertFalse(be.convolvesDirectly(cnn, new Window2d(3, 3, 2, 2, 1, 1, 2, 2), 64), "dilation 2");
        assertFalse(be.convolvesDirectly(cnn, new Window2d(3, 3, 3, 1, 1, 1, 1, 1), 64), "padding = kernel");
        // the input gradient's columns of one 1024×1024 image with 256 filters: 2304 × 1,050,624 floats
        assertFalse(
                be.convolvesDirectly(new ImageShape(1, 64, 1024, 1024), new Window2d(3, 3, 1, 1, 1, 1, 1, 1), 256),
                "per-image buffers over the limit (and over 2^31 floats): im2col's way");
        // the weight gradient's partial sums of 912 groups of 8 images, 512 × 4608 each
        assertFalse(
                be.convolvesDirectly(new ImageShape(7296, 512, 7, 7), new Window2d(3, 3, 1, 1, 1, 1, 1, 1), 512),
                "partial sums over the limit");
    }

    @Test
    void withoutTheVectorModuleTheBackendDoesNotConvolveItself() {
        assumeTrue(!Simd.AVAILABLE);
        assertFalse(be.convolvesDirectly(new ImageShape(2, 3, 8, 8), new Window2d(3, 3, 1, 1, 1, 1, 1, 1), 4));
    }

    @ParameterizedTest(name = "n={0} c={1} o={2} {3}x{4} k={5}x{6} pad={7},{8} threads={9}")
    @CsvSource({
        "64, 1, 32, 28, 28, 3, 3, 1, 1, 2",
        "64, 32, 64, 14, 14, 3, 3, 1, 1, 2",
        "3, 2, 5, 7, 6, 3, 3, 1, 1, 1",
        "9, 3, 7, 9, 11, 3, 3, 0, 0, 2",
        "17, 2, 3, 6, 5, 3, 2, 2, 1, 2",
        "2, 4, 6, 5, 5, 1, 1, 0, 0, 1",
        "5, 3, 9, 8, 7, 5, 5, 2, 2, 2",
        "2, 3, 4, 4, 9, 1, 3, 0, 1, 1",
        "2, 2, 3, 3, 2, 3, 3, 2, 2, 1",
        "3, 120, 9, 6, 5, 3, 3, 1, 1, 2",
        "4, 5, 70, 10, 10, 3, 3, 1, 1, 2",
        "3, 32, 20, 8, 8, 5, 5, 2, 2, 2",
        "4, 32, 15, 9, 9, 3, 3, 1, 1, 2",
        "2, 1, 5, 16, 16, 3, 3, 1, 1, 1",
        "3, 1, 7, 9, 40, 3, 3, 1, 1, 2",
        "2, 1, 4, 5, 33, 3, 3, 0, 0, 1",
        "2, 1, 3, 6, 17, 1, 9, 0, 4, 1",
        "2, 9, 5, 4, 20, 1, 1, 0, 0, 1",
        "2, 1, 4, 1, 17, 3, 3, 1, 1, 1",
        "2, 1, 8, 6, 6, 2, 2, 0, 0, 1",
        "2, 3, 6, 12, 40, 3, 3, 0, 1, 2",
        "1, 1, 1, 1, 1, 1, 1, 0, 0, 1"
    })
    void forwardAndBothGradientsMatchDirectLoops(
            int n, int c, int o, int h, int w, int kh, int kw, int ph, int pw, int threads) {
        assumeTrue(Simd.AVAILABLE);
        int before = Parallel.numThreads();
        Parallel.setNumThreads(threads);
        try {
            DirectConv.assertBackendMatches(
                    rnd, new ImageShape(n, c, h, w), new Window2d(kh, kw, ph, pw, 1, 1, 1, 1), o, 1);
        } finally {
            Parallel.setNumThreads(before);
        }
    }

    /**
     * The nine-tap forward (weights kept in registers, two vectors of a row side by side) gives the
     * four-channel loop's bits: rows of one, two and three vectors (an odd last one), an odd channel
     * count, with and without a bias; outputs start as NaN, so one left unwritten shows.
     */
    @ParameterizedTest(name = "{0}x{1} window {2}x{3} pad {4},{5}, {6} channels, bias {7}")
    @CsvSource({
        "28, 28, 3, 3, 1, 1, 32, true",
        "9, 40, 3, 3, 1, 1, 7, true",
        "5, 33, 3, 3, 0, 0, 5, false",
        "6, 17, 1, 9, 0, 4, 3, true",
        "7, 8, 3, 3, 1, 1, 3, true"
    })
    void nineTapsGiveTheFourChannelLoopsBits(
            int h, int w, int kh, int kw, int ph, int pw, int channels, boolean withBias) {
        assumeTrue(Simd.AVAILABLE);
        int n = 3;
        ImplicitGemmConv.Grid g = new ImplicitGemmConv.Grid(1, h, w, kh, kw, ph, pw);
        float[] x = random(n * h * w), weight = random(channels * 9), bias = withBias ? random(channels) : null;
        float[] kept = new float[n * channels * g.oh() * g.ow()], fourChannels = new float[kept.length];
        java.util.Arrays.fill(kept, Float.NaN);
        java.util.Arrays.fill(fourChannels, Float.NaN);
        FewTapsConv.forward(x, 0, n, g, weight, channels, bias, kept, true);
        FewTapsConv.forward(x, 0, n, g, weight, channels, bias, fourChannels, false);
        for (float v : fourChannels) assertFalse(Float.isNaN(v), "the four-channel loop wrote every output");
        assertArrayEquals(fourChannels, kept);
    }

    private static float[] data(Buffer b) {
        return ((HeapBuffer) b).data;
    }

    /**
     * An infinite weight: the input gradient adds only the (pixel, tap) pairs under the window, as
     * PyTorch does, so pixels that no output reads through that tap stay finite (the padded grid would
     * multiply inf by the output gradient's zero padding).
     */
    @Test
    void anInfiniteWeightReachesOnlyThePixelsItsTapReads() {
        assumeTrue(Simd.AVAILABLE);
        int h = 3, w = 3;
        Window2d win = new Window2d(3, 3, 1, 1, 1, 1, 1, 1);
        float[] wt = new float[9], g = new float[h * w];
        java.util.Arrays.fill(wt, 1f);
        java.util.Arrays.fill(g, 1f);
        wt[0] = Float.POSITIVE_INFINITY; // tap (0, 0): output (oy, ox) reads pixel (oy - 1, ox - 1)
        Buffer gx = be.allocate(h * w);
        be.conv2dInputGrad(JvmBackend.wrap(g), new ImageShape(1, 1, h, w), win, JvmBackend.wrap(wt), 1, gx);
        float[] d = data(gx);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                boolean read = y + 1 < h && x + 1 < w; // an output at (y + 1, x + 1) exists
                int taps = (Math.min(y + 1, h - 1) - Math.max(y - 1, 0) + 1)
                        * (Math.min(x + 1, w - 1) - Math.max(x - 1, 0) + 1);
                assertEquals(read ? Float.POSITIVE_INFINITY : taps, d[y * w + x], "pixel " + y + "," + x);
            }
    }

    /** An empty batch: zero weight and bias gradients, both overwritten. */
    @Test
    void anEmptyBatchHasZeroWeightAndBiasGradients() {
        assumeTrue(Simd.AVAILABLE);
        Buffer gw = DirectConv.unset(4 * 2 * 9), gb = DirectConv.unset(4);
        be.conv2dWeightGrad(
                be.allocate(0),
                new ImageShape(0, 2, 5, 5),
                new Window2d(3, 3, 1, 1, 1, 1, 1, 1),
                be.allocate(0),
                4,
                gw,
                gb);
        assertArrayEquals(new float[4 * 2 * 9], data(gw));
        assertArrayEquals(new float[4], data(gb));
    }

    /**
     * The weight gradient sums fixed groups of images in order: the same bits on 1 and 2 threads, with
     * few taps (dot products) and many (the micro-kernel).
     */
    @ParameterizedTest(name = "channels={0}")
    @CsvSource({"1", "5"})
    void weightGradientHasTheSameBitsOnAnyNumberOfThreads(int c) {
        assumeTrue(Simd.AVAILABLE);
        int n = 37, o = 12, h = 11, w = 9;
        Window2d win = new Window2d(3, 3, 1, 1, 1, 1, 1, 1);
        float[] x = random(n * c * h * w), g = random(n * o * h * w);
        ImageShape shape = new ImageShape(n, c, h, w);
        int before = Parallel.numThreads();
        float[][] result = new float[2][], bias = new float[2][];
        try {
            for (int t = 1; t <= 2; t++) {
                Parallel.setNumThreads(t);
                Buffer gw = be.allocate(o * c * 9), gb = DirectConv.unset(o);
                be.conv2dWeightGrad(JvmBackend.wrap(x), shape, win, JvmBackend.wrap(g), o, gw, gb);
                result[t - 1] = data(gw);
                bias[t - 1] = data(gb);
            }
        } finally {
            Parallel.setNumThreads(before);
        }
        assertArrayEquals(result[0], result[1]);
        assertArrayEquals(bias[0], bias[1], "bias gradient");
    }

    /**
     * Positions past each output row are computed on the padded grid and dropped: an infinite pixel
     * there must not turn a weight gradient or an output into NaN; where PyTorch's sum meets it, it does.
     */
    @Test
    void anInfinitePixelReachesOnlyTheSumsThatReadIt() {
        assumeTrue(Simd.AVAILABLE);
        int n = 1, c = 1, o = 2, h = 5, w = 5;
        Window2d win = new Window2d(3, 3, 1, 1, 1, 1, 1, 1);
        float[] x = new float[h * w];
        x[2 * w + (w - 1)] = Float.POSITIVE_INFINITY; // the right-most pixel of row 2
        float[] wt = new float[o * 9], g = new float[o * h * w];
        java.util.Arrays.fill(wt, 1f);
        java.util.Arrays.fill(g, 1f);
        ImageShape shape = new ImageShape(n, c, h, w);
        Buffer out = be.allocate(o * h * w), gw = be.allocate(o * 9);
        be.conv2d(JvmBackend.wrap(x), shape, win, JvmBackend.wrap(wt), o, null, out);
        be.conv2dWeightGrad(JvmBackend.wrap(x), shape, win, JvmBackend.wrap(g), o, gw, null);
        float[] y = data(out);
        for (int oy = 0; oy < h; oy++)
            for (int ox = 0; ox < w; ox++) {
                boolean reads = Math.abs(oy - 2) <= 1 && ox >= w - 2;
                assertEquals(reads ? Float.POSITIVE_INFINITY : 0f, y[oy * w + ox], "output " + oy + "," + ox);
            }
        float[] d = data(gw);
        for (int oc = 0; oc < o; oc++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) {
                    boolean reads = j >= 1; // taps j = 1, 2 put column w-1 under some output position
                    assertEquals(reads ? Float.POSITIVE_INFINITY : 0f, d[(oc * 3 + i) * 3 + j], "tap " + i + "," + j);
                }
    }
}
