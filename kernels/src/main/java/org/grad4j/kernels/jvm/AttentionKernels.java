package org.grad4j.kernels.jvm;

import java.util.Arrays;
import org.grad4j.kernels.Attention;
import org.grad4j.kernels.Parallel;

/**
 * Scaled dot-product attention, blocked as flash attention: a block of query rows meets the keys one
 * block at a time, its scores live in a BLOCK_Q×BLOCK_K tile, and the softmax is taken online (the
 * row maximum and sum are updated per block and the partial output rescaled), so no queries×keys
 * matrix is ever made. The backward pass recomputes each tile's probabilities from the row
 * log-sum-exp the forward pass saved. The tile products run on {@link VectorGemm} (sequential, one
 * thread per task); tasks are (head, query block) forward and heads backward.
 *
 * <p>The mask of a call is a {@link Mask} (null for none): its values, where each head's
 * queries×keys matrix starts, and the row and column strides.
 */
final class AttentionKernels {
    private AttentionKernels() {}

    static final int BLOCK_Q = 64, BLOCK_K = 128;

    /** A thread's tiles, grown on demand (sizes follow the head dimensions and, for {@code rowDot}, L). */
    private static final class Scratch {
        float[] s = new float[BLOCK_Q * BLOCK_K], pd = new float[BLOCK_Q * BLOCK_K], dp = new float[BLOCK_Q * BLOCK_K];
        float[] o = new float[0], dk = new float[0], dv = new float[0], rowDot = new float[0];
        final float[] m = new float[BLOCK_Q], l = new float[BLOCK_Q];

