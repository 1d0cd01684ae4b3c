package org.grad4j.kernels.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.UnaryOp;
import org.grad4j.kernels.VectorForm;

/**
 * Vector API versions of the unit-stride row kernels of {@link ElementwiseKernels}, for the ops whose
 * {@link VectorForm} is not NONE (the table says which, and how close to the scalar formula). A
 * method returns false when it has no vector form for the op, parameter or strides, and the caller
 * then runs the scalar kernel. exp/tanh/sigmoid use {@link VectorMath} (deterministic polynomials).
 *
 * <p>One method per op, each with its constant operator (the Vector API compiles to SIMD only then):
 * a vector loop the JIT met before it had run is compiled without its Vector API calls inlined, and
 * runs ten times slower for good; methods of their own are compiled each once it runs.
 */
final class VectorElementwise {
    private VectorElementwise() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    static boolean unary(UnaryOp op, float p0, float p1, float[] x, int xo, float[] out, int oo, int n) {
        if (op.vectorForm() == VectorForm.NONE || (op == UnaryOp.POW && p0 != 2f)) return false;
        int bound = n - n % L;
        switch (op) {
            case NEG -> neg(x, xo, out, oo, bound);
            case EXP -> VectorMath.exp(x, xo, out, oo, bound);
            case SQRT -> sqrt(x, xo, out, oo, bound);
            case ABS -> abs(x, xo, out, oo, bound);
            case TANH -> VectorMath.tanh(x, xo, out, oo, bound);
            case SIGMOID -> VectorMath.sigmoid(x, xo, out, oo, bound);
            case RELU -> relu(x, xo, out, oo, bound);
            case POW -> square(x, xo, out, oo, bound); // p0 == 2
            case AFFINE -> affine(p0, p1, x, xo, out, oo, bound);
            case RECIPROCAL -> reciprocal(x, xo, out, oo, bound);
            case GELU -> gelu(x, xo, out, oo, bound);
            default ->
                throw new IllegalStateException(
                        "unary op " + op + " has vector form " + op.vectorForm() + " in the table but no vector loop");
        }
        if (bound < n) ElementwiseKernels.unary(op, p0, p1, x, xo + bound, 1, out, oo + bound, n - bound);
        return true;
    }

