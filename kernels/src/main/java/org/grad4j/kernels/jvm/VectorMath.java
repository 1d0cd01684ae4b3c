package org.grad4j.kernels.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp and tanh on float vectors built from +, *, fma and bit operations only (Cephes' expf and tanhf
 * polynomials, about 1-2 ulp). Why not the Vector API's own EXP/TANH: those run on SVML once C2 has
 * compiled the loop but on per-lane Java code before, and the two differ in the last bits, so the
 * same run could give different numbers depending on JIT timing. These are exact IEEE arithmetic in
 * every execution mode: the same inputs always give the same bits.
 */
final class VectorMath {
    private VectorMath() {}

    static final VectorSpecies<Float> S = VectorElementwise.S;

    private static final float EXP_HI = 88.72283935546875f, EXP_LO = -87.33654f; // below: subnormal results flush to 0
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;

    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(-87.33654f).min(EXP_HI); // NaN passes through max/min
        FloatVector fx = xc.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, 0.5f));
        FloatVector n = floor(fx);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector z = r.mul(r);
        FloatVector y = FloatVector.broadcast(S, 1.9875691500e-4f);
        y = y.fma(r, FloatVector.broadcast(S, 1.3981999507e-3f));
        y = y.fma(r, FloatVector.broadcast(S, 8.3334519073e-3f));
        y = y.fma(r, FloatVector.broadcast(S, 4.1665795894e-2f));
        y = y.fma(r, FloatVector.broadcast(S, 1.6666665459e-1f));
        y = y.fma(r, FloatVector.broadcast(S, 5.0000001201e-1f));
        y = y.fma(z, r).add(1f);
        // y * 2^n, n in [-126, 128]: build 2^n from its exponent bits (two factors keep n = 128 finite-safe)
        IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector p1 = pow2(half), p2 = pow2(ni.sub(half));
        FloatVector result = y.mul(p1).mul(p2);
        VectorMask<Float> over = x.compare(VectorOperators.GT, EXP_HI);
        VectorMask<Float> under = x.compare(VectorOperators.LT, EXP_LO);
        return result.blend(Float.POSITIVE_INFINITY, over).blend(0f, under);
    }

    /** 2^n for n in the normal exponent range, from bits. */
    private static FloatVector pow2(IntVector n) {
        return (FloatVector) n.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }

    /** floor for |v| < 2^31 (enough after clamping). */
    private static FloatVector floor(FloatVector v) {
        FloatVector t = (FloatVector) v.convert(VectorOperators.F2I, 0).convert(VectorOperators.I2F, 0); // truncation
        return t.blend(t.sub(1f), t.compare(VectorOperators.GT, v));
    }

    static FloatVector tanh(FloatVector x) {
        FloatVector ax = x.abs();
        // |x| < 0.625: odd polynomial (no cancellation near 0)
        FloatVector z = x.mul(x);
        FloatVector p = FloatVector.broadcast(S, -5.70498872745e-3f);
        p = p.fma(z, FloatVector.broadcast(S, 2.06390887954e-2f));
        p = p.fma(z, FloatVector.broadcast(S, -5.37397155531e-2f));
        p = p.fma(z, FloatVector.broadcast(S, 1.33314422036e-1f));
        p = p.fma(z, FloatVector.broadcast(S, -3.33332819422e-1f));
        FloatVector small = p.mul(z).fma(x, x);
        // otherwise 1 - 2 / (exp(2|x|) + 1), with the sign of x
        FloatVector e = exp(ax.add(ax));
        FloatVector big = FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(e.add(1f)));
        big = big.blend(big.neg(), x.compare(VectorOperators.LT, 0f));
        return big.blend(small, ax.compare(VectorOperators.LT, 0.625f)).blend(x, x.compare(VectorOperators.NE, x));
    }

    static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(S, 1f).div(exp(x.neg()).add(1f));
    }
}