        static float[] atLeast(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** An {@link org.grad4j.kernels.AttentionMask} resolved to its array and per-head offsets. */
    record Mask(float[] values, int[] offsets, int rowStride, int colStride, boolean additive) {}

    static void forward(Attention a, float[] q, float[] k, float[] v, Mask mask, float[] out, float[] lse) {
        int L = a.queries(), S = a.keys(), E = a.headDim(), Ev = a.valueDim();
        int blocks = (L + BLOCK_Q - 1) / BLOCK_Q, tasks = a.batch() * blocks;
        if (tasks == 0) return;
        long work = 2L * a.batch() * L * S * (E + Ev);
        Parallel.forRange(tasks, work, (from, to) -> {
            Scratch sc = SCRATCH.get();
            sc.o = Scratch.atLeast(sc.o, BLOCK_Q * Ev);
            for (int t = from; t < to; t++)
                forwardBlock(a, t / blocks, t % blocks * BLOCK_Q, q, k, v, mask, out, lse, sc);
        });
    }

    private static void forwardBlock(
            Attention a,
            int b,
            int i0,
            float[] q,
            float[] k,
            float[] v,
            Mask mask,
            float[] out,
            float[] lse,
            Scratch sc) {
        int L = a.queries(), S = a.keys(), E = a.headDim(), Ev = a.valueDim();
        int br = Math.min(BLOCK_Q, L - i0);
        int qo = (b * L + i0) * E, ko = b * S * E, vo = b * S * Ev;
        float[] s = sc.s, o = sc.o, m = sc.m, l = sc.l;
        Arrays.fill(m, 0, br, Float.NEGATIVE_INFINITY);
        Arrays.fill(l, 0, br, 0f);
        Arrays.fill(o, 0, br * Ev, 0f);
        int end = a.causal() ? Math.min(S, i0 + br) : S; // later keys are masked for every row of the block
        for (int j0 = 0; j0 < end; j0 += BLOCK_K) {
            int bc = Math.min(BLOCK_K, end - j0);
            // alpha 1 lets the product read q in place; the scale is applied to the tile's rows below
            product(br, bc, E, 1f, q, qo, E, 1, k, ko + j0 * E, 1, E, s, 0, bc, true);
            for (int r = 0; r < br; r++) {
                int row = r * bc, i = i0 + r;
                scaleRow(s, row, bc, a.scale());
                applyMask(a, mask, b, i, j0, s, row, bc);
                float mNew = Math.max(m[r], rowMax(s, row, bc));
                if (mNew == Float.NEGATIVE_INFINITY) { // every key so far masked: nothing to add
                    Arrays.fill(s, row, row + bc, 0f);
                    continue;
                }
                float sum = expShifted(s, row, bc, mNew);
                float alpha = (float) Math.exp(m[r] - mNew); // 0 on the first block a row sees
                l[r] = l[r] * alpha + sum;
                m[r] = mNew;
                if (alpha != 1f) for (int c = 0; c < Ev; c++) o[r * Ev + c] *= alpha;
                if (a.dropoutP() > 0f) dropout(a, b, i, j0, s, row, bc);
            }
            product(br, Ev, bc, 1f, s, 0, bc, 1, v, vo + j0 * Ev, Ev, 1, o, 0, Ev, false);
        }
        for (int r = 0; r < br; r++) {
            int i = b * L + i0 + r;
            float inv = l[r] == 0f ? 0f : 1f / l[r]; // a fully masked row gives zeros, as PyTorch's CPU kernels
            for (int c = 0; c < Ev; c++) out[i * Ev + c] = o[r * Ev + c] * inv;
            lse[i] = l[r] == 0f ? Float.NEGATIVE_INFINITY : m[r] + (float) Math.log(l[r]);
        }
    }

    static void backward(
            Attention a,
            float[] q,
            float[] k,
            float[] v,
            Mask mask,
            float[] out,
            float[] lse,
            float[] gout,
            float[] gq,
            float[] gk,
            float[] gv) {
        int L = a.queries(), S = a.keys(), E = a.headDim(), Ev = a.valueDim();
        long work = 4L * a.batch() * L * S * (E + Ev);
        Parallel.forRange(a.batch(), work, (from, to) -> {
            Scratch sc = SCRATCH.get();
            sc.dk = Scratch.atLeast(sc.dk, BLOCK_K * E);
            sc.dv = Scratch.atLeast(sc.dv, BLOCK_K * Ev);
            sc.rowDot = Scratch.atLeast(sc.rowDot, L);
            for (int b = from; b < to; b++) backwardHead(a, b, q, k, v, mask, out, lse, gout, gq, gk, gv, sc);
        });
    }

    private static void backwardHead(
            Attention a,
            int b,
            float[] q,
            float[] k,
            float[] v,
            Mask mask,
            float[] out,
            float[] lse,
            float[] gout,
            float[] gq,
            float[] gk,
            float[] gv,
            Scratch sc) {
        int L = a.queries(), S = a.keys(), E = a.headDim(), Ev = a.valueDim();
        int qo = b * L * E, ko = b * S * E, vo = b * S * Ev, oo = b * L * Ev;
        float[] s = sc.s, dp = sc.dp, dk = sc.dk, dv = sc.dv, rowDot = sc.rowDot;
        boolean drop = a.dropoutP() > 0f;
        float[] pd = drop ? sc.pd : s;
        float dropScale = a.dropoutScale();
        // D_i = dO_i · O_i = sum_j P_ij dP_ij (dropout included): the softmax backward's row term
        for (int i = 0; i < L; i++) {
            float d = 0f;
            for (int c = 0; c < Ev; c++) d += gout[oo + i * Ev + c] * out[oo + i * Ev + c];
            rowDot[i] = d;
        }
        Arrays.fill(gq, qo, qo + L * E, 0f);
        for (int j0 = 0; j0 < S; j0 += BLOCK_K) {
            int bc = Math.min(BLOCK_K, S - j0);
            Arrays.fill(dk, 0, bc * E, 0f);
            Arrays.fill(dv, 0, bc * Ev, 0f);
            int first = a.causal() ? j0 / BLOCK_Q * BLOCK_Q : 0; // earlier queries see none of these keys
            for (int i0 = first; i0 < L; i0 += BLOCK_Q) {
                int br = Math.min(BLOCK_Q, L - i0);
                product(br, bc, E, 1f, q, qo + i0 * E, E, 1, k, ko + j0 * E, 1, E, s, 0, bc, true);
                for (int r = 0; r < br; r++) {
                    int row = r * bc, i = i0 + r;
                    float rowLse = lse[b * L + i];
                    if (rowLse == Float.NEGATIVE_INFINITY) { // a fully masked row: no gradient flows
                        Arrays.fill(s, row, row + bc, 0f);
                        continue;
                    }
                    scaleRow(s, row, bc, a.scale());
                    applyMask(a, mask, b, i, j0, s, row, bc);
                    expShifted(s, row, bc, rowLse);
                }
                if (drop) {
                    System.arraycopy(s, 0, pd, 0, br * bc);
                    for (int r = 0; r < br; r++) dropout(a, b, i0 + r, j0, pd, r * bc, bc);
                }
                // dV_j += Pdᵀ dO_i
                product(bc, Ev, br, 1f, pd, 0, 1, bc, gout, oo + i0 * Ev, Ev, 1, dv, 0, Ev, false);
                // dP = dO_i V_jᵀ, then dS = P ∘ (dP ∘ Z - D_i) in place
                product(br, bc, Ev, 1f, gout, oo + i0 * Ev, Ev, 1, v, vo + j0 * Ev, 1, Ev, dp, 0, bc, true);
                float scale = a.scale(); // folded into dS, so the products below read it in place (alpha 1)
                for (int r = 0; r < br; r++) {
                    int row = r * bc;
                    float d = rowDot[i0 + r];
                    if (drop) { // P ∘ (dP ∘ Z - D) = dP ∘ Pd - P ∘ D, with Pd = P ∘ Z
                        for (int c = 0; c < bc; c++) dp[row + c] = (dp[row + c] * pd[row + c] - s[row + c] * d) * scale;
                    } else {
                        for (int c = 0; c < bc; c++) dp[row + c] = s[row + c] * (dp[row + c] - d) * scale;
                    }
                }
                // dQ_i += scale dS K_j; dK_j += scale dSᵀ Q_i
                product(br, E, bc, 1f, dp, 0, bc, 1, k, ko + j0 * E, E, 1, gq, qo + i0 * E, E, false);
                product(bc, E, br, 1f, dp, 0, 1, bc, q, qo + i0 * E, E, 1, dk, 0, E, false);
            }
            System.arraycopy(dk, 0, gk, ko + j0 * E, bc * E);
            System.arraycopy(dv, 0, gv, vo + j0 * Ev, bc * Ev);
        }
    }

    /** Masked scores become -inf (a BOOL mask's zeros, keys after the query when causal); a float mask is added. */
    private static void applyMask(Attention a, Mask mask, int b, int i, int j0, float[] s, int row, int bc) {
        if (mask != null) {
            float[] mv = mask.values;
            int mo = mask.offsets[b] + i * mask.rowStride + j0 * mask.colStride, cs = mask.colStride;
            if (mask.additive) for (int c = 0; c < bc; c++) s[row + c] += mv[mo + c * cs];
            else for (int c = 0; c < bc; c++) if (mv[mo + c * cs] == 0f) s[row + c] = Float.NEGATIVE_INFINITY;
        }
        if (a.causal()) for (int c = Math.max(0, i + 1 - j0); c < bc; c++) s[row + c] = Float.NEGATIVE_INFINITY;
    }

    /** Drops each probability of the row with probability p (the draw a pure function of its position) and scales the rest. */
    private static void dropout(Attention a, int b, int i, int j0, float[] s, int row, int bc) {
        float p = a.dropoutP(), scale = a.dropoutScale();
        int r = b * a.queries() + i;
        for (int c = 0; c < bc; c++)
            s[row + c] = Attention.dropoutUniform(a.seed(), r, j0 + c) >= p ? s[row + c] * scale : 0f;
    }

    private static void scaleRow(float[] s, int row, int n, float scale) {
        for (int c = 0; c < n; c++) s[row + c] *= scale;
    }

    private static float rowMax(float[] s, int row, int n) {
        int vec = Simd.AVAILABLE ? n / VectorMath.L * VectorMath.L : 0;
        float mx = vec > 0 ? VectorMath.max(s, row, vec) : Float.NEGATIVE_INFINITY;
        for (int c = vec; c < n; c++) mx = Math.max(mx, s[row + c]);
        return mx;
    }

    /** s[row..row+n) = exp(s - shift) (-inf scores give 0); returns their sum. */
    private static float expShifted(float[] s, int row, int n, float shift) {
        int vec = Simd.AVAILABLE ? n / VectorMath.L * VectorMath.L : 0;
        float sum = vec > 0 ? VectorMath.expShiftedSum(s, row, vec, shift) : 0f;
        for (int c = vec; c < n; c++) sum += s[row + c] = (float) Math.exp(s[row + c] - shift);
        return sum;
    }

    /**
     * {@code C (+)= alpha · A B} for a tile: A m×k with strides (ars, acs), B k×n with strides (brs,
     * bcs), C row-major with row stride ldc; {@code store} overwrites C.
     */
    static void product(
            int m,
            int n,
            int k,
            float alpha,
            float[] a,
            int ao,
            int ars,
            int acs,
            float[] b,
            int bo,
            int brs,
            int bcs,
            float[] c,
            int co,
            int ldc,
            boolean store) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (store) for (int i = 0; i < m; i++) Arrays.fill(c, co + i * ldc, co + i * ldc + n, 0f);
            return;
        }
        if (Simd.AVAILABLE) {
            VectorGemm.gemm(m, n, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, c, co, ldc, store);
            return;
        }
        for (int i = 0; i < m; i++) {
            int ci = co + i * ldc;
            if (store) Arrays.fill(c, ci, ci + n, 0f);
            for (int p = 0; p < k; p++) {
                float aip = alpha * a[ao + i * ars + p * acs];
                int bp = bo + p * brs;
                for (int j = 0; j < n; j++) c[ci + j] += aip * b[bp + j * bcs];
            }
        }
    }
}
