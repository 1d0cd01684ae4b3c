package org.grad4j.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.Layout;
import org.grad4j.kernels.ReduceOp;
import org.grad4j.kernels.UnaryOp;
import org.grad4j.kernels.VectorForm;
import org.junit.jupiter.api.Test;

/**
 * The elementwise table ({@link UnaryOp}, {@link BinaryOp}) against the JVM kernels: every op's scalar
 * loop gives its formula's exact bits, its vector loop does what its {@link VectorForm} claims, on
 * inputs full of special values (NaN, infinities, signed zeros, subnormals, overflow and underflow
 * edges); and every device code is the named constant of its op, unrelated to the op's position.
 */
class ElementwiseTableTest {

    /** Special values first, then ordinary ones: more than a few vectors' worth, with a tail. */
    static final float[] SPECIAL = specialValues();

    private static float[] specialValues() {
        List<Float> v = new ArrayList<>(List.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
                Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
                1f, -1f, 2f, -2f, 0.5f, -0.5f, 1e-20f, -1e-20f, 3.5f, -3.5f, 9.1f, -9.1f, 20f, -20f,
                88.7f, 88.73f, 89f, -87.3f, -87.4f, -88f, -103f, -104f, -110f, 0.625f, -0.625f, 0.6f, 1e30f, -1e30f));
        Random rnd = new Random(7);
        for (int i = 0; i < 90; i++) v.add((float) rnd.nextGaussian() * 3f);
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    /** The (p0, p1) each unary op is tried with: its special parameters included. */
    static float[][] parameters(UnaryOp op) {
        return switch (op) {
            case POW -> new float[][] {{2f, 0f}, {1f, 0f}, {3f, 0f}, {0.5f, 0f}, {-1f, 0f}, {2.5f, 0f}, {0f, 0f}, {Float.NaN, 0f}};
            case POW_BASE -> new float[][] {{1.7f, 0f}, {2f, 0f}, {0.5f, 0f}, {-2f, 0f}, {0f, 0f}, {1f, 0f}};
            case AFFINE -> new float[][] {{1.5f, 0.25f}, {-2f, 0f}, {0f, -0f}, {1e30f, 1f}, {Float.NaN, 1f}};
            case CLAMP -> new float[][] {{-0.5f, Float.NaN}, {Float.NaN, 0.5f}, {-1f, 1f}, {Float.NaN, Float.NaN}, {0f, 0f}};
            default -> new float[][] {{0f, 0f}};
        };
    }

