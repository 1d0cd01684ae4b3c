package org.grad4j.kernels.jvm;

import static org.grad4j.kernels.ElementwiseCases.assertSame;
import static org.grad4j.kernels.ElementwiseCases.assertWithin;
import static org.grad4j.kernels.ElementwiseCases.pairs;
import static org.grad4j.kernels.ElementwiseCases.parameters;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;
import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.ElementwiseCases;
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
    private static final float[] SPECIAL = ElementwiseCases.SPECIAL;

    // ---- device codes ---------------------------------------------------------------------------

    @Test
    void everyOpHasTheDeviceCodeNamedAfterItAndNoOther() throws ReflectiveOperationException {
        checkCodes(
                UnaryOp.class,
                UnaryOp.Code.class,
                Arrays.stream(UnaryOp.values()).mapToInt(UnaryOp::code));
        checkCodes(
                BinaryOp.class,
                BinaryOp.Code.class,
                Arrays.stream(BinaryOp.values()).mapToInt(BinaryOp::code));
        checkCodes(
                ReduceOp.class,
                ReduceOp.Code.class,
                Arrays.stream(ReduceOp.values()).mapToInt(ReduceOp::code));
    }

    /** {@code codesInOrder}: the ops' code() in the enum's order. */
    private static void checkCodes(Class<? extends Enum<?>> ops, Class<?> codes, IntStream codesInOrder)
            throws ReflectiveOperationException {
        Enum<?>[] values = ops.getEnumConstants();
        int[] codeOfOp = codesInOrder.toArray();
        Set<Integer> seen = new HashSet<>();
        for (Enum<?> op : values) {
            Field f = codes.getField(op.name());
            int m = f.getModifiers();
            assertTrue(
                    Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == int.class,
                    codes.getName() + "." + op.name() + " is a static final int");
            assertEquals(
                    f.getInt(null),
                    codeOfOp[op.ordinal()],
                    op + ".code() is " + codes.getSimpleName() + "." + op.name());
            assertTrue(seen.add(codeOfOp[op.ordinal()]), op + ": code " + codeOfOp[op.ordinal()] + " is taken twice");
        }
        long declared = Arrays.stream(codes.getDeclaredFields())
                .filter(f -> Modifier.isStatic(f.getModifiers()))
                .count();
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
                    assertWithin(
                            op.vectorForm().ulps(),
                            op.apply(x[i], p[0], p[1]),
                            out[i + 3],
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
                assertEquals(
                        vectorised,
                        VectorElementwise.binary(op, a, ao, s[0], b, bo, s[1], out, 0, n),
                        op + " strides " + Arrays.toString(s) + ": vector form " + op.vectorForm());
                if (!vectorised) continue;
                for (int i = 0; i < n; i++) {
                    float ai = a[ao + i * s[0]], bi = b[bo + i * s[1]];
                    assertWithin(op.vectorForm().ulps(), op.apply(ai, bi), out[i], op + "(" + ai + ", " + bi + ")");
                }
            }
            assertFalse(
                    VectorElementwise.binary(op, a, 0, 2, b, 0, 1, new float[n / 2], 0, n / 2),
                    op + " with a strided operand");
        }
    }

    /**
     * The scalar expf (GELU_BACKWARD's φ) is the vector exp lane for lane, and within the polynomial
     * form's ulps of Math.exp over the normal range; 0 below it, infinity above, NaN for NaN.
     */
    @Test
    void scalarExpfIsTheVectorExp() {
        assumeTrue(Simd.AVAILABLE, "no Vector API in this JVM");
        int n = 4096 * VectorMath.L;
        float[] x = new float[n], out = new float[n];
        for (int i = 0; i < n; i++) x[i] = -87f + 175.7f * i / n;
        x[0] = Float.NaN;
        x[1] = -100f;
        x[2] = 100f;
        x[3] = -0f;
        VectorMath.exp(x, 0, out, 0, n);
        for (int i = 0; i < n; i++) {
            assertSame(UnaryOp.expf(x[i]), out[i], "exp(" + x[i] + ")");
            if (i > 3) assertWithin(VectorForm.POLYNOMIAL.ulps(), (float) Math.exp(x[i]), out[i], "exp(" + x[i] + ")");
        }
        assertTrue(Float.isNaN(UnaryOp.expf(Float.NaN)));
        assertEquals(0f, UnaryOp.expf(-100f));
        assertEquals(Float.POSITIVE_INFINITY, UnaryOp.expf(100f));
        assertEquals(1f, UnaryOp.expf(-0f));
    }

    /** GELU's vector loop (erf's inner polynomial in vectors, the outer lanes scalar) gives the table's bits on both sides of erf's split. */
    @Test
    void geluVectorLoopsAreTheTableAcrossErfsSplit() {
        assumeTrue(Simd.AVAILABLE, "no Vector API in this JVM");
        int n = 1024 * VectorMath.L;
        float[] x = new float[n], g = new float[n], out = new float[n], back = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -6f + 12f * i / n + (i % 3 == 0 ? 1e-3f * (i % 7) : 0f);
            g[i] = 1f - 2f * (i % 5) / 5f;
        }
        assertTrue(VectorElementwise.unary(UnaryOp.GELU, 0f, 0f, x, 0, out, 0, n));
        assertTrue(VectorElementwise.binary(BinaryOp.GELU_BACKWARD, g, 0, 1, x, 0, 1, back, 0, n));
        for (int i = 0; i < n; i++) {
            assertSame(UnaryOp.GELU.apply(x[i], 0f, 0f), out[i], "gelu(" + x[i] + ")");
            assertSame(BinaryOp.GELU_BACKWARD.apply(g[i], x[i]), back[i], "gelu_backward(" + g[i] + ", " + x[i] + ")");
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
                assertWithin(
                        op.vectorForm().ulps(),
                        op.apply(ab[0][i], ab[1][i]),
                        out[i],
                        op + "(" + ab[0][i] + ", " + ab[1][i] + ")");
            }
        }
    }

    /**
     * pow as PyTorch's (C's pow): 1 for a base of 1 whatever the exponent, NaN included, and for -1 to
     * an infinite power, where Java's Math.pow gives NaN; the other special cases as Math.pow.
     */
    @Test
    void powFollowsPyTorchAtItsSpecialCases() {
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
        float[] base = {1f, 1f, 1f, -1f, -1f, nan, 2f, -8f, 0f, -0f};
        float[] exp = {nan, inf, -inf, inf, -inf, 0f, nan, 1f / 3, -1f, -3f};
        float[] expected = {1f, 1f, 1f, 1f, 1f, 1f, nan, nan, inf, -inf};
        JvmBackend be = JvmBackend.INSTANCE;
        int n = base.length;
        Layout dense = Layout.contiguous(new int[] {n}), single = Layout.contiguous(new int[] {1});
        float[] out = new float[n];
        be.binary(BinaryOp.POW, JvmBackend.wrap(base), dense, JvmBackend.wrap(exp), dense, JvmBackend.wrap(out));
        for (int i = 0; i < n; i++) assertSame(expected[i], out[i], "pow(" + base[i] + ", " + exp[i] + ")");
        for (int i = 0; i < n; i++) {
            float[] one = new float[1];
            be.unary(UnaryOp.POW, exp[i], 0f, JvmBackend.wrap(new float[] {base[i]}), single, JvmBackend.wrap(one));
            assertSame(expected[i], one[0], "x.pow(" + exp[i] + ") at " + base[i]);
            Buffer exponent = JvmBackend.wrap(new float[] {exp[i]});
            be.unary(UnaryOp.POW_BASE, base[i], 0f, exponent, single, JvmBackend.wrap(one));
            assertSame(expected[i], one[0], base[i] + " ** x at " + exp[i]);
        }
    }
}
