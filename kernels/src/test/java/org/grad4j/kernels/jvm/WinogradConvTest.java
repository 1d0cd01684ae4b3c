package org.grad4j.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Random;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.ImageShape;
import org.grad4j.kernels.Parallel;
import org.grad4j.kernels.Window2d;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * 3×3 stride-1 convolutions with 16 channels or more, which the JVM backend computes by Winograd's
 * F(2×2, 3×3): forward and both gradients against direct loops in double (odd output sizes, channels
 * that are not whole vectors, paddings 0 to 2, units of one and of many images), the same bits on 1
 * and 2 threads, and infinite values reaching exactly the sums that read them, as direct sums do.
 */
class WinogradConvTest {
    private final JvmBackend be = JvmBackend.INSTANCE;
    private final Random rnd = new Random(5);
    private static final Window2d SAME = new Window2d(3, 3, 1, 1, 1, 1, 1, 1);

    private float[] random(int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = rnd.nextFloat() * 2 - 1;
        return d;
    }

    private static float[] data(Buffer b) {
        return ((HeapBuffer) b).data;
    }

    @Test
    void takesThreeByThreeStrideOneWindowsWithSixteenChannelsInAndOut() {
        assumeTrue(Simd.AVAILABLE);
        ImageShape cnn = new ImageShape(64, 32, 14, 14);
        assertTrue(WinogradConv.applies(cnn, SAME, 64));
        assertTrue(WinogradConv.applies(cnn, new Window2d(3, 3, 0, 2, 1, 1, 1, 1), 16));
        assertFalse(WinogradConv.applies(cnn, SAME, 15), "15 outputs");
        assertFalse(WinogradConv.applies(new ImageShape(64, 1, 28, 28), SAME, 32), "one channel");
        assertFalse(WinogradConv.applies(cnn, new Window2d(5, 5, 2, 2, 1, 1, 1, 1), 64), "5x5");
        assertFalse(WinogradConv.applies(cnn, new Window2d(3, 3, 1, 1, 2, 2, 1, 1), 64), "stride 2");
        assertFalse(WinogradConv.applies(cnn, new Window2d(3, 3, 2, 2, 1, 1, 2, 2), 64), "dilation 2");
        assertFalse(WinogradConv.applies(new ImageShape(0, 32, 14, 14), SAME, 64), "empty batch");
        assertFalse(WinogradConv.applies(new ImageShape(1, 64, 512, 512), SAME, 64), "an image's tiles over the limit");
    }

    @ParameterizedTest(name = "n={0} c={1} o={2} {3}x{4} pad={5},{6} threads={7}")
    @CsvSource({
        "64, 32, 64, 14, 14, 1, 1, 2",
        "3, 16, 16, 7, 6, 1, 1, 1",
        "5, 20, 17, 9, 11, 0, 0, 2",
        "2, 33, 48, 5, 5, 2, 2, 1",
        "9, 16, 24, 3, 4, 0, 1, 2",
        "2, 64, 16, 28, 28, 1, 1, 2",
        "37, 16, 16, 4, 4, 1, 1, 2",
        "1, 16, 32, 3, 3, 0, 0, 1",
        "10, 16, 16, 14, 14, 1, 1, 2"
    })
    void forwardAndBothGradientsMatchDirectLoops(int n, int c, int o, int h, int w, int ph, int pw, int threads) {
        assumeTrue(Simd.AVAILABLE);
        Window2d win = new Window2d(3, 3, ph, pw, 1, 1, 1, 1);
        ImageShape shape = new ImageShape(n, c, h, w);
        assertTrue(WinogradConv.applies(shape, win, o));
        int before = Parallel.numThreads();
        Parallel.setNumThreads(threads);
        try {
            // the transforms add up to 4 terms before and after the products: a few more roundings
            DirectConv.assertBackendMatches(rnd, shape, win, o, 3);
        } finally {
            Parallel.setNumThreads(before);
        }
    }

    @Test
    void theBitsDoNotDependOnTheNumberOfThreads() {
        assumeTrue(Simd.AVAILABLE);
        int n = 21, c = 24, o = 16, h = 6, w = 7;
        ImageShape shape = new ImageShape(n, c, h, w);
        float[] x = random(n * c * h * w), wt = random(o * c * 9), g = random(n * o * h * w);
        int before = Parallel.numThreads();
        float[][][] result = new float[2][][];
        try {
            for (int t = 1; t <= 2; t++) {
                Parallel.setNumThreads(t);
                Buffer out = be.allocate(n * o * h * w), gx = be.allocate(x.length), gw = be.allocate(wt.length);
                Buffer gb = DirectConv.unset(o);
                be.conv2d(JvmBackend.wrap(x), shape, SAME, JvmBackend.wrap(wt), o, null, out);
                be.conv2dInputGrad(JvmBackend.wrap(g), shape, SAME, JvmBackend.wrap(wt), o, gx);
                be.conv2dWeightGrad(JvmBackend.wrap(x), shape, SAME, JvmBackend.wrap(g), o, gw, gb);
                result[t - 1] = new float[][] {data(out), data(gx), data(gw), data(gb)};
            }
        } finally {
            Parallel.setNumThreads(before);
        }
        for (int i = 0; i < 4; i++) assertArrayEquals(result[0][i], result[1][i], "result " + i);
    }

