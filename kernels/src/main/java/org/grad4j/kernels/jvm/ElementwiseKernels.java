package org.grad4j.kernels.jvm;

import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.UnaryOp;

/**
 * Row kernels for elementwise ops: one strided row of {@code n} elements per call. Each op's loop is
 * a method of its own that calls the op's scalar formula from the table ({@link UnaryOp#apply},
 * {@link BinaryOp#apply}) on the enum constant itself, so the JIT binds and inlines it: a plain
 * counted loop, no call per element. One method per op, not one method with a case per op: the JIT
 * compiles a method with the profile it has then, and a case that had not run yet kept an
 * out-of-line call per element for good (several times slower).
 */
final class ElementwiseKernels {
    private ElementwiseKernels() {}

    static void unary(UnaryOp op, float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        switch (op) {
            case NEG -> neg(p0, p1, x, xo, xs, out, oo, n);
            case EXP -> exp(p0, p1, x, xo, xs, out, oo, n);
            case LOG -> log(p0, p1, x, xo, xs, out, oo, n);
            case SQRT -> sqrt(p0, p1, x, xo, xs, out, oo, n);
            case ABS -> abs(p0, p1, x, xo, xs, out, oo, n);
            case TANH -> tanh(p0, p1, x, xo, xs, out, oo, n);
            case SIGMOID -> sigmoid(p0, p1, x, xo, xs, out, oo, n);
            case RELU -> relu(p0, p1, x, xo, xs, out, oo, n);
            case SIGN -> sign(p0, p1, x, xo, xs, out, oo, n);
            case POW -> {
                if (p0 == 2f) square(p1, x, xo, xs, out, oo, n);
                else pow(p0, p1, x, xo, xs, out, oo, n);
            }
            case POW_BASE -> powBase(p0, p1, x, xo, xs, out, oo, n);
            case AFFINE -> affine(p0, p1, x, xo, xs, out, oo, n);
            case CLAMP -> clamp(p0, p1, x, xo, xs, out, oo, n);
            case RECIPROCAL -> reciprocal(p0, p1, x, xo, xs, out, oo, n);
            case SILU -> silu(p0, p1, x, xo, xs, out, oo, n);
            case ERF -> erf(p0, p1, x, xo, xs, out, oo, n);
            case GELU -> gelu(p0, p1, x, xo, xs, out, oo, n);
            case GELU_TANH -> geluTanh(p0, p1, x, xo, xs, out, oo, n);
            case SOFTPLUS -> softplus(p0, p1, x, xo, xs, out, oo, n);
            case LEAKY_RELU -> leakyRelu(p0, p1, x, xo, xs, out, oo, n);
            default -> throw new IllegalArgumentException("unary op " + op + " has no JVM kernel");
        }
    }

    static void binary(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        switch (op) {
            case ADD -> add(a, ao, as, b, bo, bs, out, oo, n);
            case SUB -> sub(a, ao, as, b, bo, bs, out, oo, n);
            case MUL -> mul(a, ao, as, b, bo, bs, out, oo, n);
            case DIV -> div(a, ao, as, b, bo, bs, out, oo, n);
            case POW -> powTensor(a, ao, as, b, bo, bs, out, oo, n);
            case MAXIMUM -> maximum(a, ao, as, b, bo, bs, out, oo, n);
            case MINIMUM -> minimum(a, ao, as, b, bo, bs, out, oo, n);
            case EQ -> eq(a, ao, as, b, bo, bs, out, oo, n);
            case NE -> ne(a, ao, as, b, bo, bs, out, oo, n);
            case LT -> lt(a, ao, as, b, bo, bs, out, oo, n);
            case LE -> le(a, ao, as, b, bo, bs, out, oo, n);
            case GT -> gt(a, ao, as, b, bo, bs, out, oo, n);
            case GE -> ge(a, ao, as, b, bo, bs, out, oo, n);
            case TANH_BACKWARD -> tanhBackward(a, ao, as, b, bo, bs, out, oo, n);
            case SIGMOID_BACKWARD -> sigmoidBackward(a, ao, as, b, bo, bs, out, oo, n);
            case RELU_BACKWARD -> reluBackward(a, ao, as, b, bo, bs, out, oo, n);
            case GELU_BACKWARD -> geluBackward(a, ao, as, b, bo, bs, out, oo, n);
            default -> throw new IllegalArgumentException("binary op " + op + " has no JVM kernel");
        }
    }