    private static void neg(float[] x, int xo, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L)
            FloatVector.fromArray(S, x, xo + j).neg().intoArray(out, oo + j);
    }

    private static void sqrt(float[] x, int xo, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L)
            FloatVector.fromArray(S, x, xo + j).sqrt().intoArray(out, oo + j);
    }

    private static void abs(float[] x, int xo, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L)
            FloatVector.fromArray(S, x, xo + j).abs().intoArray(out, oo + j);
    }

    private static void relu(float[] x, int xo, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L)
            FloatVector.fromArray(S, x, xo + j).max(0f).intoArray(out, oo + j);
    }

    private static void square(float[] x, int xo, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + j);
            v.mul(v).intoArray(out, oo + j);
        }
    }

    private static void affine(float p0, float p1, float[] x, int xo, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L)
            FloatVector.fromArray(S, x, xo + j).mul(p0).add(p1).intoArray(out, oo + j);
    }

    private static void reciprocal(float[] x, int xo, float[] out, int oo, int bound) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int j = 0; j < bound; j += L)
            one.div(FloatVector.fromArray(S, x, xo + j)).intoArray(out, oo + j);
    }

    /** UnaryOp.GELU's formula lane for lane, x/2 · (1 + erf(x/√2)). */
    private static void gelu(float[] x, int xo, float[] out, int oo, int bound) {
        float[] lanes = new float[2 * L];
        for (int j = 0; j < bound; j += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + j);
            v.mul(0.5f)
                    .mul(VectorMath.erf(v.mul(UnaryOp.SQRT1_2), lanes).add(1f))
                    .intoArray(out, oo + j);
        }
    }

    /** Unit-stride or broadcast-scalar operands: strides (1,1), (1,0) or (0,1). */
    static boolean binary(
            BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        boolean unitOrBroadcast = (as == 1 || as == 0) && (bs == 1 || bs == 0) && !(as == 0 && bs == 0);
        if (op.vectorForm() == VectorForm.NONE || !unitOrBroadcast) return false;
        int bound = n - n % L;
        switch (op) {
            case ADD -> add(a, ao, as, b, bo, bs, out, oo, bound);
            case SUB -> sub(a, ao, as, b, bo, bs, out, oo, bound);
            case MUL -> mul(a, ao, as, b, bo, bs, out, oo, bound);
            case DIV -> div(a, ao, as, b, bo, bs, out, oo, bound);
            case MAXIMUM -> maximum(a, ao, as, b, bo, bs, out, oo, bound);
            case MINIMUM -> minimum(a, ao, as, b, bo, bs, out, oo, bound);
            case TANH_BACKWARD -> tanhBackward(a, ao, as, b, bo, bs, out, oo, bound);
            case SIGMOID_BACKWARD -> sigmoidBackward(a, ao, as, b, bo, bs, out, oo, bound);
            case RELU_BACKWARD -> reluBackward(a, ao, as, b, bo, bs, out, oo, bound);
            case GELU_BACKWARD -> geluBackward(a, ao, as, b, bo, bs, out, oo, bound);
            default ->
                throw new IllegalStateException(
                        "binary op " + op + " has vector form " + op.vectorForm() + " in the table but no vector loop");
        }
        if (bound < n) {
            ElementwiseKernels.binary(op, a, ao + bound * as, as, b, bo + bound * bs, bs, out, oo + bound, n - bound);
        }
        return true;
    }

    private static void add(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L)
            va(a, ao, as, j).add(vb(b, bo, bs, j)).intoArray(out, oo + j);
    }

    private static void sub(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L)
            va(a, ao, as, j).sub(vb(b, bo, bs, j)).intoArray(out, oo + j);
    }

    private static void mul(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L)
            va(a, ao, as, j).mul(vb(b, bo, bs, j)).intoArray(out, oo + j);
    }

    private static void div(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L)
            va(a, ao, as, j).div(vb(b, bo, bs, j)).intoArray(out, oo + j);
    }

    private static void maximum(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L)
            va(a, ao, as, j).max(vb(b, bo, bs, j)).intoArray(out, oo + j);
    }

    private static void minimum(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L)
            va(a, ao, as, j).min(vb(b, bo, bs, j)).intoArray(out, oo + j);
    }

    /** a * (1 - y*y), written -(y*y) + 1: the same rounding. */
    private static void tanhBackward(
            float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L) {
            FloatVector y = vb(b, bo, bs, j);
            va(a, ao, as, j).mul(y.mul(y).neg().add(1f)).intoArray(out, oo + j);
        }
    }

    private static void sigmoidBackward(
            float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L) {
            FloatVector y = vb(b, bo, bs, j);
            va(a, ao, as, j).mul(y).mul(y.neg().add(1f)).intoArray(out, oo + j);
        }
    }

    private static void reluBackward(
            float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int bound) {
        for (int j = 0; j < bound; j += L) {
            FloatVector y = vb(b, bo, bs, j);
            va(a, ao, as, j).blend(0f, y.compare(VectorOperators.GT, 0f).not()).intoArray(out, oo + j);
        }
    }

    /**
     * BinaryOp.GELU_BACKWARD's formula lane for lane (erf and exp as the table's, see VectorMath);
     * chunk by chunk, so out may be one of the operands.
     */
    private static void geluBackward(
            float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int bound) {
        float[] lanes = new float[2 * L];
        for (int j = 0; j < bound; j += L) {
            // loads spelled out, not through va/vb: this loop is large enough that C2 stops inlining them
            FloatVector x = bs == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + j);
            FloatVector g = as == 0 ? FloatVector.broadcast(S, a[ao]) : FloatVector.fromArray(S, a, ao + j);
            FloatVector cdf =
                    VectorMath.erf(x.mul(UnaryOp.SQRT1_2), lanes).add(1f).mul(0.5f);
            FloatVector pdf = VectorMath.exp(x.mul(-0.5f).mul(x)).mul(BinaryOp.INV_SQRT_2PI);
            g.mul(cdf.add(x.mul(pdf))).intoArray(out, oo + j);
        }
    }

    /** Lanes j.. of an operand with stride 1, or its single element broadcast (stride 0). */
    private static FloatVector va(float[] a, int ao, int as, int j) {
        return as == 0 ? FloatVector.broadcast(S, a[ao]) : FloatVector.fromArray(S, a, ao + j);
    }

    private static FloatVector vb(float[] b, int bo, int bs, int j) {
        return bs == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + j);
    }

    /** {@code out[j] = sum_i x[off + i*rowStride + j]} for j < cols, accumulated in double per block of rows. */
    static void columnSums(float[] x, int off, int rows, int rowStride, int cols, float[] out) {
        double[] acc = new double[cols];
        float[] block = new float[cols];
        int bound = cols - cols % L;
        for (int r0 = 0; r0 < rows; r0 += 256) {
            java.util.Arrays.fill(block, 0f);
            int r1 = Math.min(rows, r0 + 256);
            for (int i = r0; i < r1; i++) {
                int row = off + i * rowStride, j = 0;
                for (; j < bound; j += L) {
                    FloatVector.fromArray(S, x, row + j)
                            .add(FloatVector.fromArray(S, block, j))
                            .intoArray(block, j);
                }
                for (; j < cols; j++) block[j] += x[row + j];
            }
            for (int j = 0; j < cols; j++) acc[j] += block[j];
        }
        for (int j = 0; j < cols; j++) out[j] = (float) acc[j];
    }

    /** {@link ElementwiseKernels#addScaled} with vectors (the same roundings). */
    static void addScaled(boolean sub, float[] a, int ao, float[] b, int bo, float alpha, float[] out, int oo, int n) {
        int j = 0, bound = n - n % L;
        if (sub) {
            for (; j < bound; j += L) {
                FloatVector t = FloatVector.fromArray(S, b, bo + j).mul(alpha).add(0f);
                FloatVector.fromArray(S, a, ao + j).sub(t).intoArray(out, oo + j);
            }
        } else {
            for (; j < bound; j += L) {
                FloatVector t = FloatVector.fromArray(S, b, bo + j).mul(alpha).add(0f);
                FloatVector.fromArray(S, a, ao + j).add(t).intoArray(out, oo + j);
            }
        }
        ElementwiseKernels.addScaled(sub, a, ao + j, b, bo + j, alpha, out, oo + j, n - j);
    }

    /**
     * {@link #sum}, its 1024-float blocks spread over the threads: each block's lanes are kept and
     * then added in the serial order, so the result has the same bits on any number of threads.
     */
    static double sumParallel(float[] x, int xo, int n) {
        int vecEnd = n - n % L, blocks = (vecEnd + 1023) / 1024, perTask = 16;
        float[] lanes = new float[blocks * L];
        org.grad4j.kernels.Parallel.forRange((blocks + perTask - 1) / perTask, n, (from, to) -> {
            for (int b = from * perTask, last = Math.min(blocks, to * perTask); b < last; b++) {
                FloatVector acc = FloatVector.zero(S);
                for (int j = b * 1024, end = Math.min(vecEnd, j + 1024); j < end; j += L)
                    acc = acc.add(FloatVector.fromArray(S, x, xo + j));
                acc.intoArray(lanes, b * L);
            }
        });
        double total = 0;
        for (float f : lanes) total += f;
        for (int j = vecEnd; j < n; j++) total += x[xo + j];
        return total;
    }

    /** Sum of a unit-stride run: float lanes per block of 1024, blocks added in double. */
    static double sum(float[] x, int xo, int n) {
        double total = 0;
        float[] lanes = new float[L];
        int j = 0;
        while (n - j >= L) {
            int end = Math.min(n, j + 1024);
            end -= (end - j) % L;
            FloatVector acc = FloatVector.zero(S);
            for (; j < end; j += L) acc = acc.add(FloatVector.fromArray(S, x, xo + j));
            // lanes added in a fixed order: reduceLanes' order differs between compiled and interpreted code
            acc.intoArray(lanes, 0);
            for (float f : lanes) total += f;
        }
        for (; j < n; j++) total += x[xo + j];
        return total;
    }
}