    /**
     * One pixel of image 17 of 20 (units of 5 images, one part per unit) set to an infinity, a NaN or a
     * finite value so large that the transforms would overflow: the unit holding it takes the direct
     * sums, so every output and every weight-gradient entry is what the direct sums give (±inf and NaN
     * where they meet it, finite where they are), on two threads.
     */
    @ParameterizedTest(name = "pixel={0}")
    @CsvSource({"Infinity", "NaN", "1e38"})
    void aValueTheTransformsCannotCarryReachesOnlyTheSumsThatReadIt(float value) {
        assumeTrue(Simd.AVAILABLE);
        int n = 20, c = 16, o = 16, h = 6, w = 6;
        ImageShape shape = new ImageShape(n, c, h, w);
        float[] x = random(n * c * h * w), wt = new float[o * c * 9], g = new float[n * o * h * w];
        Arrays.fill(wt, 1f);
        Arrays.fill(g, 1f);
        x[(17 * c * h + 2) * w + 3] = value; // image 17, channel 0, pixel (2, 3)
        Buffer out = be.allocate(n * o * h * w), gw = be.allocate(wt.length), gb = DirectConv.unset(o);
        int before = Parallel.numThreads();
        Parallel.setNumThreads(2);
        try {
            be.conv2d(JvmBackend.wrap(x), shape, SAME, JvmBackend.wrap(wt), o, null, out);
            be.conv2dWeightGrad(JvmBackend.wrap(x), shape, SAME, JvmBackend.wrap(g), o, gw, gb);
        } finally {
            Parallel.setNumThreads(before);
        }
        DirectConv ref = new DirectConv(x, n, c, h, w, wt, o, null, SAME, g);
        assertLike(ref.out, data(out), "output");
        assertLike(ref.gradWeight, data(gw), "weight gradient");
        assertLike(ref.gradBias, data(gb), "bias gradient");
        double read = ref.out[((17 * o) * h + 2) * w + 3];
        assertTrue(Float.isNaN(value) ? Double.isNaN(read) : Math.abs(read) >= 1e37, "the test reads the value");
    }

    /** Equal to the reference where it is infinite or NaN, close to it where it is finite. */
    private static void assertLike(double[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Double.isNaN(expected[i])) assertTrue(Float.isNaN(actual[i]), what + " at " + i + ": " + actual[i]);
            else if (Double.isInfinite(expected[i])) assertEquals(expected[i], actual[i], what + " at " + i);
            else assertEquals(expected[i], actual[i], 1e-4 * (1 + Math.abs(expected[i])), what + " at " + i);
        }
    }

    /** A weight the transforms cannot carry: the forward is the implicit GEMM's, bit for bit. */
    @ParameterizedTest(name = "weight={0}")
    @CsvSource({"Infinity", "2e38"})
    void aWeightTheTransformsCannotCarryTakesTheDirectSums(float value) {
        assumeTrue(Simd.AVAILABLE);
        int n = 3, c = 16, o = 16, h = 5, w = 5;
        ImageShape shape = new ImageShape(n, c, h, w);
        float[] x = random(n * c * h * w), wt = random(o * c * 9);
        wt[4] = value; // output 0, channel 0, the centre tap
        Buffer out = be.allocate(n * o * h * w);
        be.conv2d(JvmBackend.wrap(x), shape, SAME, JvmBackend.wrap(wt), o, null, out);
        float[] direct = new float[n * o * h * w];
        ImplicitGemmConv.forward(x, 0, n, new ImplicitGemmConv.Grid(c, h, w, 3, 3, 1, 1), wt, o, null, direct);
        assertArrayEquals(direct, data(out));
    }

    /**
     * The same for the input gradient: an output gradient holding such a value in image 1 of 2 (one
     * image per unit) gives image 1 the direct sums' input gradient, image 0 Winograd's.
     */
    @ParameterizedTest(name = "gradient={0}")
    @CsvSource({"Infinity", "NaN", "1e38"})
    void anOutputGradientTheTransformsCannotCarryReachesOnlyThePixelsUnderIt(float value) {
        assumeTrue(Simd.AVAILABLE);
        int n = 2, c = 16, o = 16, h = 5, w = 5;
        ImageShape shape = new ImageShape(n, c, h, w);
        float[] wt = new float[o * c * 9], g = random(n * o * h * w);
        Arrays.fill(wt, 0.5f);
        g[(o * h + 1) * w + 1] = value; // image 1, output channel 0, position (1, 1)
        Buffer gx = be.allocate(n * c * h * w);
        be.conv2dInputGrad(JvmBackend.wrap(g), shape, SAME, JvmBackend.wrap(wt), o, gx);
        DirectConv ref = new DirectConv(new float[n * c * h * w], n, c, h, w, wt, o, null, SAME, g);
        assertLike(ref.gradInput, data(gx), "input gradient");
    }
}
