package org.grad4j.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Inputs for checking kernels against the elementwise table ({@link UnaryOp#apply},
 * {@link BinaryOp#apply}): special values (NaN, infinities, signed zeros, subnormals, the edges where
 * exp overflows and underflows and where the vector tanh changes formula), each op's special
 * parameters, and comparisons that tell -0 from +0.
 */
public final class ElementwiseCases {
    private ElementwiseCases() {}

    /** Special values first, then ordinary ones: more than a few vectors' worth, with a tail. */
    public static final float[] SPECIAL = specialValues();

    private static float[] specialValues() {
        List<Float> v = new ArrayList<>(List.of(
                Float.NaN,
                Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY,
                0f,
                -0f,
                Float.MIN_VALUE,
                -Float.MIN_VALUE,
                Float.MIN_NORMAL,
                -Float.MIN_NORMAL,
                Float.MAX_VALUE,
                -Float.MAX_VALUE,
                1f,
                -1f,
                2f,
                -2f,
                0.5f,
                -0.5f,
                1e-20f,
                -1e-20f,
                3.5f,
                -3.5f,
                9.1f,
                -9.1f,
                20f,
                -20f,
                88.7f,
                88.73f,
                89f,
                -87.3f,
                -87.4f,
                -88f,
                -103f,
                -104f,
                -110f,
                0.625f,
                -0.625f,
                0.6f,
                1e30f,
                -1e30f));
        Random rnd = new Random(7);
        for (int i = 0; i < 90; i++) v.add((float) rnd.nextGaussian() * 3f);
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    /** The (p0, p1) each unary op is tried with: its special parameters included. */
    public static float[][] parameters(UnaryOp op) {
        return switch (op) {
            case POW ->
                new float[][] {
                    {2f, 0f}, {1f, 0f}, {3f, 0f}, {0.5f, 0f}, {-1f, 0f}, {2.5f, 0f}, {0f, 0f}, {Float.NaN, 0f}
                };
            case POW_BASE -> new float[][] {{1.7f, 0f}, {2f, 0f}, {0.5f, 0f}, {-2f, 0f}, {0f, 0f}, {1f, 0f}};
            case AFFINE -> new float[][] {{1.5f, 0.25f}, {-2f, 0f}, {0f, -0f}, {1e30f, 1f}, {Float.NaN, 1f}};
            case CLAMP ->
                new float[][] {{-0.5f, Float.NaN}, {Float.NaN, 0.5f}, {-1f, 1f}, {Float.NaN, Float.NaN}, {0f, 0f}};
            case SOFTPLUS -> new float[][] {{1f, 20f}, {2f, 1f}, {0.5f, 0f}, {-1f, 20f}};
            case LEAKY_RELU -> new float[][] {{0.01f, 0f}, {0.2f, 0f}, {-0.5f, 0f}, {0f, 0f}};
            default -> new float[][] {{0f, 0f}};
        };
    }

    /** Every pair of special values, as two rows a and b. */
    public static float[][] pairs() {
        int k = 40, n = k * k;
        float[] a = new float[n + 13], b = new float[n + 13];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                a[i * k + j] = SPECIAL[i];
                b[i * k + j] = SPECIAL[j];
            }
        }
        for (int i = n; i < a.length; i++) { // a tail past the last full vector
            a[i] = SPECIAL[i - n + 50];
            b[i] = SPECIAL[i - n + 60];
        }
        return new float[][] {a, b};
    }

    /** Same value, NaN equal to NaN, -0 different from +0. */
    public static void assertSame(float expected, float actual, String what) {
        if (Float.compare(expected, actual) != 0 && !(Float.isNaN(expected) && Float.isNaN(actual))) {
            fail(what + ": expected " + expected + " but got " + actual);
        }
    }

    /**
     * Within {@code ulps} of the expected value (the same bits, -0 apart from +0, for 0), or both below
     * the smallest normal (flushed to zero); NaN and infinities exactly.
     */
    public static void assertWithin(int ulps, float expected, float actual, String what) {
        assertClose(ulps, 0f, expected, actual, what);
    }

    /** {@link #assertWithin}, or at most {@code absolute} apart (results of cancellation). */
    public static void assertClose(int ulps, float absolute, float expected, float actual, String what) {
        boolean special =
                Float.isNaN(expected) || Float.isNaN(actual) || Float.isInfinite(expected) || Float.isInfinite(actual);
        if (ulps == 0 || special) {
            assertSame(expected, actual, what);
            return;
        }
        if (Math.abs(expected) < Float.MIN_NORMAL && Math.abs(actual) < Float.MIN_NORMAL) return;
        long distance = Math.abs((long) ordered(expected) - ordered(actual));
        assertTrue(
                distance <= ulps || Math.abs(expected - actual) <= absolute,
                what + ": expected " + expected + " but got " + actual + ", " + distance + " ulp apart");
    }

    /** The float's position on the number line, as an int (adjacent floats differ by 1). */
    private static int ordered(float f) {
        int bits = Float.floatToRawIntBits(f);
        return bits < 0 ? Integer.MIN_VALUE - bits : bits;
    }
}
