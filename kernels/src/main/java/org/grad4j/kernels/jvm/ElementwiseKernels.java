package org.grad4j.kernels.jvm;

import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.UnaryOp;

/**
 * Row kernels for elementwise ops: one strided row of {@code n} elements per call, the op chosen
 * once per row so the inner loop is a plain counted loop the JIT can vectorise. Each loop calls its
 * op's scalar formula from the table ({@link UnaryOp#apply}, {@link BinaryOp#apply}) through the
 * enum constant itself, so the JIT binds and inlines it: no virtual call per element.
 */
final class ElementwiseKernels {
    private ElementwiseKernels() {}

    static void unary(UnaryOp op, float p0, float p1, float[] x, int xo, int xs, float[] out, int oo, int n) {
        switch (op) {
            case NEG -> {
                for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.NEG.apply(x[xo + j * xs], p0, p1);
            }
            case EXP -> {
                for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.EXP.apply(x[xo + j * xs], p0, p1);
            }
            case LOG -> {
                for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.LOG.apply(x[xo + j * xs], p0, p1);
            }
            case SQRT -> {
                for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.SQRT.apply(x[xo + j * xs], p0, p1);
            }
            case ABS -> {
                for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.ABS.apply(x[xo + j * xs], p0, p1);
            }
            case TANH -> {
                for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.TANH.apply(x[xo + j * xs], p0, p1);
            }
            case SIGMOID -> {
                for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.SIGMOID.apply(x[xo + j * xs], p0, p1);
            }
            case RELU -> {
                for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.RELU.apply(x[xo + j * xs], p0, p1);
            }
            case SIGN -> {
                for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.SIGN.apply(x[xo + j * xs], p0, p1);
            }
            case POW -> { // the common exponents as constants, so that the formula's tests fold away
                if (p0 == 2f) {
                    for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.POW.apply(x[xo + j * xs], 2f, p1);
                } else if (p0 == 1f) {
                    for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.POW.apply(x[xo + j * xs], 1f, p1);
                } else {
                    for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.POW.apply(x[xo + j * xs], p0, p1);
                }
            }
            case POW_BASE -> {
                for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.POW_BASE.apply(x[xo + j * xs], p0, p1);
            }
            case AFFINE -> {
                for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.AFFINE.apply(x[xo + j * xs], p0, p1);
            }
            case CLAMP -> {
                for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.CLAMP.apply(x[xo + j * xs], p0, p1);
            }
            case RECIPROCAL -> {
                for (int j = 0; j < n; j++) out[oo + j] = UnaryOp.RECIPROCAL.apply(x[xo + j * xs], p0, p1);
            }
            default -> throw new IllegalArgumentException("unary op " + op + " has no JVM kernel");
        }
    }

    static void binary(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        switch (op) {
            case ADD -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.ADD.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case SUB -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.SUB.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case MUL -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.MUL.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case DIV -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.DIV.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case POW -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.POW.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case MAXIMUM -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.MAXIMUM.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case MINIMUM -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.MINIMUM.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case EQ -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.EQ.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case NE -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.NE.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case LT -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.LT.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case LE -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.LE.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case GT -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.GT.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case GE -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.GE.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case TANH_BACKWARD -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.TANH_BACKWARD.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case SIGMOID_BACKWARD -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.SIGMOID_BACKWARD.apply(a[ao + j * as], b[bo + j * bs]);
            }
            case RELU_BACKWARD -> {
                for (int j = 0; j < n; j++) out[oo + j] = BinaryOp.RELU_BACKWARD.apply(a[ao + j * as], b[bo + j * bs]);
            }
            default -> throw new IllegalArgumentException("binary op " + op + " has no JVM kernel");
        }
    }

    static void where(float[] c, int co, int cs, float[] a, int ao, int as, float[] b, int bo, int bs,
                      float[] out, int oo, int n) {
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
