package org.grad4j.kernels.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Loops computing exp, tanh and sigmoid on float vectors from +, *, fma and bit operations only
 * (Cephes' expf and tanhf polynomials, within a few ulp). Why not the Vector API's own EXP/TANH: those
 * run on SVML once C2 has compiled the loop but on per-lane Java code before, and the two differ in
 * the last bits, so a run's numbers would depend on JIT timing. These are exact IEEE arithmetic in
 * every execution mode: the same inputs always give the same bits.
 *
 * <p>Clamps are a compare and a blend, not {@code max}/{@code min}: those follow Math.max's rules for
 * NaN and -0, six instructions each in C2's code, for the same values here (a NaN stays a NaN). The
 * exponent's integer is the one converted for the floor, corrected where truncation went up: each
 * float-to-int conversion is five instructions (Java's rule for NaN and overflow).
 *
 * <p>The exp polynomial is written out in each loop on purpose: a vector passed to a method that is
 * not inlined is boxed on the heap, which made the loops several times slower (measured), and whether
 * C2 inlines a 262-byte method depends on its size limits and on whether the callee was already
 * compiled on its own. {@link #exp(FloatVector)} is the method form, used only by the GELU backward
 * loop, where {@code -XX:+PrintInlining} shows C2 inlining it ("inline (hot)").
 */
final class VectorMath {
    private VectorMath() {}

    static final VectorSpecies<Float> S = VectorElementwise.S;
    static final int L = S.length();
    private static final VectorSpecies<Integer> IS = S.withLanes(int.class);

    private static final float EXP_HI = 88.72283935546875f,
            EXP_LO = -87.33654f; // below EXP_LO: subnormal, flushed to 0
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f,
            P1 = 1.3981999507e-3f,
            P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f,
            P5 = 5.0000001201e-1f;
    private static final float T0 = -5.70498872745e-3f,
            T1 = 2.06390887954e-2f,
            T2 = -5.37397155531e-2f,
            T3 = 1.33314422036e-1f,
            T4 = -3.33332819422e-1f;

    /** A broadcast constant (small enough to inline; C2 hoists it out of the loops). */
    private static FloatVector bc(float v) {
        return FloatVector.broadcast(S, v);
    }

    /** out[oo+j] = exp(x[xo+j]) for j < bound (a multiple of L). */
    static void exp(float[] x, int xo, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L)
            exp(FloatVector.fromArray(S, x, xo + j)).intoArray(out, oo + j);
    }

    /**
     * {@link org.grad4j.kernels.UnaryOp#erf} lane by lane, the same bits: the inner polynomial in
     * vectors; lanes past the split (|a| > 0.927734375, whose formula needs Math.exp) through the scalar
     * erf, by way of {@code lanes} (2L floats of scratch).
     */
    static FloatVector erf(FloatVector a, float[] lanes) {
        FloatVector s = a.mul(a);
        FloatVector r = s.fma(bc(-5.96761703e-4f), bc(4.99119423e-3f))
                .fma(s, bc(-2.67681349e-2f))
                .fma(s, bc(1.12819925e-1f))
                .fma(s, bc(-3.76125336e-1f))
                .fma(s, bc(1.28379166e-1f))
                .fma(a, a);
        VectorMask<Float> outer = a.abs().compare(VectorOperators.GT, 0.927734375f);
        if (!outer.anyTrue()) return r;
        r.intoArray(lanes, 0);
        a.intoArray(lanes, L);
        for (int i = 0; i < L; i++) if (outer.laneIsSet(i)) lanes[i] = org.grad4j.kernels.UnaryOp.erf(lanes[L + i]);
        return FloatVector.fromArray(S, lanes, 0);
    }

    /** exp lane by lane, the same bits as {@link org.grad4j.kernels.UnaryOp#expf}. */
    static FloatVector exp(FloatVector a) {
        FloatVector c = a.blend(EXP_LO, a.compare(VectorOperators.LT, EXP_LO));
        c = c.blend(EXP_HI, c.compare(VectorOperators.GT, EXP_HI));
        FloatVector t = c.fma(LOG2E, 0.5f);
        IntVector ti = (IntVector) t.convert(VectorOperators.F2I, 0);
        FloatVector tr = (FloatVector) ti.convert(VectorOperators.I2F, 0);
        VectorMask<Float> above = tr.compare(VectorOperators.GT, t);
        FloatVector n = tr.blend(tr.sub(1f), above);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), c).add(n.mul(-LN2_LO));
        FloatVector y = r.fma(P0, P1)
                .fma(r, bc(P2))
                .fma(r, bc(P3))
                .fma(r, bc(P4))
                .fma(r, bc(P5))
                .fma(r.mul(r), r)
                .add(1f);
        IntVector ni = ti.blend(ti.sub(1), above.cast(IS));
        IntVector h = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector e = y.mul(h.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                .mul(ni.sub(h).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
        e = e.blend(Float.POSITIVE_INFINITY, a.compare(VectorOperators.GT, EXP_HI))
                .blend(0f, a.compare(VectorOperators.LT, EXP_LO));
        return e;
    }

    /** x[off..off+bound) = exp(x - shift) in place (bound a multiple of L); returns their sum (attention's softmax rows). */
    static float expShiftedSum(float[] x, int off, int bound, float shift) {
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < bound; j += L) {
            FloatVector a = FloatVector.fromArray(S, x, off + j).sub(shift);
            // ---- exp(a) ----
            FloatVector c = a.blend(EXP_LO, a.compare(VectorOperators.LT, EXP_LO));
            c = c.blend(EXP_HI, c.compare(VectorOperators.GT, EXP_HI));
            FloatVector t = c.fma(LOG2E, 0.5f);
            IntVector ti = (IntVector) t.convert(VectorOperators.F2I, 0);
            FloatVector tr = (FloatVector) ti.convert(VectorOperators.I2F, 0);
            VectorMask<Float> above = tr.compare(VectorOperators.GT, t);
            FloatVector n = tr.blend(tr.sub(1f), above);
            FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), c).add(n.mul(-LN2_LO));
            FloatVector y = r.fma(P0, P1)
                    .fma(r, bc(P2))
                    .fma(r, bc(P3))
                    .fma(r, bc(P4))
                    .fma(r, bc(P5))
                    .fma(r.mul(r), r)
                    .add(1f);
            IntVector ni = ti.blend(ti.sub(1), above.cast(IS));
            IntVector h = ni.lanewise(VectorOperators.ASHR, 1);
            FloatVector e = y.mul(h.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(ni.sub(h).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            e = e.blend(Float.POSITIVE_INFINITY, a.compare(VectorOperators.GT, EXP_HI))
                    .blend(0f, a.compare(VectorOperators.LT, EXP_LO));
            // ----------------
            e.intoArray(x, off + j);
            acc = acc.add(e);
        }
        return sumInOrder(acc);
    }

    /** The lanes of v added from lane 0 up: reduceLanes' order differs between compiled and interpreted code. */
    static float sumInOrder(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < L; i++) s += v.lane(i);
        return s;
    }

    /** The maximum of x[off..off+bound) (bound a multiple of L), -inf when empty. */
    static float max(float[] x, int off, int bound) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < bound; j += L) acc = acc.max(FloatVector.fromArray(S, x, off + j));
        return acc.reduceLanes(VectorOperators.MAX);
    }

    /** out = 1 / (1 + exp(-x)). */
    static void sigmoid(float[] x, int xo, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L) {
            FloatVector a = FloatVector.fromArray(S, x, xo + j).neg();
            // ---- exp(a) ----
            FloatVector c = a.blend(EXP_LO, a.compare(VectorOperators.LT, EXP_LO));
            c = c.blend(EXP_HI, c.compare(VectorOperators.GT, EXP_HI));
            FloatVector t = c.fma(LOG2E, 0.5f);
            IntVector ti = (IntVector) t.convert(VectorOperators.F2I, 0);
            FloatVector tr = (FloatVector) ti.convert(VectorOperators.I2F, 0);
            VectorMask<Float> above = tr.compare(VectorOperators.GT, t);
            FloatVector n = tr.blend(tr.sub(1f), above);
            FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), c).add(n.mul(-LN2_LO));
            FloatVector y = r.fma(P0, P1)
                    .fma(r, bc(P2))
                    .fma(r, bc(P3))
                    .fma(r, bc(P4))
                    .fma(r, bc(P5))
                    .fma(r.mul(r), r)
                    .add(1f);
            IntVector ni = ti.blend(ti.sub(1), above.cast(IS));
            IntVector h = ni.lanewise(VectorOperators.ASHR, 1);
            FloatVector e = y.mul(h.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(ni.sub(h).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            e = e.blend(Float.POSITIVE_INFINITY, a.compare(VectorOperators.GT, EXP_HI))
                    .blend(0f, a.compare(VectorOperators.LT, EXP_LO));
            // ----------------
            FloatVector.broadcast(S, 1f).div(e.add(1f)).intoArray(out, oo + j);
        }
    }

    /**
     * tanh: an odd polynomial below |x| = 0.625 (no cancellation near 0), else 1 - 2/(exp(2|x|) + 1) signed.
     * 2|x| is capped at 40, where the result already rounds to 1 (from |x| = 9.02 on): so exp needs no
     * overflow or underflow handling and 2^n is one exponent, giving the same bits as the general exp.
     */
    static void tanh(float[] x, int xo, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + j);
            FloatVector ax = v.abs();
            FloatVector z = v.mul(v);
            FloatVector small = z.fma(T0, T1)
                    .fma(z, bc(T2))
                    .fma(z, bc(T3))
                    .fma(z, bc(T4))
                    .mul(z)
                    .fma(v, v);
            FloatVector c = ax.add(ax);
            c = c.blend(TANH_CAP, c.compare(VectorOperators.GT, TANH_CAP));
            // ---- exp(c), c in [0, 40] ----
            FloatVector t = c.fma(LOG2E, 0.5f);
            IntVector ni = (IntVector) t.convert(VectorOperators.F2I, 0); // t >= 0.5: truncation is floor
            FloatVector n = (FloatVector) ni.convert(VectorOperators.I2F, 0);
            FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), c).add(n.mul(-LN2_LO));
            FloatVector y = r.fma(P0, P1)
                    .fma(r, bc(P2))
                    .fma(r, bc(P3))
                    .fma(r, bc(P4))
                    .fma(r, bc(P5))
                    .fma(r.mul(r), r)
                    .add(1f);
            FloatVector e = y.mul(ni.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            // ----------------
            FloatVector big = FloatVector.broadcast(S, 1f)
                    .sub(FloatVector.broadcast(S, 2f).div(e.add(1f)));
            big = big.blend(big.neg(), v.compare(VectorOperators.LT, 0f));
            big.blend(small, ax.compare(VectorOperators.LT, 0.625f))
                    .blend(v, v.compare(VectorOperators.NE, v))
                    .intoArray(out, oo + j);
        }
    }

    private static final float TANH_CAP = 40f;
}
