package org.grad4j.kernels.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision matrix product with the Vector API, BLIS style: B is packed into kc×NR panels, A
 * into MR×kc panels (scaled by alpha), and a register-blocked MR×NR micro-kernel runs over them; kc/mc/nc
 * blocking keeps the panels in the caches. The shape and the blocking are a {@link GemmConfig}, chosen
 * for the CPU ({@link #CONFIG}) or given (tests, benchmarks).
 * Computes {@code C += alpha * A @ B} (the caller has applied beta to C), or {@code C = alpha * A @ B}
 * when {@code store}: then C's old contents are never read, so a fresh output needs no zero-fill.
 */
final class VectorGemm {
    private VectorGemm() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** This JVM's configuration; MR and NR are its tile, which the callers split C by. */
    static final GemmConfig CONFIG = GemmConfig.current();

    static final int MR = CONFIG.mr(), NR = CONFIG.nr();

    /**
     * Per thread: the A block, the B block (grown to what the products need: a whole kc × nc block is
     * 16 MB), the MR×NR tile; grown when a configuration needs more.
     */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(
            () -> new float[][] {new float[CONFIG.mc() * CONFIG.kc()], new float[0], new float[MR * NR]});

    /** {@code C[i*ldc + j] (+)= alpha * sum_p A[i,p] B[p,j]} for a sub-problem (sequential); k > 0. */
    static void gemm(
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
        gemm(CONFIG, m, n, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, c, co, ldc, store, false, false);
    }

    /**
     * As above, for one of the batch entries of a product whose entries share one A (a convolution's
     * weight) and that this thread computes one after another: when A has one k block, C one column
     * block, and A fits the thread's A buffer, the first entry packs all of A and the later ones
     * ({@code sameAAsLastCall}) use that packing again.
     */
    static void gemm(
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
            boolean store,
            boolean sharedA,
            boolean sameAAsLastCall) {
        gemm(CONFIG, m, n, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, c, co, ldc, store, sharedA, sameAAsLastCall);
    }

    /** As above, with the shape and blocking of cfg (whose nr must be a multiple of L). */
    static void gemm(
            GemmConfig cfg,
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
            boolean store,
            boolean sharedA,
            boolean sameAAsLastCall) {
        final int MR = cfg.mr(), NR = cfg.nr(), KC = cfg.kc(), MC = cfg.mc(), NC = cfg.nc();
        final int shape = MR * 8 + NR / L; // which micro-kernel
        float[][] buf = BUFFERS.get();
        if (buf[0].length < MC * KC) buf[0] = new float[MC * KC];
        if (buf[2].length < MR * NR) buf[2] = new float[MR * NR];
        float[] ap = buf[0], tile = buf[2];
        // a shared A of one k block is kept packed whole, its row block ic at ap[ic * k]; only with one
        // column block: another could take the in-place A path, which packs a partial panel at ap[0]
        boolean wholeA = sharedA && n <= NC && k <= KC && (long) ((m + MR - 1) / MR * MR) * k <= ap.length;
        boolean packedAlready = wholeA && sameAAsLastCall;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            int ncPad = (nc + NR - 1) / NR * NR;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean first = store && pc == 0; // the first k block writes C, the others add to it
                // A row-major B of modest width is read in place (its full panels need no copy);
                // otherwise, or for a partial last panel, it is packed.
                boolean direct = bcs == 1 && cfg.readsBInPlace(brs);
                float[] bp = buf[1];
                int packed = direct ? kc * NR : kc * ncPad;
                if (bp.length < packed) bp = buf[1] = new float[packed];
                if (!direct) packB(NR, b, bo + pc * brs + jc * bcs, brs, bcs, kc, nc, bp);
                else if (nc % NR != 0) packB(NR, b, bo + pc * brs + jc + nc / NR * NR, brs, 1, kc, nc % NR, bp);
                // A row-major A is read in place too when it is large next to B (a B block at most 64
                // floats wide: few column panels reuse it); the 8×2L and 5×2L kernels have a form for that
                boolean directA = (shape == 8 * 8 + 2 || shape == 5 * 8 + 2) && acs == 1 && alpha == 1f && nc <= 64;
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    int aBase = wholeA ? ic * kc : 0;
                    if (!directA && !packedAlready)
                        packA(MR, a, ao + ic * ars + pc * acs, ars, acs, mc, kc, alpha, ap, aBase);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        float[] bsrc = bp;
                        int bi = jr * kc, bstride = NR;
                        if (direct) {
                            if (nr == NR) {
                                bsrc = b;
                                bi = bo + pc * brs + jc + jr;
                                bstride = brs;
                            } else {
                                bi = 0;
                            }
                        }
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            int ai = aBase + ir * kc;
                            int ci = co + (ic + ir) * ldc + jc + jr;
                            // a whole tile of a first k block goes straight to C; others through the small tile
                            boolean straight = first && mr == MR && nr == NR;
                            float[] out = straight ? c : tile;
                            int oi = straight ? ci : 0, ldo = straight ? ldc : NR;
                            if (directA && mr == MR) {
                                int a0 = ao + (ic + ir) * ars + pc;
                                if (MR == 8) kernelDirectA8x2(kc, a, a0, ars, bsrc, bi, bstride, out, oi, ldo);
                                else kernelDirectA5x2(kc, a, a0, ars, bsrc, bi, bstride, out, oi, ldo);
                            } else {
                                if (directA) { // a partial panel of rows: pack just it
                                    packA(MR, a, ao + (ic + ir) * ars + pc, ars, 1, mr, kc, 1f, ap, 0);
                                    ai = 0;
                                }
                                switch (shape) {
                                    case 8 * 8 + 2 -> kernel8x2(kc, ap, ai, bsrc, bi, bstride, out, oi, ldo);
                                    case 6 * 8 + 4 -> kernel6x4(kc, ap, ai, bsrc, bi, bstride, out, oi, ldo);
                                    case 4 * 8 + 4 -> kernel4x4(kc, ap, ai, bsrc, bi, bstride, out, oi, ldo);
                                    case 4 * 8 + 3 -> kernel4x3(kc, ap, ai, bsrc, bi, bstride, out, oi, ldo);
                                    case 6 * 8 + 2 -> kernel6x2(kc, ap, ai, bsrc, bi, bstride, out, oi, ldo);
                                    case 5 * 8 + 2 -> kernel5x2(kc, ap, ai, bsrc, bi, bstride, out, oi, ldo);
                                    case 4 * 8 + 2 -> kernel4x2(kc, ap, ai, bsrc, bi, bstride, out, oi, ldo);
                                    default ->
                                        throw new IllegalArgumentException("matmul: no micro-kernel " + cfg.shape());
                                }
                            }
                            if (straight) continue;
                            if (mr == MR && nr == NR) {
                                addTile(MR, NR, tile, c, ci, ldc);
                            } else {
                                for (int i = 0; i < mr; i++) {
                                    int at = ci + i * ldc;
                                    if (first) for (int j = 0; j < nr; j++) c[at + j] = tile[i * NR + j];
                                    else for (int j = 0; j < nr; j++) c[at + j] += tile[i * NR + j];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** B block kc×nc into panels of NR columns: panel q holds rows p=0..kc-1 of NR floats (zero padded). */
    private static void packB(int NR, float[] b, int bo, int brs, int bcs, int kc, int nc, float[] bp) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int base = jr * kc;
            int tb = RegisterTranspose.BLOCK;
            if (brs == 1
                    && bcs != 1
                    && tb > 0
                    && NR % tb == 0
                    && nr == NR) { // column-major B: register transposes of L×L blocks
                int p = 0;
                for (; p + tb <= kc; p += tb) {
                    for (int h = 0; h < NR; h += tb)
                        RegisterTranspose.block(b, bo + (jr + h) * bcs + p, bcs, bp, base + p * NR + h, NR);
                }
                for (int j = 0; j < NR; j++) { // the last kc % L rows
                    int src = bo + (jr + j) * bcs;
                    for (int q = p; q < kc; q++) bp[base + q * NR + j] = b[src + q];
                }
                continue;
            }
            if (brs == 1 && bcs != 1) { // column-major B (a Linear layer's w.t()): a blocked transpose
                for (int p0 = 0;
                        p0 < kc;
                        p0 += 16) { // 16 rows of the panel (2 KB) stay in L1 while all columns fill them
                    int p1 = Math.min(kc, p0 + 16);
                    for (int j = 0; j < nr; j++) {
                        int src = bo + (jr + j) * bcs;
                        for (int p = p0; p < p1; p++) bp[base + p * NR + j] = b[src + p];
                    }
                }
                if (nr < NR) for (int p = 0; p < kc; p++) for (int j = nr; j < NR; j++) bp[base + p * NR + j] = 0f;
                continue;
            }
            int dst = base;
            for (int p = 0; p < kc; p++) {
                int src = bo + p * brs + jr * bcs;
                if (bcs == 1 && nr == NR) {
                    System.arraycopy(b, src, bp, dst, NR);
                } else {
                    for (int j = 0; j < nr; j++) bp[dst + j] = b[src + j * bcs];
                    for (int j = nr; j < NR; j++) bp[dst + j] = 0f;
                }
                dst += NR;
            }
        }
    }

    /**
     * A block mc×kc (times alpha) into panels of MR rows from ap[apOffset]: panel r holds columns
     * p=0..kc-1 of MR floats. Each row count calls the loops with a constant MR: C2 inlines them per
     * call and compiles the scatter for that stride, which a variable MR slows down.
     */
    private static void packA(
            int MR, float[] a, int ao, int ars, int acs, int mc, int kc, float alpha, float[] ap, int apOffset) {
        switch (MR) {
            case 8 -> packPanels(8, a, ao, ars, acs, mc, kc, alpha, ap, apOffset);
            case 6 -> packPanels(6, a, ao, ars, acs, mc, kc, alpha, ap, apOffset);
            case 5 -> packPanels(5, a, ao, ars, acs, mc, kc, alpha, ap, apOffset);
            case 4 -> packPanels(4, a, ao, ars, acs, mc, kc, alpha, ap, apOffset);
            default -> packPanels(MR, a, ao, ars, acs, mc, kc, alpha, ap, apOffset);
        }
    }

    private static void packPanels(
            int MR, float[] a, int ao, int ars, int acs, int mc, int kc, float alpha, float[] ap, int apOffset) {
        int ir = 0;
        if (MR == 8 && acs == 1 && alpha == 1f && RegisterTranspose.BLOCK == 16) {
            ir = packRowMajorPanels(a, ao, ars, mc, kc, ap, apOffset);
        }
        for (; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int base = apOffset + ir * kc;
            if (acs == 1 && mr == MR && (MR == 5 || MR == 6) && alpha == 1f) {
                // row-major A, 5 × 2L (AVX2) or 6 × 4L (AVX-512 on Intel): a column of MR at a time
                int s0 = ao + ir * ars;
                int p = MR == 5 && RegisterTranspose.BLOCK == 8
                        ? RegisterTranspose.panel5(a, s0, ars, ap, base, kc)
                        : 0;
                for (; p < kc; p++) {
                    int dst = base + p * MR;
                    for (int i = 0; i < MR; i++) ap[dst + i] = a[s0 + i * ars + p];
                }
            } else if (acs == 1) { // row-major A: stream each row, scatter into the panel
                for (int i = 0; i < mr; i++) {
                    int src = ao + (ir + i) * ars;
                    if (alpha == 1f) for (int p = 0; p < kc; p++) ap[base + p * MR + i] = a[src + p];
                    else for (int p = 0; p < kc; p++) ap[base + p * MR + i] = alpha * a[src + p];
                }
            } else if (ars == 1 && mr == 8 && MR == 8 && L >= 8) { // column-major A (xᵀ of a weight gradient)
                for (int p = 0; p < kc; p++) {
                    FloatVector.fromArray(FloatVector.SPECIES_256, a, ao + ir + p * acs)
                            .mul(alpha)
                            .intoArray(ap, base + p * MR);
                }
            } else if (ars == 1
                    && mr == MR
                    && (MR == 5 || MR == 6)) { // the same for 5 × 2L and 6 × 4L: MR floats in a row
                for (int p = 0; p < kc; p++) {
                    int src = ao + ir + p * acs, dst = base + p * MR;
                    for (int i = 0; i < MR; i++) ap[dst + i] = alpha * a[src + i];
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = ao + ir * ars + p * acs, dst = base + p * MR;
                    for (int i = 0; i < mr; i++) ap[dst + i] = alpha * a[src + i * ars];
                }
            }
            if (mr < MR) { // zero the padding rows of a partial panel
                for (int p = 0; p < kc; p++) for (int i = mr; i < MR; i++) ap[base + p * MR + i] = 0f;
            }
        }
    }

    /**
     * Row-major A into 8-row panels by register transposes of 8 × 16 blocks straight into the panels
     * ({@link RegisterTranspose#panel8}). Returns the rows packed (a multiple of 8).
     */
    private static int packRowMajorPanels(float[] a, int ao, int ars, int mc, int kc, float[] ap, int apOffset) {
        int rows = mc & ~7;
        for (int ir = 0; ir < rows; ir += 8) {
            int base = apOffset + ir * kc, src = ao + ir * ars;
            int kBlocks = RegisterTranspose.panel8(a, src, ars, ap, base, kc);
            for (int i = 0; i < 8; i++) { // the last kc % 16 columns
                for (int p = kBlocks; p < kc; p++) ap[base + p * 8 + i] = a[src + i * ars + p];
            }
        }
        return rows;
    }

    /** The 8×2L micro-kernel: tile = Ap panel × Bp panel (8 rows of 2L floats). */
    private static void kernel8x2(
            int kc, float[] ap, int ai, float[] bp, int bi, int bstride, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x = FloatVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
            ai += 8;
            bi += bstride;
        }
        // The accumulators are stored (to C itself, or to a small tile that addTile adds to C): reading
        // C inside this method makes C2 compile the loop above about three times slower (measured).
        c00.intoArray(out, oi);
        c01.intoArray(out, oi + L);
        c10.intoArray(out, oi + ldo);
        c11.intoArray(out, oi + ldo + L);
        c20.intoArray(out, oi + 2 * ldo);
        c21.intoArray(out, oi + 2 * ldo + L);
        c30.intoArray(out, oi + 3 * ldo);
        c31.intoArray(out, oi + 3 * ldo + L);
        c40.intoArray(out, oi + 4 * ldo);
        c41.intoArray(out, oi + 4 * ldo + L);
        c50.intoArray(out, oi + 5 * ldo);
        c51.intoArray(out, oi + 5 * ldo + L);
        c60.intoArray(out, oi + 6 * ldo);
        c61.intoArray(out, oi + 6 * ldo + L);
        c70.intoArray(out, oi + 7 * ldo);
        c71.intoArray(out, oi + 7 * ldo + L);
    }

    /**
     * The micro-kernel reading MR rows of a row-major A in place: A[r][p] = a[a0 + r*ars + p]. A copy of
     * {@link #kernel8x2} on purpose: one kernel parameterised by A's two strides would walk eight row
     * pointers in the packed case too, and these loops are the whole cost of a matmul.
     */
    private static void kernelDirectA8x2(
            int kc, float[] a, int a0, int ars, float[] bp, int bi, int bstride, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        int r0 = a0,
                r1 = a0 + ars,
                r2 = r1 + ars,
                r3 = r2 + ars,
                r4 = r3 + ars,
                r5 = r4 + ars,
                r6 = r5 + ars,
                r7 = r6 + ars;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x = FloatVector.broadcast(S, a[r0 + p]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[r1 + p]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[r2 + p]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[r3 + p]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[r4 + p]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[r5 + p]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[r6 + p]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[r7 + p]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
            bi += bstride;
        }
        c00.intoArray(out, oi);
        c01.intoArray(out, oi + L);
        c10.intoArray(out, oi + ldo);
        c11.intoArray(out, oi + ldo + L);
        c20.intoArray(out, oi + 2 * ldo);
        c21.intoArray(out, oi + 2 * ldo + L);
        c30.intoArray(out, oi + 3 * ldo);
        c31.intoArray(out, oi + 3 * ldo + L);
        c40.intoArray(out, oi + 4 * ldo);
        c41.intoArray(out, oi + 4 * ldo + L);
        c50.intoArray(out, oi + 5 * ldo);
        c51.intoArray(out, oi + 5 * ldo + L);
        c60.intoArray(out, oi + 6 * ldo);
        c61.intoArray(out, oi + 6 * ldo + L);
        c70.intoArray(out, oi + 7 * ldo);
        c71.intoArray(out, oi + 7 * ldo + L);
    }

    /**
     * The 6×4L micro-kernel: tile = Ap panel (6 floats per k) × Bp panel (4 vectors per k). A k step
     * broadcasts its six A values first and then streams B's four vectors past them, one at a time:
     * 24 accumulators, six broadcasts and B fill the 32 vector registers exactly. Written row by row
     * (four B vectors loaded, then a broadcast per row), C2 still hoisted all six broadcasts and
     * spilled a B vector to the stack, reloaded twice every k step.
     */
    private static void kernel6x4(
            int kc, float[] ap, int ai, float[] bp, int bi, int bstride, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S),
                c01 = FloatVector.zero(S),
                c02 = FloatVector.zero(S),
                c03 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S),
                c11 = FloatVector.zero(S),
                c12 = FloatVector.zero(S),
                c13 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S),
                c21 = FloatVector.zero(S),
                c22 = FloatVector.zero(S),
                c23 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S),
                c31 = FloatVector.zero(S),
                c32 = FloatVector.zero(S),
                c33 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S),
                c41 = FloatVector.zero(S),
                c42 = FloatVector.zero(S),
                c43 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S),
                c51 = FloatVector.zero(S),
                c52 = FloatVector.zero(S),
                c53 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector x0 = FloatVector.broadcast(S, ap[ai]);
            FloatVector x1 = FloatVector.broadcast(S, ap[ai + 1]);
            FloatVector x2 = FloatVector.broadcast(S, ap[ai + 2]);
            FloatVector x3 = FloatVector.broadcast(S, ap[ai + 3]);
            FloatVector x4 = FloatVector.broadcast(S, ap[ai + 4]);
            FloatVector x5 = FloatVector.broadcast(S, ap[ai + 5]);
            FloatVector b = FloatVector.fromArray(S, bp, bi);
            c00 = x0.fma(b, c00);
            c10 = x1.fma(b, c10);
            c20 = x2.fma(b, c20);
            c30 = x3.fma(b, c30);
            c40 = x4.fma(b, c40);
            c50 = x5.fma(b, c50);
            b = FloatVector.fromArray(S, bp, bi + L);
            c01 = x0.fma(b, c01);
            c11 = x1.fma(b, c11);
            c21 = x2.fma(b, c21);
            c31 = x3.fma(b, c31);
            c41 = x4.fma(b, c41);
            c51 = x5.fma(b, c51);
            b = FloatVector.fromArray(S, bp, bi + 2 * L);
            c02 = x0.fma(b, c02);
            c12 = x1.fma(b, c12);
            c22 = x2.fma(b, c22);
            c32 = x3.fma(b, c32);
            c42 = x4.fma(b, c42);
            c52 = x5.fma(b, c52);
            b = FloatVector.fromArray(S, bp, bi + 3 * L);
            c03 = x0.fma(b, c03);
            c13 = x1.fma(b, c13);
            c23 = x2.fma(b, c23);
            c33 = x3.fma(b, c33);
            c43 = x4.fma(b, c43);
            c53 = x5.fma(b, c53);
            ai += 6;
            bi += bstride;
        }
        c00.intoArray(out, oi);
        c01.intoArray(out, oi + L);
        c02.intoArray(out, oi + 2 * L);
        c03.intoArray(out, oi + 3 * L);
        c10.intoArray(out, oi + ldo);
        c11.intoArray(out, oi + ldo + L);
        c12.intoArray(out, oi + ldo + 2 * L);
        c13.intoArray(out, oi + ldo + 3 * L);
        c20.intoArray(out, oi + 2 * ldo);
        c21.intoArray(out, oi + 2 * ldo + L);
        c22.intoArray(out, oi + 2 * ldo + 2 * L);
        c23.intoArray(out, oi + 2 * ldo + 3 * L);
        c30.intoArray(out, oi + 3 * ldo);
        c31.intoArray(out, oi + 3 * ldo + L);
        c32.intoArray(out, oi + 3 * ldo + 2 * L);
        c33.intoArray(out, oi + 3 * ldo + 3 * L);
        c40.intoArray(out, oi + 4 * ldo);
        c41.intoArray(out, oi + 4 * ldo + L);
        c42.intoArray(out, oi + 4 * ldo + 2 * L);
        c43.intoArray(out, oi + 4 * ldo + 3 * L);
        c50.intoArray(out, oi + 5 * ldo);
        c51.intoArray(out, oi + 5 * ldo + L);
        c52.intoArray(out, oi + 5 * ldo + 2 * L);
        c53.intoArray(out, oi + 5 * ldo + 3 * L);
    }

    /** The 4×4L micro-kernel: tile = Ap panel (4 floats per k) × Bp panel (4 vectors per k). */
    private static void kernel4x4(
            int kc, float[] ap, int ai, float[] bp, int bi, int bstride, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S),
                c01 = FloatVector.zero(S),
                c02 = FloatVector.zero(S),
                c03 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S),
                c11 = FloatVector.zero(S),
                c12 = FloatVector.zero(S),
                c13 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S),
                c21 = FloatVector.zero(S),
                c22 = FloatVector.zero(S),
                c23 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S),
                c31 = FloatVector.zero(S),
                c32 = FloatVector.zero(S),
                c33 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, bp, bi + 3 * L);
            FloatVector x = FloatVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
            ai += 4;
            bi += bstride;
        }
        c00.intoArray(out, oi);
        c01.intoArray(out, oi + L);
        c02.intoArray(out, oi + 2 * L);
        c03.intoArray(out, oi + 3 * L);
        c10.intoArray(out, oi + ldo);
        c11.intoArray(out, oi + ldo + L);
        c12.intoArray(out, oi + ldo + 2 * L);
        c13.intoArray(out, oi + ldo + 3 * L);
        c20.intoArray(out, oi + 2 * ldo);
        c21.intoArray(out, oi + 2 * ldo + L);
        c22.intoArray(out, oi + 2 * ldo + 2 * L);
        c23.intoArray(out, oi + 2 * ldo + 3 * L);
        c30.intoArray(out, oi + 3 * ldo);
        c31.intoArray(out, oi + 3 * ldo + L);
        c32.intoArray(out, oi + 3 * ldo + 2 * L);
        c33.intoArray(out, oi + 3 * ldo + 3 * L);
    }

    /** The 4×3L micro-kernel: tile = Ap panel (4 floats per k) × Bp panel (3 vectors per k). */
    private static void kernel4x3(
            int kc, float[] ap, int ai, float[] bp, int bi, int bstride, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * L);
            FloatVector x = FloatVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            ai += 4;
            bi += bstride;
        }
        c00.intoArray(out, oi);
        c01.intoArray(out, oi + L);
        c02.intoArray(out, oi + 2 * L);
        c10.intoArray(out, oi + ldo);
        c11.intoArray(out, oi + ldo + L);
        c12.intoArray(out, oi + ldo + 2 * L);
        c20.intoArray(out, oi + 2 * ldo);
        c21.intoArray(out, oi + 2 * ldo + L);
        c22.intoArray(out, oi + 2 * ldo + 2 * L);
        c30.intoArray(out, oi + 3 * ldo);
        c31.intoArray(out, oi + 3 * ldo + L);
        c32.intoArray(out, oi + 3 * ldo + 2 * L);
    }

    /** The 6×2L micro-kernel: tile = Ap panel (6 floats per k) × Bp panel (2 vectors per k). */
    private static void kernel6x2(
            int kc, float[] ap, int ai, float[] bp, int bi, int bstride, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x = FloatVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            ai += 6;
            bi += bstride;
        }
        c00.intoArray(out, oi);
        c01.intoArray(out, oi + L);
        c10.intoArray(out, oi + ldo);
        c11.intoArray(out, oi + ldo + L);
        c20.intoArray(out, oi + 2 * ldo);
        c21.intoArray(out, oi + 2 * ldo + L);
        c30.intoArray(out, oi + 3 * ldo);
        c31.intoArray(out, oi + 3 * ldo + L);
        c40.intoArray(out, oi + 4 * ldo);
        c41.intoArray(out, oi + 4 * ldo + L);
        c50.intoArray(out, oi + 5 * ldo);
        c51.intoArray(out, oi + 5 * ldo + L);
    }

    /**
     * {@link #kernel5x2} reading A's five rows in place (row stride ars) instead of from a packed panel:
     * the same multiply-adds in the same order, so the same bits.
     */
    private static void kernelDirectA5x2(
            int kc, float[] a, int a0, int ars, float[] bp, int bi, int bstride, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        int r0 = a0, r1 = a0 + ars, r2 = r1 + ars, r3 = r2 + ars, r4 = r3 + ars;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x = FloatVector.broadcast(S, a[r0 + p]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[r1 + p]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[r2 + p]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[r3 + p]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[r4 + p]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            bi += bstride;
        }
        c00.intoArray(out, oi);
        c01.intoArray(out, oi + L);
        c10.intoArray(out, oi + ldo);
        c11.intoArray(out, oi + ldo + L);
        c20.intoArray(out, oi + 2 * ldo);
        c21.intoArray(out, oi + 2 * ldo + L);
        c30.intoArray(out, oi + 3 * ldo);
        c31.intoArray(out, oi + 3 * ldo + L);
        c40.intoArray(out, oi + 4 * ldo);
        c41.intoArray(out, oi + 4 * ldo + L);
    }

    /**
     * The 5×2L micro-kernel: tile = Ap panel (5 floats per k) × Bp panel (2 vectors per k). Two k
     * steps per trip, written out because C2 does not unroll this loop: at 256 bits a step is ~26
     * instructions for ten FMAs (B's variable stride keeps a range check on each load), so the loop's
     * own count, increment and branch are worth halving. The second step's B offset is its own
     * variable ({@code bj}): C2's code for {@code bi + bstride} in the loads was slower. The
     * multiply-adds stay in k order, so the bits do not change.
     */
    private static void kernel5x2(
            int kc, float[] ap, int ai, float[] bp, int bi, int bstride, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector b0, b1, x;
        int p = 0;
        for (; p + 1 < kc; p += 2) {
            b0 = FloatVector.fromArray(S, bp, bi);
            b1 = FloatVector.fromArray(S, bp, bi + L);
            x = FloatVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            int bj = bi + bstride;
            b0 = FloatVector.fromArray(S, bp, bj);
            b1 = FloatVector.fromArray(S, bp, bj + L);
            x = FloatVector.broadcast(S, ap[ai + 5]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 6]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 7]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 8]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ai + 9]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            ai += 10;
            bi = bj + bstride;
        }
        if (p < kc) {
            b0 = FloatVector.fromArray(S, bp, bi);
            b1 = FloatVector.fromArray(S, bp, bi + L);
            x = FloatVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
        }
        c00.intoArray(out, oi);
        c01.intoArray(out, oi + L);
        c10.intoArray(out, oi + ldo);
        c11.intoArray(out, oi + ldo + L);
        c20.intoArray(out, oi + 2 * ldo);
        c21.intoArray(out, oi + 2 * ldo + L);
        c30.intoArray(out, oi + 3 * ldo);
        c31.intoArray(out, oi + 3 * ldo + L);
        c40.intoArray(out, oi + 4 * ldo);
        c41.intoArray(out, oi + 4 * ldo + L);
    }

    /** The 4×2L micro-kernel: tile = Ap panel (4 floats per k) × Bp panel (2 vectors per k). */
    private static void kernel4x2(
            int kc, float[] ap, int ai, float[] bp, int bi, int bstride, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x = FloatVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            ai += 4;
            bi += bstride;
        }
        c00.intoArray(out, oi);
        c01.intoArray(out, oi + L);
        c10.intoArray(out, oi + ldo);
        c11.intoArray(out, oi + ldo + L);
        c20.intoArray(out, oi + 2 * ldo);
        c21.intoArray(out, oi + 2 * ldo + L);
        c30.intoArray(out, oi + 3 * ldo);
        c31.intoArray(out, oi + 3 * ldo + L);
    }

    /** C[0..MR, 0..NR) += tile. */
    private static void addTile(int MR, int NR, float[] tile, float[] c, int ci, int ldc) {
        for (int i = 0; i < MR; i++) {
            int at = ci + i * ldc;
            for (int j = 0; j < NR; j += L)
                FloatVector.fromArray(S, tile, i * NR + j)
                        .add(FloatVector.fromArray(S, c, at + j))
                        .intoArray(c, at + j);
        }
    }
}