    private static void silu(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.SILU.apply(x[xo + j * xs], p0, p1);
    }

    private static void erf(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.ERF.apply(x[xo + j * xs], p0, p1);
    }

    private static void gelu(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.GELU.apply(x[xo + j * xs], p0, p1);
    }

    private static void geluTanh(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.GELU_TANH.apply(x[xo + j * xs], p0, p1);
    }

    private static void softplus(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.SOFTPLUS.apply(x[xo + j * xs], p0, p1);
    }

    private static void leakyRelu(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.LEAKY_RELU.apply(x[xo + j * xs], p0, p1);
    }

    private static void neg(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.NEG.apply(x[xo + j * xs], p0, p1);
    }

    private static void exp(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.EXP.apply(x[xo + j * xs], p0, p1);
    }

    private static void log(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.LOG.apply(x[xo + j * xs], p0, p1);
    }

    private static void sqrt(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.SQRT.apply(x[xo + j * xs], p0, p1);
    }

    private static void abs(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.ABS.apply(x[xo + j * xs], p0, p1);
    }

    private static void tanh(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.TANH.apply(x[xo + j * xs], p0, p1);
    }

    private static void sigmoid(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.SIGMOID.apply(x[xo + j * xs], p0, p1);
    }

    private static void relu(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.RELU.apply(x[xo + j * xs], p0, p1);
    }

    private static void sign(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.SIGN.apply(x[xo + j * xs], p0, p1);
    }

    private static void pow(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.POW.apply(x[xo + j * xs], p0, p1);
    }

    /** POW with p0 = 2 (x.square(), x ** 2), the exponent a constant: the formula folds to x*x. */
    private static void square(float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.POW.apply(x[xo + j * xs], 2f, p1);
    }

    private static void powBase(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.POW_BASE.apply(x[xo + j * xs], p0, p1);
    }

    private static void affine(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.AFFINE.apply(x[xo + j * xs], p0, p1);
    }

    private static void clamp(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.CLAMP.apply(x[xo + j * xs], p0, p1);
    }

    private static void reciprocal(float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.RECIPROCAL.apply(x[xo + j * xs], p0, p1);
    }

    private static void add(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.ADD.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void sub(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.SUB.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void mul(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.MUL.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void div(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.DIV.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void powTensor(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.POW.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void maximum(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.MAXIMUM.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void minimum(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.MINIMUM.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void eq(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.EQ.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void ne(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.NE.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void lt(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.LT.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void le(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.LE.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void gt(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.GT.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void ge(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.GE.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void geluBackward(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.GELU_BACKWARD.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void tanhBackward(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.TANH_BACKWARD.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void sigmoidBackward(
            float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.SIGMOID_BACKWARD.apply(a[ao + j * as], b[bo + j * bs]);
    }

    private static void reluBackward(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.RELU_BACKWARD.apply(a[ao + j * as], b[bo + j * bs]);
    }

    static void where(
            float[] c,
            int co,
            int cs,
            float[] a,
            int ao,
            int as,
            float[] b,
            int bo,
            int bs,
            float[] out,
            int oo,
            int n) {
        for (int j = 0; j < n; j++) out[oo + j] = c[co + j * cs] != 0f ? a[ao + j * as] : b[bo + j * bs];
    }

    /** Strided row copy: {@code dst[do + j*ds] = src[so + j*ss]}. */
    static void copy(float[] src, int so, int ss, float[] dst, int dOff, int ds, int n) {
        for (int j = 0; j < n; j++) dst[dOff + j * ds] = src[so + j * ss];
    }

    /** {@code out = a ± (alpha*b + 0)}: ADD or SUB after AFFINE (two roundings, as the two ops), in one pass. */
    static void addScaled(boolean sub, float[] a, int ao, float[] b, int bo, float alpha, float[] out, int oo, int n) {
        for (int j = 0; j < n; j++) {
            float t = alpha * b[bo + j] + 0f;
            out[oo + j] = sub ? a[ao + j] - t : a[ao + j] + t;
        }
    }

    static void fill(float[] dst, int dOff, int ds, int n, float v) {
        for (int j = 0; j < n; j++) dst[dOff + j * ds] = v;
    }
}