    /** Every pair of special values, as two rows a and b. */
    static float[][] pairs() {
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
    static void assertSame(float expected, float actual, String what) {
        if (Float.compare(expected, actual) != 0 && !(Float.isNaN(expected) && Float.isNaN(actual))) {
            fail(what + ": expected " + expected + " but got " + actual);
        }
    }

    /** Within {@code ulps} of the expected value, or both below the smallest normal (flushed to zero). */
    static void assertWithin(int ulps, float expected, float actual, String what) {
        if (Float.isNaN(expected) || Float.isNaN(actual) || Float.isInfinite(expected)) {
            assertSame(expected, actual, what);
            return;
        }
        if (Math.abs(expected) < Float.MIN_NORMAL && Math.abs(actual) < Float.MIN_NORMAL) return;
        long distance = Math.abs((long) ordered(expected) - ordered(actual));
        assertTrue(distance <= ulps, what + ": expected " + expected + " but got " + actual + ", " + distance + " ulp apart");
    }

    /** The float's position on the number line, as an int (adjacent floats differ by 1). */
    private static int ordered(float f) {
        int bits = Float.floatToRawIntBits(f);
        return bits < 0 ? Integer.MIN_VALUE - bits : bits;
    }

    // ---- device codes ---------------------------------------------------------------------------

    @Test
    void everyOpHasTheDeviceCodeNamedAfterItAndNoOther() throws ReflectiveOperationException {
        checkCodes(UnaryOp.class, UnaryOp.Code.class, Arrays.stream(UnaryOp.values()).mapToInt(UnaryOp::code).toArray());
        checkCodes(BinaryOp.class, BinaryOp.Code.class, Arrays.stream(BinaryOp.values()).mapToInt(BinaryOp::code).toArray());
        checkCodes(ReduceOp.class, ReduceOp.Code.class, Arrays.stream(ReduceOp.values()).mapToInt(ReduceOp::code).toArray());
    }

    private static void checkCodes(Class<? extends Enum<?>> ops, Class<?> codes, int[] codeOfOp) throws ReflectiveOperationException {
        Enum<?>[] values = ops.getEnumConstants();
        Set<Integer> seen = new HashSet<>();
        for (Enum<?> op : values) {
            Field f = codes.getField(op.name());
            assertTrue(Modifier.isStatic(f.getModifiers()) && Modifier.isFinal(f.getModifiers()) && f.getType() == int.class,
                    codes.getName() + "." + op.name() + " is a static final int");
            assertEquals(f.getInt(null), codeOfOp[op.ordinal()], op + ".code() is " + codes.getSimpleName() + "." + op.name());
            assertTrue(seen.add(codeOfOp[op.ordinal()]), op + ": code " + codeOfOp[op.ordinal()] + " is taken twice");
        }
        long declared = Arrays.stream(codes.getDeclaredFields()).filter(f -> Modifier.isStatic(f.getModifiers())).count();
        assertEquals(values.length, declared, codes.getName() + " declares one code per op, no more");
    }

    /**
     * No op's code is its position in the enum, so a kernel handed {@code ordinal()} instead of
     * {@code code()} computes another op (or none) and fails the kernel tests (the TornadoVM ones
     * receive codes): reordering the enums cannot change what a code means.
     */
    @Test
    void noDeviceCodeIsItsOpsPositionInTheEnum() {
        for (UnaryOp op : UnaryOp.values()) assertNotEquals(op.ordinal(), op.code(), op.toString());
        for (BinaryOp op : BinaryOp.values()) assertNotEquals(op.ordinal(), op.code(), op.toString());
        for (ReduceOp op : ReduceOp.values()) assertNotEquals(op.ordinal(), op.code(), op.toString());
    }

    // ---- the JVM's scalar loops -----------------------------------------------------------------

    @Test
    void scalarLoopsGiveEachUnaryFormulasExactBits() {
        float[] x = SPECIAL;
        float[] strided = new float[2 * x.length];
        for (int i = 0; i < x.length; i++) strided[2 * i + 1] = x[i];
        for (UnaryOp op : UnaryOp.values()) {
            for (float[] p : parameters(op)) {
                float[] out = new float[x.length], outStrided = new float[x.length];
                ElementwiseKernels.unary(op, p[0], p[1], x, 0, 1, out, 0, x.length);
                ElementwiseKernels.unary(op, p[0], p[1], strided, 1, 2, outStrided, 0, x.length);
                for (int i = 0; i < x.length; i++) {
                    String what = op + "(" + x[i] + ", p0=" + p[0] + ", p1=" + p[1] + ")";
                    assertSame(op.apply(x[i], p[0], p[1]), out[i], what);
                    assertSame(op.apply(x[i], p[0], p[1]), outStrided[i], what + " strided");
                }
            }
        }
    }

    @Test
    void scalarLoopsGiveEachBinaryFormulasExactBits() {
        float[][] ab = pairs();
        float[] a = ab[0], b = ab[1];
        int n = a.length;
        for (BinaryOp op : BinaryOp.values()) {
            float[] out = new float[n], scalarB = new float[n];
            ElementwiseKernels.binary(op, a, 0, 1, b, 0, 1, out, 0, n);
            ElementwiseKernels.binary(op, a, 0, 1, b, 7, 0, scalarB, 0, n); // b[7] broadcast
            for (int i = 0; i < n; i++) {
                assertSame(op.apply(a[i], b[i]), out[i], op + "(" + a[i] + ", " + b[i] + ")");
                assertSame(op.apply(a[i], b[7]), scalarB[i], op + "(" + a[i] + ", " + b[7] + ")");
            }
        }
    }

    // ---- the JVM's vector loops -----------------------------------------------------------------

    @Test
    void vectorLoopsDoWhatTheTableSaysForUnaryOps() {
        assumeTrue(Simd.AVAILABLE, "no Vector API in this JVM");
        float[] x = SPECIAL;
        for (UnaryOp op : UnaryOp.values()) {
            for (float[] p : parameters(op)) {
                float[] out = new float[x.length + 3];
                boolean ran = VectorElementwise.unary(op, p[0], p[1], x, 0, out, 3, x.length);
                boolean expected = op.vectorForm() != VectorForm.NONE && (op != UnaryOp.POW || p[0] == 2f);
                assertEquals(expected, ran, op + " p0=" + p[0] + ": vector form " + op.vectorForm());
                if (!ran) continue;
                for (int i = 0; i < x.length; i++) {
                    assertWithin(op.vectorForm().ulps(), op.apply(x[i], p[0], p[1]), out[i + 3],
                            op + "(" + x[i] + ", p0=" + p[0] + ", p1=" + p[1] + ") " + op.vectorForm());
                }
            }
        }
    }

    @Test
    void vectorLoopsDoWhatTheTableSaysForBinaryOps() {
        assumeTrue(Simd.AVAILABLE, "no Vector API in this JVM");
        float[][] ab = pairs();
        float[] a = ab[0], b = ab[1];
        int n = a.length;
        for (BinaryOp op : BinaryOp.values()) {
            boolean vectorised = op.vectorForm() != VectorForm.NONE;
            int[][] strides = {{1, 1}, {1, 0}, {0, 1}};
            for (int[] s : strides) {
                float[] out = new float[n];
                int ao = s[0] == 0 ? 5 : 0, bo = s[1] == 0 ? 9 : 0;
                assertEquals(vectorised, VectorElementwise.binary(op, a, ao, s[0], b, bo, s[1], out, 0, n),
                        op + " strides " + Arrays.toString(s) + ": vector form " + op.vectorForm());
                if (!vectorised) continue;
                for (int i = 0; i < n; i++) {
                    float ai = a[ao + i * s[0]], bi = b[bo + i * s[1]];
                    assertWithin(op.vectorForm().ulps(), op.apply(ai, bi), out[i], op + "(" + ai + ", " + bi + ")");
                }
            }
            assertFalse(VectorElementwise.binary(op, a, 0, 2, b, 0, 1, new float[n / 2], 0, n / 2), op + " with a strided operand");
        }
    }

    // ---- through the backend --------------------------------------------------------------------

    /** Contiguous (vector loops where there are some) and strided (scalar loops) views, as core calls them. */
    @Test
    void theBackendFollowsTheTableOnContiguousAndStridedViews() {
        JvmBackend be = JvmBackend.INSTANCE;
        float[] x = SPECIAL;
        int n = x.length;
        float[] interleaved = new float[2 * n];
        for (int i = 0; i < n; i++) interleaved[2 * i] = x[i];
        Layout dense = Layout.contiguous(new int[] {n}), everyOther = new Layout(new int[] {n}, new int[] {2}, 0);
        for (UnaryOp op : UnaryOp.values()) {
            for (float[] p : parameters(op)) {
                float[] out = new float[n], outStrided = new float[n];
                be.unary(op, p[0], p[1], JvmBackend.wrap(x), dense, JvmBackend.wrap(out));
                be.unary(op, p[0], p[1], JvmBackend.wrap(interleaved), everyOther, JvmBackend.wrap(outStrided));
                for (int i = 0; i < n; i++) {
                    String what = op + "(" + x[i] + ", p0=" + p[0] + ", p1=" + p[1] + ")";
                    assertWithin(op.vectorForm().ulps(), op.apply(x[i], p[0], p[1]), out[i], what);
                    assertSame(op.apply(x[i], p[0], p[1]), outStrided[i], what + " strided");
                }
            }
        }
        float[][] ab = pairs();
        int m = ab[0].length;
        Layout pairs = Layout.contiguous(new int[] {m});
        for (BinaryOp op : BinaryOp.values()) {
            float[] out = new float[m];
            be.binary(op, JvmBackend.wrap(ab[0]), pairs, JvmBackend.wrap(ab[1]), pairs, JvmBackend.wrap(out));
            for (int i = 0; i < m; i++) {
                assertWithin(op.vectorForm().ulps(), op.apply(ab[0][i], ab[1][i]), out[i], op + "(" + ab[0][i] + ", " + ab[1][i] + ")");
            }
        }
    }
}
