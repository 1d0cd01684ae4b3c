package org.grad4j.kernels.tornado;

import org.grad4j.kernels.Attention;
import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.ReduceOp;
import org.grad4j.kernels.UnaryOp;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The TornadoVM backend's kernels: one GPU thread per output element ({@code ctx.globalIdx}), every
 * tensor a region of the one device array {@code mem}. Sizes, offsets, strides and op codes come in
 * the small {@code p} (int) and {@code f} (float) parameter arrays that travel with each launch, so
 * each method is compiled once and serves every shape. Elementwise ops come as the codes of their
 * table ({@link UnaryOp.Code}, {@link BinaryOp.Code}); the arithmetic follows the JVM backend's
 * (same NaN rules, sums in double), and TornadoBackendTest compares the two.
 *
 * <p>Layout of {@code p} for the strided kernels: {@code p[0]} element count, {@code p[1]} op code,
 * {@code p[2]} rank, {@code p[3]} output offset, {@code p[4..6]} input offsets, shape at
 * {@link #SHAPE}, the inputs' strides at {@link #STRIDES} + k·{@link #MAX_RANK}.
 */
final class TornadoKernels {
    private TornadoKernels() {}

    static final int MAX_RANK = 8;
    static final int SHAPE = 8;
    static final int STRIDES = SHAPE + MAX_RANK;
    /** Parameter slots of a launch (strides of three inputs and one output). */
    static final int PARAMS = STRIDES + 4 * MAX_RANK;

    /** Position of element {@code i} (row-major over the shape) in the view whose strides start at {@code stridesAt}. */
    static int at(IntArray p, int rank, int i, int stridesAt, int offset) {
        int pos = offset;
        int rest = i;
        for (int d = rank - 1; d >= 1; d--) {
            int size = p.get(SHAPE + d);
            int q = rest / size;
            pos += (rest - q * size) * p.get(stridesAt + d);
            rest = q;
        }
        return pos + rest * p.get(stridesAt); // the outermost index needs no division (rank 1: none at all)
    }

    // ---- memory ---------------------------------------------------------------------------------

    /** {@code mem[view] = f[0]}; the view's strides are the first input's. */
    static void fill(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int i = ctx.globalIdx;
        if (i < p.get(0)) {
            mem.set(at(p, p.get(2), i, STRIDES, p.get(4)), f.get(0));
        }
    }

    /** Strided copy: input 0 → the view with strides of input 1 at offset p[5]. */
    static void copy(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int i = ctx.globalIdx;
        if (i < p.get(0)) {
            int rank = p.get(2);
            mem.set(at(p, rank, i, STRIDES + MAX_RANK, p.get(5)), mem.get(at(p, rank, i, STRIDES, p.get(4))));
        }
    }

    /** Host data in: {@code mem[p[1] + i] = staging[i]}. */
    static void write(KernelContext ctx, FloatArray mem, IntArray p, FloatArray staging) {
        int i = ctx.globalIdx;
        if (i < p.get(0)) {
            mem.set(p.get(1) + i, staging.get(i));
        }
    }

    // ---- elementwise ----------------------------------------------------------------------------

    /**
     * The table's formulas of {@link UnaryOp} in device arithmetic (TornadoMath's float functions,
     * within a few ulp of the scalar formulas), by code; f[0], f[1] the op's scalar parameters. A code
     * outside the table gives 0.
     */
    static void unary(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int i = ctx.globalIdx;
        if (i < p.get(0)) {
            float v = mem.get(at(p, p.get(2), i, STRIDES, p.get(4)));
            float p0 = f.get(0);
            float p1 = f.get(1);
            float r;
            switch (p.get(1)) {
                case UnaryOp.Code.NEG:
                    r = -v;
                    break;
                case UnaryOp.Code.EXP:
                    r = TornadoMath.exp(v);
                    break;
                case UnaryOp.Code.LOG:
                    r = TornadoMath.log(v);
                    break;
                case UnaryOp.Code.SQRT:
                    r = TornadoMath.sqrt(v);
                    break;
                case UnaryOp.Code.ABS:
                    r = TornadoMath.abs(v);
                    break;
                case UnaryOp.Code.TANH:
                    r = TornadoMath.tanh(v);
                    break;
                case UnaryOp.Code.SIGMOID:
                    r = 1f / (1f + TornadoMath.exp(-v));
                    break;
                case UnaryOp.Code.RELU:
                    r = (v > 0f || v != v) ? v : 0f;
                    break;
                case UnaryOp.Code.SIGN:
                    r = v > 0f ? 1f : (v < 0f ? -1f : v);
                    break;
                case UnaryOp.Code.POW:
                    r = p0 == 2f ? v * v : (p0 == 1f ? v : TornadoMath.pow(v, p0));
                    break;
                case UnaryOp.Code.POW_BASE:
                    r = TornadoMath.pow(p0, v);
                    break;
                case UnaryOp.Code.AFFINE:
                    r = p0 * v + p1;
                    break;
                case UnaryOp.Code.CLAMP:
                    r = v;
                    if (p0 == p0 && r < p0) r = p0; // a NaN bound means "no bound"
                    if (p1 == p1 && r > p1) r = p1;
                    break;
                case UnaryOp.Code.RECIPROCAL:
                    r = 1f / v;
                    break;
                case UnaryOp.Code.SILU:
                    r = v / (1f + TornadoMath.exp(-v));
                    break;
                case UnaryOp.Code.ERF:
                    r = erf(v);
                    break;
                case UnaryOp.Code.GELU:
                    r = 0.5f * v * (1f + erf(v * UnaryOp.SQRT1_2));
                    break;
                case UnaryOp.Code.GELU_TANH:
                    r = 0.5f * v * (1f + tanhSaturated(UnaryOp.GELU_BETA * (v + UnaryOp.GELU_KAPPA * (v * v * v))));
                    break;
                case UnaryOp.Code.SOFTPLUS:
                    r = v * p0 > p1 ? v : log1pExp(v * p0) / p0;
                    break;
                case UnaryOp.Code.LEAKY_RELU:
                    r = v > 0f ? v : v * p0;
                    break;
                default:
                    r = 0f;
                    break; // no op of the table (a NaN constant does not compile to OpenCL)
            }
            mem.set(p.get(3) + i, r);
        }
    }

    /** {@link UnaryOp#erf}'s polynomials, with a*b + c where the table has fma (no fma on the device). */
    private static float erf(float a) {
        float t = TornadoMath.abs(a);
        float s = a * a;
        float r;
        if (t > 0.927734375f) {
            r = -1.72853470e-5f * t + 3.83197126e-4f;
            float u = -3.88396438e-3f * t + 2.42546219e-2f;
            r = r * s + u;
            r = r * t - 1.06777877e-1f;
            r = r * t - 6.34846687e-1f;
            r = r * t - 1.28717512e-1f;
            r = r * t - t;
            r = 1f - TornadoMath.exp(r);
            if (a < 0f) r = -r;
        } else {
            r = -5.96761703e-4f;
            r = r * s + 4.99119423e-3f;
            r = r * s - 2.67681349e-2f;
            r = r * s + 1.12819925e-1f;
            r = r * s - 3.76125336e-1f;
            r = r * s + 1.28379166e-1f;
            r = r * a + a;
        }
        return r;
    }

    /** tanh, exactly ±1 past |x| = 10 (where float tanh rounds to ±1), as the JVM's; the device's is not there. */
    private static float tanhSaturated(float x) {
        if (x > 10f) return 1f;
        if (x < -10f) return -1f;
        return TornadoMath.tanh(x);
    }

    /**
     * log(1 + exp(b)) without log1p on the device: log(w)·u/(w - 1) for w = 1 + u rounded (Goldberg's
     * form, a few ulp), u itself where w rounds to 1, b where exp(b) adds nothing to it.
     */
    private static float log1pExp(float b) {
        if (b > 20f) return b;
        float u = TornadoMath.exp(b);
        float w = 1f + u;
        return w == 1f ? u : TornadoMath.log(w) * u / (w - 1f);
    }

    /** The table's formulas of {@link BinaryOp}, by code, as {@link #unary}. */
    static void binary(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int i = ctx.globalIdx;
        if (i < p.get(0)) {
            int rank = p.get(2);
            float a = mem.get(at(p, rank, i, STRIDES, p.get(4)));
            float b = mem.get(at(p, rank, i, STRIDES + MAX_RANK, p.get(5)));
            float r;
            switch (p.get(1)) {
                case BinaryOp.Code.ADD:
                    r = a + b;
                    break;
                case BinaryOp.Code.SUB:
                    r = a - b;
                    break;
                case BinaryOp.Code.MUL:
                    r = a * b;
                    break;
                case BinaryOp.Code.DIV:
                    r = a / b;
                    break;
                case BinaryOp.Code.POW:
                    r = TornadoMath.pow(a, b);
                    break;
                case BinaryOp.Code.MAXIMUM:
                    r = (a != a || b != b) ? a + b : TornadoMath.max(a, b);
                    break;
                case BinaryOp.Code.MINIMUM:
                    r = (a != a || b != b) ? a + b : TornadoMath.min(a, b);
                    break;
                case BinaryOp.Code.EQ:
                    r = a == b ? 1f : 0f;
                    break;
                case BinaryOp.Code.NE:
                    r = a != b ? 1f : 0f;
                    break;
                case BinaryOp.Code.LT:
                    r = a < b ? 1f : 0f;
                    break;
                // a <= b compiles to !(b < a) here (TornadoVM 5.2, OpenCL), true for a NaN: spelled out
                case BinaryOp.Code.LE:
                    r = (a < b || a == b) ? 1f : 0f;
                    break;
                case BinaryOp.Code.GT:
                    r = a > b ? 1f : 0f;
                    break;
                case BinaryOp.Code.GE:
                    r = (a > b || a == b) ? 1f : 0f;
                    break;
                case BinaryOp.Code.TANH_BACKWARD:
                    r = a * (1f - b * b);
                    break;
                case BinaryOp.Code.SIGMOID_BACKWARD:
                    r = a * b * (1f - b);
                    break;
                case BinaryOp.Code.RELU_BACKWARD:
                    r = b > 0f ? a : 0f;
                    break;
                case BinaryOp.Code.GELU_BACKWARD:
                    r = a
                            * (0.5f * (1f + erf(b * UnaryOp.SQRT1_2))
                                    + b * TornadoMath.exp(-0.5f * b * b) * BinaryOp.INV_SQRT_2PI);
                    break;
                default:
                    r = 0f;
                    break; // no op of the table (a NaN constant does not compile to OpenCL)
            }
            mem.set(p.get(3) + i, r);
        }
    }

    /** {@code out = cond != 0 ? a : b} (inputs 0, 1, 2). */
    static void where(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int i = ctx.globalIdx;
        if (i < p.get(0)) {
            int rank = p.get(2);
            float c = mem.get(at(p, rank, i, STRIDES, p.get(4)));
            // both positions computed unconditionally: a loop inside a conditional expression
            // compiled wrongly here (TornadoVM 5.2, OpenCL)
            int pa = at(p, rank, i, STRIDES + MAX_RANK, p.get(5));
            int pb = at(p, rank, i, STRIDES + 2 * MAX_RANK, p.get(6));
            float a = mem.get(pa);
            float b = mem.get(pb);
            mem.set(p.get(3) + i, c != 0f ? a : b);
        }
    }

    // ---- reductions -----------------------------------------------------------------------------

    /**
     * One thread per (output, chunk): p[0] outputs·chunks, p[1] the {@link ReduceOp.Code}, p[2] kept
     * rank, p[3] out offset, p[4] x offset, p[5] indices offset (-1: none), p[6] reduced count, p[7]
     * chunks; kept shape/strides at SHAPE/STRIDES, reduced rank at p[STRIDES + MAX_RANK], reduced shape
     * and strides after it. With several chunks each thread sums one slice of the reduced positions
     * into {@code out[o·chunks + chunk]} (a first pass; the backend sums the partials).
     */
    static void reduce(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int t = ctx.globalIdx;
        if (t < p.get(0)) {
            int chunks = p.get(7);
            int o = t / chunks;
            int chunk = t - o * chunks;
            int base = at(p, p.get(2), o, STRIDES, p.get(4));
            int redRank = p.get(STRIDES + MAX_RANK);
            int red = p.get(6);
            int per = (red + chunks - 1) / chunks;
            int r0 = chunk * per;
            int r1 = TornadoMath.min(red, r0 + per);
            int op = p.get(1);
            if (op == ReduceOp.Code.SUM) {
                double acc = 0;
                for (int r = r0; r < r1; r++) {
                    acc += mem.get(redAt(p, redRank, r, base));
                }
                mem.set(p.get(3) + t, (float) acc);
            } else {
                float sign = op == ReduceOp.Code.MAX ? 1f : -1f;
                float best = mem.get(redAt(p, redRank, 0, base));
                int bestAt = 0;
                if (best == best) {
                    for (int r = 1; r < red; r++) {
                        float v = mem.get(redAt(p, redRank, r, base));
                        if (v != v) {
                            best = v;
                            bestAt = r;
                            break;
                        }
                        if (sign * v > sign * best) {
                            best = v;
                            bestAt = r;
                        }
                    }
                }
                mem.set(p.get(3) + t, best);
                if (p.get(5) >= 0) mem.set(p.get(5) + t, bestAt);
            }
        }
    }

    static int redAt(IntArray p, int redRank, int r, int base) {
        int shapeAt = STRIDES + MAX_RANK + 1;
        int stridesAt = shapeAt + MAX_RANK;
        int pos = base;
        int rest = r;
        for (int d = redRank - 1; d >= 1; d--) {
            int size = p.get(shapeAt + d);
            int q = rest / size;
            pos += (rest - q * size) * p.get(stridesAt + d);
            rest = q;
        }
        return pos + rest * p.get(stridesAt);
    }

    // ---- linear algebra -------------------------------------------------------------------------

    /** Threads per edge of a {@link #matmul} work-group. */
    static final int TILE = 16;
    /** Outputs per edge of the block a work-group computes: each thread computes 4×4 of them. */
    static final int BLOCK = 4 * TILE;

    /**
     * Batched strided matmul, register-blocked: a TILE×TILE work-group computes a BLOCK×BLOCK block
     * of the output, each thread a 4×4 sub-block (rows ly + 16r, columns lx + 16c) held in registers,
     * so each pair of loads feeds 4 multiply-adds; neighbouring threads read neighbouring columns of
     * B. No local memory or barriers: on PoCL's CPU device a staged-through-local-memory version ran
     * 6× slower (work-items are serialised around each barrier), and GPU caches serve the reuse.
     * Work-group (x, y) covers columns from BLOCK·x and rows BLOCK·y of all batches stacked, each
     * batch's rows padded to a whole block (p[13]) so a block never straddles two batches.
     * p[0] batch, p[1] m, p[2] n, p[3] k, p[4..7] A offset and batch/row/col strides, p[8..11] the
     * same for B, p[12] out offset, p[14..17] C's offset and batch/row/col strides (C is the output
     * itself for a plain product, a broadcast bias for addmm); f[0] alpha, f[1] beta (0: C is
     * ignored, NaN included).
     */
    static void matmul(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int lx = ctx.localIdx;
        int ly = ctx.localIdy;
        int batch = p.get(0);
        int m = p.get(1);
        int n = p.get(2);
        int k = p.get(3);
        int mPad = p.get(13);
        int row0 = ctx.groupIdy * BLOCK;
        int col0 = ctx.groupIdx * BLOCK;
        int bi = row0 / mPad;
        int i0 = row0 - bi * mPad + ly;
        int j0 = col0 + lx;
        int aBase = p.get(4) + bi * p.get(5);
        int aRowStride = p.get(6);
        int aCol = p.get(7);
        int bBase = p.get(8) + bi * p.get(9);
        int bRow = p.get(10);
        int bCol = p.get(11);
        // rows and columns outside the output read row/column 0 instead (never stored)
        int r0 = i0 < m ? i0 : 0,
                r1 = i0 + TILE < m ? i0 + TILE : 0,
                r2 = i0 + 2 * TILE < m ? i0 + 2 * TILE : 0,
                r3 = i0 + 3 * TILE < m ? i0 + 3 * TILE : 0;
        int q0 = j0 < n ? j0 : 0,
                q1 = j0 + TILE < n ? j0 + TILE : 0,
                q2 = j0 + 2 * TILE < n ? j0 + 2 * TILE : 0,
                q3 = j0 + 3 * TILE < n ? j0 + 3 * TILE : 0;
        int a0p = aBase + r0 * aRowStride,
                a1p = aBase + r1 * aRowStride,
                a2p = aBase + r2 * aRowStride,
                a3p = aBase + r3 * aRowStride;
        int b0p = bBase + q0 * bCol, b1p = bBase + q1 * bCol, b2p = bBase + q2 * bCol, b3p = bBase + q3 * bCol;
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f;
        float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f;
        float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
        if (bi < batch) {
            for (int q = 0; q < k; q++) {
                int ao = q * aCol;
                int bo = q * bRow;
                float a0 = mem.get(a0p + ao);
                float a1 = mem.get(a1p + ao);
                float a2 = mem.get(a2p + ao);
                float a3 = mem.get(a3p + ao);
                float b0 = mem.get(b0p + bo);
                float b1 = mem.get(b1p + bo);
                float b2 = mem.get(b2p + bo);
                float b3 = mem.get(b3p + bo);
                c00 += a0 * b0;
                c01 += a0 * b1;
                c02 += a0 * b2;
                c03 += a0 * b3;
                c10 += a1 * b0;
                c11 += a1 * b1;
                c12 += a1 * b2;
                c13 += a1 * b3;
                c20 += a2 * b0;
                c21 += a2 * b1;
                c22 += a2 * b2;
                c23 += a2 * b3;
                c30 += a3 * b0;
                c31 += a3 * b1;
                c32 += a3 * b2;
                c33 += a3 * b3;
            }
            store(mem, p, f, bi, m, n, i0, j0, c00, c01, c02, c03);
            store(mem, p, f, bi, m, n, i0 + TILE, j0, c10, c11, c12, c13);
            store(mem, p, f, bi, m, n, i0 + 2 * TILE, j0, c20, c21, c22, c23);
            store(mem, p, f, bi, m, n, i0 + 3 * TILE, j0, c30, c31, c32, c33);
        }
    }

    /** One row of a thread's 4×4 block: columns j, j+16, j+32, j+48 of row i, inside the output only. */
    static void store(
            FloatArray mem,
            IntArray p,
            FloatArray f,
            int bi,
            int m,
            int n,
            int i,
            int j,
            float v0,
            float v1,
            float v2,
            float v3) {
        if (i < m) {
            int row = p.get(12) + (bi * m + i) * n;
            int cRow = p.get(14) + bi * p.get(15) + i * p.get(16);
            int cCol = p.get(17);
            storeOne(mem, f, row, cRow, cCol, j, n, v0);
            storeOne(mem, f, row, cRow, cCol, j + TILE, n, v1);
            storeOne(mem, f, row, cRow, cCol, j + 2 * TILE, n, v2);
            storeOne(mem, f, row, cRow, cCol, j + 3 * TILE, n, v3);
        }
    }

    static void storeOne(FloatArray mem, FloatArray f, int row, int cRow, int cCol, int j, int n, float acc) {
        if (j < n) {
            float beta = f.get(1);
            float r = f.get(0) * acc;
            if (beta != 0f) r += beta * mem.get(cRow + j * cCol);
            mem.set(row + j, r);
        }
    }

    // ---- rows -----------------------------------------------------------------------------------

    /** Softmax along the middle of outer×size×inner: p[0] outer·inner, p[1] size, p[2] inner, p[3] out, p[4] x, p[5] log. */
    static void softmax(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int t = ctx.globalIdx;
        if (t < p.get(0)) {
            int size = p.get(1);
            int inner = p.get(2);
            int o = t / inner;
            int in = t - o * inner;
            int base = o * size * inner + in;
            int x = p.get(4) + base;
            int y = p.get(3) + base;
            float max = Float.NEGATIVE_INFINITY;
            for (int s = 0; s < size; s++) max = TornadoMath.max(max, mem.get(x + s * inner));
            if (max == Float.NEGATIVE_INFINITY || max != max) max = 0f;
            double sum = 0;
            for (int s = 0; s < size; s++) sum += TornadoMath.exp(mem.get(x + s * inner) - max);
            if (p.get(5) != 0) {
                float lse = TornadoMath.log((float) sum);
                for (int s = 0; s < size; s++) mem.set(y + s * inner, mem.get(x + s * inner) - max - lse);
            } else {
                float inv = (float) (1.0 / sum);
                for (int s = 0; s < size; s++)
                    mem.set(y + s * inner, TornadoMath.exp(mem.get(x + s * inner) - max) * inv);
            }
        }
    }

    // ---- attention ------------------------------------------------------------------------------
    // Parameters: p[0] threads, p[1] L, p[2] S, p[3] E, p[4] Ev, p[5] q, p[6] k, p[7] v, p[8] out,
    // p[9] lse, p[11] mask kind (0 none, 1 BOOL, 2 added), p[12] mask row stride, p[13] mask column
    // stride, p[14] the mask's batch rank, p[15] mask offset, the mask's batch shape at ATTN_SHAPE and
    // strides at ATTN_STRIDES, the dropout seed's high and low words at ATTN_SEED, p[ATTN_SEED + 2]
    // gradOut, + 3 gradQ, + 4 gradK, + 5 gradV, + 6 the thread count of the key kernel; f[0] scale,
    // f[1] dropout p, f[2] 1/(1-p), f[3] causal (1 or 0). The arithmetic follows the JVM kernel's
    // (AttentionKernels), one row at a time. No value is compared with an infinity: OpenCL compilers
    // may assume finite math and fold such tests (PoCL did, giving masked keys weight), so masking is
    // decided by attnVisible and loop bounds, and a fully masked row by its lse below -FULLY_MASKED.

    static final int ATTN_SHAPE = 16, ATTN_STRIDES = 24, ATTN_SEED = 32;
    static final float FULLY_MASKED = 3.0e38f;

    /** Where the mask's queries×keys matrix of head {@code b} starts. */
    static int attnMaskBase(IntArray p, int b) {
        int pos = p.get(15);
        int rest = b;
        for (int d = p.get(14) - 1; d >= 0; d--) {
            int size = p.get(ATTN_SHAPE + d);
            int q = rest / size;
            pos += (rest - q * size) * p.get(ATTN_STRIDES + d);
            rest = q;
        }
        return pos;
    }

    /** Whether key j takes part for the mask row at {@code mo}: a BOOL mask's non-zero, a float mask's value above -3e38. */
    static boolean attnVisible(FloatArray mem, IntArray p, int mo, int j) {
        int kind = p.get(11);
        boolean visible = true;
        if (kind == 1) visible = mem.get(mo + j * p.get(13)) != 0f;
        if (kind == 2) visible = mem.get(mo + j * p.get(13)) > -FULLY_MASKED;
        return visible;
    }

    /** The scaled score of query row {@code qo} and key row {@code ko}, plus a float mask's value (of a visible key). */
    static float attnScore(FloatArray mem, IntArray p, FloatArray f, int qo, int ko, int mo, int j) {
        float s = 0f;
        for (int e = 0; e < p.get(3); e++) s += mem.get(qo + e) * mem.get(ko + e);
        s *= f.get(0);
        if (p.get(11) == 2) s += mem.get(mo + j * p.get(13));
        return s;
    }

    /** The dropout factor of query row {@code row} and key {@code key}: 0 or 1/(1-p) (1 without dropout). */
    static float attnKeep(IntArray p, FloatArray f, int row, int key) {
        float dp = f.get(1);
        if (dp <= 0f) return 1f;
        return Attention.dropoutUniform(p.get(ATTN_SEED + 1), p.get(ATTN_SEED), row, key) >= dp ? f.get(2) : 0f;
    }

    /** Forward, one thread per (head, query row): the online softmax over the visible keys, the output row accumulated in place. */
    static void attention(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int t = ctx.globalIdx;
        if (t < p.get(0)) {
            int L = p.get(1);
            int S = p.get(2);
            int E = p.get(3);
            int Ev = p.get(4);
            int b = t / L;
            int i = t - b * L;
            int qo = p.get(5) + t * E;
            int oo = p.get(8) + t * Ev;
            int mo = p.get(11) != 0 ? attnMaskBase(p, b) + i * p.get(12) : 0;
            float m = 0f;
            float l = 0f;
            int seen = 0;
            for (int c = 0; c < Ev; c++) mem.set(oo + c, 0f);
            int end = f.get(3) != 0f ? TornadoMath.min(S, i + 1) : S; // causal: later keys are masked
            for (int j = 0; j < end; j++) {
                if (attnVisible(mem, p, mo, j)) {
                    float s = attnScore(mem, p, f, qo, p.get(6) + (b * S + j) * E, mo, j);
                    float mNew = seen == 0 ? s : TornadoMath.max(m, s);
                    float alpha = seen == 0 ? 0f : TornadoMath.exp(m - mNew);
                    float pj = TornadoMath.exp(s - mNew);
                    l = l * alpha + pj;
                    m = mNew;
                    seen = 1;
                    float pd = pj * attnKeep(p, f, t, j);
                    int vo = p.get(7) + (b * S + j) * Ev;
                    for (int c = 0; c < Ev; c++) mem.set(oo + c, mem.get(oo + c) * alpha + pd * mem.get(vo + c));
                }
            }
            float inv = seen == 0 ? 0f : 1f / l;
            for (int c = 0; c < Ev; c++) mem.set(oo + c, mem.get(oo + c) * inv);
            mem.set(p.get(9) + t, seen == 0 ? Float.NEGATIVE_INFINITY : m + TornadoMath.log(l));
        }
    }

    /** dO_i · O_i of row t (the softmax backward's row term). */
    static float attnRowDot(FloatArray mem, IntArray p, int t) {
        int Ev = p.get(4);
        int go = p.get(ATTN_SEED + 2) + t * Ev;
        int oo = p.get(8) + t * Ev;
        float d = 0f;
        for (int c = 0; c < Ev; c++) d += mem.get(go + c) * mem.get(oo + c);
        return d;
    }

    /** Backward of keys and values, one thread per (head, key row): gradV_j = Σ_i Pd_ij dO_i, gradK_j = scale Σ_i dS_ij q_i. */
    static void attentionBackwardKeyValue(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int t = ctx.globalIdx;
        if (t < p.get(ATTN_SEED + 6)) {
            int L = p.get(1);
            int S = p.get(2);
            int E = p.get(3);
            int Ev = p.get(4);
            int b = t / S;
            int j = t - b * S;
            int ko = p.get(6) + t * E;
            int vo = p.get(7) + t * Ev;
            int gk = p.get(ATTN_SEED + 4) + t * E;
            int gv = p.get(ATTN_SEED + 5) + t * Ev;
            for (int e = 0; e < E; e++) mem.set(gk + e, 0f);
            for (int c = 0; c < Ev; c++) mem.set(gv + c, 0f);
            int base = p.get(11) != 0 ? attnMaskBase(p, b) : 0;
            for (int i = f.get(3) != 0f ? j : 0; i < L; i++) { // causal: earlier queries do not see key j
                int row = b * L + i;
                float lse = mem.get(p.get(9) + row);
                int mo = base + i * p.get(12);
                if (lse > -FULLY_MASKED && attnVisible(mem, p, mo, j)) {
                    int qo = p.get(5) + row * E;
                    float pj = TornadoMath.exp(attnScore(mem, p, f, qo, ko, mo, j) - lse);
                    float z = attnKeep(p, f, row, j);
                    int go = p.get(ATTN_SEED + 2) + row * Ev;
                    float dp = 0f;
                    for (int c = 0; c < Ev; c++) {
                        float g = mem.get(go + c);
                        dp += g * mem.get(vo + c);
                        mem.set(gv + c, mem.get(gv + c) + pj * z * g);
                    }
                    float ds = pj * (dp * z - attnRowDot(mem, p, row)) * f.get(0);
                    for (int e = 0; e < E; e++) mem.set(gk + e, mem.get(gk + e) + ds * mem.get(qo + e));
                }
            }
        }
    }

    /** Backward of the queries, one thread per (head, query row): gradQ_i = scale Σ_j dS_ij k_j. */
    static void attentionBackwardQuery(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int t = ctx.globalIdx;
        if (t < p.get(0)) {
            int L = p.get(1);
            int S = p.get(2);
            int E = p.get(3);
            int Ev = p.get(4);
            int b = t / L;
            int i = t - b * L;
            int qo = p.get(5) + t * E;
            int go = p.get(ATTN_SEED + 2) + t * Ev;
            int gq = p.get(ATTN_SEED + 3) + t * E;
            int mo = p.get(11) != 0 ? attnMaskBase(p, b) + i * p.get(12) : 0;
            float lse = mem.get(p.get(9) + t);
            float d = attnRowDot(mem, p, t);
            for (int e = 0; e < E; e++) mem.set(gq + e, 0f);
            int end = lse > -FULLY_MASKED ? (f.get(3) != 0f ? TornadoMath.min(S, i + 1) : S) : 0;
            for (int j = 0; j < end; j++) {
                if (attnVisible(mem, p, mo, j)) {
                    int ko = p.get(6) + (b * S + j) * E;
                    float pj = TornadoMath.exp(attnScore(mem, p, f, qo, ko, mo, j) - lse);
                    int vo = p.get(7) + (b * S + j) * Ev;
                    float dp = 0f;
                    for (int c = 0; c < Ev; c++) dp += mem.get(go + c) * mem.get(vo + c);
                    float ds = pj * (dp * attnKeep(p, f, t, j) - d) * f.get(0);
                    for (int e = 0; e < E; e++) mem.set(gq + e, mem.get(gq + e) + ds * mem.get(ko + e));
                }
            }
        }
    }

    /**
     * {@code out[o, i, j] = x[o, index[i], j]} for i in one chunk [i0, i0+len) of the index (the
     * chunk's indices are {@code index[0..len)}): p[0] outer·len·inner, p[1] dimSize, p[2] inner, p[3]
     * out, p[4] x, p[5] n (the whole index's length), p[6] i0, p[7] len.
     */
    static void indexSelect(KernelContext ctx, FloatArray mem, IntArray p, IntArray index) {
        int t = ctx.globalIdx;
        if (t < p.get(0)) {
            int inner = p.get(2);
            int len = p.get(7);
            int j = t % inner;
            int oi = t / inner;
            int i = oi % len;
            int o = oi / len;
            int dst = p.get(3) + (o * p.get(5) + p.get(6) + i) * inner + j;
            mem.set(dst, mem.get(p.get(4) + (o * p.get(1) + index.get(i)) * inner + j));
        }
    }

    /**
     * {@code out[o, index[i], j] += src[o, i, j]} for i in one chunk of the index, one thread per
     * (o, j) looping over i so that repeated indices never race; parameters as indexSelect with
     * p[0] outer·inner and p[4] the source.
     */
    static void indexAdd(KernelContext ctx, FloatArray mem, IntArray p, IntArray index) {
        int t = ctx.globalIdx;
        if (t < p.get(0)) {
            int inner = p.get(2);
            int n = p.get(5);
            int i0 = p.get(6);
            int len = p.get(7);
            int o = t / inner;
            int j = t - o * inner;
            for (int i = 0; i < len; i++) {
                int d = p.get(3) + (o * p.get(1) + index.get(i)) * inner + j;
                mem.set(d, mem.get(d) + mem.get(p.get(4) + (o * n + i0 + i) * inner + j));
            }
        }
    }

    // ---- gather, scatter, cumsum: index tensors are read where they lie in mem (whole-number floats) ----

    /**
     * {@code out[o, i, j] = x[o, index[o, i, j], j]}, one thread per output element: p[0] outer·n·inner,
     * p[1] dimSize, p[2] inner, p[3] out, p[4] x, p[5] n, p[6] index.
     */
    static void gather(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int t = ctx.globalIdx;
        if (t < p.get(0)) {
            int inner = p.get(2);
            int o = t / inner / p.get(5);
            int j = t - t / inner * inner;
            int idx = (int) mem.get(p.get(6) + t);
            mem.set(p.get(3) + t, mem.get(p.get(4) + (o * p.get(1) + idx) * inner + j));
        }
    }

    /**
     * {@code out[o, index[o, i, j], j] = src[o, i, j]} (p[7] != 0: {@code +=}), one thread per (o, j)
     * looping over i in order, so repeated indices never race and the last assignment wins: p[0]
     * outer·inner, p[1] dimSize, p[2] inner, p[3] out, p[4] src, p[5] n, p[6] index.
     */
    static void scatter(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int t = ctx.globalIdx;
        if (t < p.get(0)) {
            int inner = p.get(2);
            int n = p.get(5);
            int o = t / inner;
            int j = t - o * inner;
            for (int i = 0; i < n; i++) {
                int s = (o * n + i) * inner + j;
                int d = p.get(3) + (o * p.get(1) + (int) mem.get(p.get(6) + s)) * inner + j;
                float v = mem.get(p.get(4) + s);
                if (p.get(7) != 0) {
                    v = v + mem.get(d);
                }
                mem.set(d, v);
            }
        }
    }

    /**
     * Running sums in double along the middle dimension, one thread per (o, j); from the end when
     * p[5] != 0: p[0] outer·inner, p[1] size, p[2] inner, p[3] out, p[4] x.
     */
    static void cumsum(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int t = ctx.globalIdx;
        if (t < p.get(0)) {
            int size = p.get(1);
            int inner = p.get(2);
            int o = t / inner;
            int base = o * size * inner + t - o * inner;
            double acc = 0;
            for (int s = 0; s < size; s++) {
                int at = base + s * inner;
                if (p.get(5) != 0) {
                    at = base + (size - 1 - s) * inner;
                }
                acc += mem.get(p.get(4) + at);
                mem.set(p.get(3) + at, (float) acc);
            }
        }
    }

    // ---- images (contiguous NCHW) ---------------------------------------------------------------
    // p[0] threads, p[1] channels, p[2] h, p[3] w, p[4] kh, p[5] kw, p[6] padH, p[7] padW, p[8] strideH,
    // p[9] strideW, p[10] dilH, p[11] dilW, p[12] oh, p[13] ow, p[14] in offset, p[15] out offset, p[16] flag/idx.

    /** One thread per column entry. */
    static void im2col(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int t = ctx.globalIdx;
        if (t < p.get(0)) {
            int c = p.get(1), h = p.get(2), w = p.get(3), kh = p.get(4), kw = p.get(5);
            int oh = p.get(12), ow = p.get(13);
            int l = oh * ow;
            int rows = c * kh * kw;
            int pos = t % l;
            int nr = t / l;
            int r = nr % rows;
            int n = nr / rows;
            int ch = r / (kh * kw);
            int ki = (r / kw) % kh;
            int kj = r % kw;
            int oy = pos / ow;
            int ox = pos - oy * ow;
            int iy = oy * p.get(8) - p.get(6) + ki * p.get(10);
            int ix = ox * p.get(9) - p.get(7) + kj * p.get(11);
            float v = 0f;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                v = mem.get(p.get(14) + ((n * c + ch) * h + iy) * w + ix);
            }
            mem.set(p.get(15) + t, v);
        }
    }

    /** The adjoint of im2col, one thread per pixel gathering the column entries read from it (no races). */
    static void col2im(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int t = ctx.globalIdx;
        if (t < p.get(0)) {
            int c = p.get(1), h = p.get(2), w = p.get(3), kh = p.get(4), kw = p.get(5);
            int padH = p.get(6), padW = p.get(7), sh = p.get(8), sw = p.get(9), dh = p.get(10), dw = p.get(11);
            int oh = p.get(12), ow = p.get(13);
            int ix = t % w;
            int rest = t / w;
            int iy = rest % h;
            int nc = rest / h;
            int ch = nc % c;
            int n = nc / c;
            int l = oh * ow;
            int rows = c * kh * kw;
            float acc = 0f;
            for (int ki = 0; ki < kh; ki++) {
                int ny = iy + padH - ki * dh;
                if (ny >= 0 && ny % sh == 0 && ny / sh < oh) {
                    int oy = ny / sh;
                    for (int kj = 0; kj < kw; kj++) {
                        int nx = ix + padW - kj * dw;
                        if (nx >= 0 && nx % sw == 0 && nx / sw < ow) {
                            int r = (ch * kh + ki) * kw + kj;
                            acc += mem.get(p.get(14) + (n * rows + r) * l + oy * ow + nx / sw);
                        }
                    }
                }
            }
            int d = p.get(15) + t;
            mem.set(d, mem.get(d) + acc);
        }
    }

    /** One thread per output; p[16] the indices' offset. Planes are p[0] / (oh·ow). */
    static void maxPool2d(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int t = ctx.globalIdx;
        if (t < p.get(0)) {
            int h = p.get(2), w = p.get(3), kh = p.get(4), kw = p.get(5);
            int oh = p.get(12), ow = p.get(13);
            int ox = t % ow;
            int rest = t / ow;
            int oy = rest % oh;
            int plane = rest / oh;
            int xPlane = p.get(14) + plane * h * w;
            int y0 = oy * p.get(8) - p.get(6);
            int x0 = ox * p.get(9) - p.get(7);
            float best = Float.NEGATIVE_INFINITY;
            int bestAt = -1;
            for (int i = 0; i < kh; i++) {
                int iy = y0 + i * p.get(10);
                if (iy >= 0 && iy < h) {
                    for (int j = 0; j < kw; j++) {
                        int ix = x0 + j * p.get(11);
                        if (ix >= 0 && ix < w) {
                            float v = mem.get(xPlane + iy * w + ix);
                            if (bestAt < 0 || v > best || (v != v && best == best)) {
                                best = v;
                                bestAt = iy * w + ix;
                            }
                        }
                    }
                }
            }
            mem.set(p.get(15) + t, best);
            mem.set(p.get(16) + t, bestAt);
        }
    }

    /** One thread per output; p[16] != 0: padding counts in the divisor. */
    static void avgPool2d(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int t = ctx.globalIdx;
        if (t < p.get(0)) {
            int h = p.get(2), w = p.get(3), kh = p.get(4), kw = p.get(5), padH = p.get(6), padW = p.get(7);
            int oh = p.get(12), ow = p.get(13);
            int ox = t % ow;
            int rest = t / ow;
            int oy = rest % oh;
            int plane = rest / oh;
            int xPlane = p.get(14) + plane * h * w;
            int y0 = oy * p.get(8) - padH;
            int x0 = ox * p.get(9) - padW;
            int y1 = TornadoMath.min(y0 + kh, h + padH);
            int x1 = TornadoMath.min(x0 + kw, w + padW);
            int padded = (y1 - y0) * (x1 - x0);
            int ya = TornadoMath.max(y0, 0), xa = TornadoMath.max(x0, 0);
            int yb = TornadoMath.min(y1, h), xb = TornadoMath.min(x1, w);
            float sum = 0f;
            for (int iy = ya; iy < yb; iy++) {
                for (int ix = xa; ix < xb; ix++) sum += mem.get(xPlane + iy * w + ix);
            }
            int count = p.get(16) != 0 ? padded : (yb - ya) * (xb - xa);
            mem.set(p.get(15) + t, sum / count);
        }
    }

    // ---- optimizer ------------------------------------------------------------------------------

    /** Parameters one {@link #adam} launch can update. */
    static final int ADAM_MAX = 64;

    /**
     * The fused Adam step of OptimizerKernels.adam over up to {@link #ADAM_MAX} parameters at once
     * (foreach Adam), one thread per element of all of them: p[0] elements in all, p[1] parameters;
     * parameter k at p[2 + 6k ..]: first thread, length, then the param, grad, m and v offsets.
     * f: beta1, beta2, eps, then each parameter's stepSize and bc2Sqrt at f[3 + 2k].
     */
    static void adam(KernelContext ctx, FloatArray mem, IntArray p, FloatArray f) {
        int t = ctx.globalIdx;
        if (t < p.get(0)) {
            int count = p.get(1);
            int k = 0;
            for (int c = 1; c < count; c++) {
                if (t >= p.get(2 + 6 * c)) k = c;
            }
            int at = 2 + 6 * k;
            int i = t - p.get(at);
            float beta1 = f.get(0), beta2 = f.get(1), eps = f.get(2);
            float stepSize = f.get(3 + 2 * k), bc2Sqrt = f.get(4 + 2 * k);
            int pi = p.get(at + 2) + i, gi = p.get(at + 3) + i, mi = p.get(at + 4) + i, vi = p.get(at + 5) + i;
            float g = mem.get(gi);
            float m = mem.get(mi);
            float mNew = m + (1f - beta1) * (g - m);
            float vNew = mem.get(vi) * beta2 + (1f - beta2) * (g * g);
            float denom = TornadoMath.sqrt(vNew) / bc2Sqrt + eps;
            mem.set(mi, mNew);
            mem.set(vi, vNew);
            mem.set(pi, mem.get(pi) - stepSize * (mNew / denom));
        }
    }
}
