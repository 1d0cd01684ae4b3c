package org.grad4j.kernels.jvm;

import java.util.concurrent.atomic.AtomicBoolean;
import org.grad4j.kernels.Attention;
import org.grad4j.kernels.AttentionMask;
import org.grad4j.kernels.Backend;
import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.Geometry;
import org.grad4j.kernels.ImageShape;
import org.grad4j.kernels.Layout;
import org.grad4j.kernels.Parallel;
import org.grad4j.kernels.ReduceOp;
import org.grad4j.kernels.StridedMatrix;
import org.grad4j.kernels.UnaryOp;
import org.grad4j.kernels.Window2d;

/**
 * The default backend: heap {@code float[]} buffers and the static kernels of this package. Each
 * strided call is reduced to "rows": dimensions are coalesced, the start of every innermost row is
 * listed once, and a row kernel runs over each.
 */
public final class JvmBackend implements Backend {
    public static final JvmBackend INSTANCE = new JvmBackend();

    private JvmBackend() {}

    private static float[] arr(Buffer b) {
        if (b instanceof HeapBuffer h) return h.data;
        throw new IllegalArgumentException("the JVM backend was given a buffer of backend '"
                + b.backend().name() + "'; move the tensor to the JVM device first");
    }

    /** Wraps an existing array (no copy): the array becomes the tensor's storage. */
    public static Buffer wrap(float[] data) {
        return new HeapBuffer(data);
    }

    @Override
    public String name() {
        return "jvm";
    }

    @Override
    public Buffer allocate(int size) {
        return new HeapBuffer(new float[size]);
    }

    private static final ArrayPool POOL = new ArrayPool();

    @Override
    public Buffer allocateUninitialized(int size) {
        float[] a = POOL.take(size);
        return new HeapBuffer(a != null ? a : new float[size]);
    }

    @Override
    public void release(Buffer buffer) {
        POOL.give(arr(buffer));
    }

    @Override
    public void write(float[] src, int srcOffset, Buffer dst, int dstOffset, int length) {
        System.arraycopy(src, srcOffset, arr(dst), dstOffset, length);
    }

    @Override
    public void read(Buffer src, int srcOffset, float[] dst, int dstOffset, int length) {
        System.arraycopy(arr(src), srcOffset, dst, dstOffset, length);
    }

    @Override
    public void copy(Buffer src, Layout sl, Buffer dst, Layout dl) {
        if (sl.numel() == 0) return;
        int[][] g = Geometry.coalesce(sl.shape(), sl.strides(), dl.strides());
        int[] shape = g[0];
        int n = shape[shape.length - 1];
        int ss = g[1][shape.length - 1], ds = g[2][shape.length - 1];
        int[] srows = Geometry.rowStarts(shape, g[1], sl.offset());
        int[] drows = Geometry.rowStarts(shape, g[2], dl.offset());
        float[] s = arr(src), d = arr(dst);
        int rank = shape.length;
        if (Simd.AVAILABLE
                && RegisterTranspose.BLOCK > 0
                && rank >= 2
                && ds == 1
                && ss != 1
                && g[1][rank - 2] == 1
                && g[2][rank - 2] == n
                && shape[rank - 2] >= 16
                && n >= 16) {
            transposeCopy(s, sl.offset(), g, d, dl.offset());
            return;
        }
        if (ss == 1 && ds == 1 && srows.length == 1) { // one contiguous run: chunks over the threads
            int so = srows[0], dOff = drows[0];
            Parallel.forRange((n + CHUNK - 1) / CHUNK, n, (from, to) -> {
                int b = from * CHUNK, e = Math.min(n, to * CHUNK);
                System.arraycopy(s, so + b, d, dOff + b, e - b);
            });
        } else if (ss == 1 && ds == 1) {
            Parallel.forRange(srows.length, (long) srows.length * n, (from, to) -> {
                for (int r = from; r < to; r++) System.arraycopy(s, srows[r], d, drows[r], n);
            });
        } else { // a permuted view made contiguous (conv's backward reshapes): rows over the threads
            Parallel.forRange(srows.length, (long) srows.length * n, (from, to) -> {
                for (int r = from; r < to; r++) ElementwiseKernels.copy(s, srows[r], ss, d, drows[r], ds, n);
            });
        }
    }

    /**
     * A copy whose last two dimensions are transposed (the destination's rows are the source's
     * columns: {@code x.t().contiguous()}, conv's backward reshapes), by register transposes (16×16 or 8×8)
     * instead of one strided load per element; tiles of 16 destination rows go over the threads.
     */
    private static void transposeCopy(float[] s, int sOffset, int[][] g, float[] d, int dOffset) {
        int[] shape = g[0];
        int rank = shape.length, rows = shape[rank - 2], n = shape[rank - 1], ss = g[1][rank - 1];
        int[] outer = java.util.Arrays.copyOf(shape, rank - 2);
        int[] so = Geometry.elementOffsets(outer, java.util.Arrays.copyOf(g[1], rank - 2));
        int[] dOffs = Geometry.elementOffsets(outer, java.util.Arrays.copyOf(g[2], rank - 2));
        int tiles = (rows + 15) / 16;
        Parallel.forRange(so.length * tiles, (long) so.length * rows * n, (from, to) -> {
            for (int t = from; t < to; t++) {
                int sBase = sOffset + so[t / tiles], dBase = dOffset + dOffs[t / tiles];
                int a0 = t % tiles * 16, ra = Math.min(16, rows - a0);
                // dst[a][j] = src[a + j*ss]: the n source runs (from a0) become ra destination rows
                RegisterTranspose.transpose(s, sBase + a0, ss, d, dBase + a0 * n, n, n, ra);
            }
        });
    }

    @Override
    public void fill(Buffer dst, Layout l, float value) {
        if (l.numel() == 0) return;
        int[][] g = Geometry.coalesce(l.shape(), l.strides());
        int[] shape = g[0];
        int n = shape[shape.length - 1], st = g[1][shape.length - 1];
        float[] d = arr(dst);
        int[] rows = Geometry.rowStarts(shape, g[1], l.offset());
        if (st == 1 && rows.length == 1) { // one contiguous run (zero_ of a gradient): chunks over the threads
            int off = rows[0];
            Parallel.forRange(
                    (n + CHUNK - 1) / CHUNK,
                    n,
                    (from, to) -> java.util.Arrays.fill(d, off + from * CHUNK, off + Math.min(n, to * CHUNK), value));
            return;
        }
        Parallel.forRange(rows.length, (long) rows.length * n, (from, to) -> {
            for (int r = from; r < to; r++) {
                if (st == 1) java.util.Arrays.fill(d, rows[r], rows[r] + n, value); // vectorised by the JIT
                else ElementwiseKernels.fill(d, rows[r], st, n, value);
            }
        });
    }

    /** Elements per parallel chunk of a long contiguous run. */
    private static final int CHUNK = 1 << 14;

    private static boolean transcendental(UnaryOp op) {
        return op == UnaryOp.EXP
                || op == UnaryOp.LOG
                || op == UnaryOp.TANH
                || op == UnaryOp.SIGMOID
                || op == UnaryOp.POW
                || op == UnaryOp.POW_BASE
                || op == UnaryOp.SILU
                || op == UnaryOp.ERF
                || op == UnaryOp.GELU
                || op == UnaryOp.GELU_TANH
                || op == UnaryOp.SOFTPLUS;
    }

    private static void unaryRow(UnaryOp op, float p0, float p1, float[] x, int xo, int xs, float[] o, int oo, int n) {
        if (xs == 1 && Simd.AVAILABLE && VectorElementwise.unary(op, p0, p1, x, xo, o, oo, n)) return;
        ElementwiseKernels.unary(op, p0, p1, x, xo, xs, o, oo, n);
    }

    private static void binaryRow(
            BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] o, int oo, int n) {
        if (Simd.AVAILABLE && VectorElementwise.binary(op, a, ao, as, b, bo, bs, o, oo, n)) return;
        ElementwiseKernels.binary(op, a, ao, as, b, bo, bs, o, oo, n);
    }

    @Override
    public void unary(UnaryOp op, float p0, float p1, Buffer x, Layout xl, Buffer out) {
        int numel = xl.numel();
        if (numel == 0) return;
        float[] xa = arr(x), o = arr(out);
        long work = (long) numel * (transcendental(op) ? 16 : 1);
        if (xl.isContiguous()) { // the common case: no index arithmetic at all
            int off = xl.offset();
            Parallel.forRange((numel + CHUNK - 1) / CHUNK, work, (from, to) -> {
                int s = from * CHUNK, e = Math.min(numel, to * CHUNK);
                unaryRow(op, p0, p1, xa, off + s, 1, o, s, e - s);
            });
            return;
        }
        int[][] g = Geometry.coalesce(xl.shape(), xl.strides());
        int[] shape = g[0];
        int n = shape[shape.length - 1], xs = g[1][shape.length - 1];
        int[] rows = Geometry.rowStarts(shape, g[1], xl.offset());
        Parallel.forRange(rows.length, work, (from, to) -> {
            for (int r = from; r < to; r++) unaryRow(op, p0, p1, xa, rows[r], xs, o, r * n, n);
        });
    }

    /**
     * The product is stored first (so it never zero-fills or reads its output), then C (a bias,
     * broadcast) is added in one parallel pass; copying a broadcast C into the output first was a
     * serial strided copy (3.2 MB for a batch-64 conv layer's bias). Independent batch entries (a
     * convolution's images) get C added each right after its product, while it is still in cache:
     * the same two roundings, without reading the whole output back from memory.
     */
    @Override
    public void addmm(
            Buffer c,
            Layout cLayout,
            int batch,
            int m,
            int n,
            int k,
            StridedMatrix am,
            StridedMatrix bm,
            Buffer out,
            float alpha,
            float beta) {
        Buffer a = am.buffer(), b = bm.buffer();
        int aOffset = am.offset(), aBatchStride = am.batchStride(), aRowStride = am.rowStride();
        int aColStride = am.colStride(), bOffset = bm.offset(), bBatchStride = bm.batchStride();
        int bRowStride = bm.rowStride(), bColStride = bm.colStride();
        if (beta == 1f && batchedProducts(batch, m, n, k)) {
            float[] ca = arr(c), o = arr(out);
            int[] cs = cLayout.strides();
            products(
                    batch,
                    m,
                    n,
                    k,
                    arr(a),
                    aOffset,
                    aBatchStride,
                    aRowStride,
                    aColStride,
                    arr(b),
                    bOffset,
                    bBatchStride,
                    bRowStride,
                    bColStride,
                    o,
                    alpha,
                    0f,
                    e -> {
                        for (int i = 0; i < m; i++) {
                            int row = (e * m + i) * n;
                            binaryRow(
                                    BinaryOp.ADD,
                                    o,
                                    row,
                                    1,
                                    ca,
                                    cLayout.offset() + e * cs[0] + i * cs[1],
                                    cs[2],
                                    o,
                                    row,
                                    n);
                        }
                    });
            return;
        }
        matmul(batch, m, n, k, am, bm, out, alpha, 0f);
        if (beta == 0f) return; // as BLAS and PyTorch: C is not read at all
        Layout dense = Layout.contiguous(new int[] {batch, m, n});
        if (beta == 1f) binary(BinaryOp.ADD, out, dense, c, cLayout, out);
        else binaryScaled(BinaryOp.ADD, out, dense, c, cLayout, beta, out);
    }

    @Override
    public void binaryScaled(BinaryOp op, Buffer a, Layout al, Buffer b, Layout bl, float alpha, Buffer out) {
        if ((op != BinaryOp.ADD && op != BinaryOp.SUB) || !al.isContiguous() || !bl.isContiguous()) {
            Backend.super.binaryScaled(op, a, al, b, bl, alpha, out);
            return;
        }
        int numel = al.numel(), ao = al.offset(), bo = bl.offset();
        float[] aa = arr(a), ba = arr(b), o = arr(out);
        boolean sub = op == BinaryOp.SUB;
        Parallel.forRange((numel + CHUNK - 1) / CHUNK, numel, (from, to) -> {
            int s = from * CHUNK, e = Math.min(numel, to * CHUNK);
            if (Simd.AVAILABLE) VectorElementwise.addScaled(sub, aa, ao + s, ba, bo + s, alpha, o, s, e - s);
            else ElementwiseKernels.addScaled(sub, aa, ao + s, ba, bo + s, alpha, o, s, e - s);
        });
    }

    @Override
    public void binary(BinaryOp op, Buffer a, Layout al, Buffer b, Layout bl, Buffer out) {
        int numel = al.numel();
        if (numel == 0) return;
        float[] aa = arr(a), ba = arr(b), o = arr(out);
        boolean ac = al.isContiguous(), bc = bl.isContiguous();
        boolean aScalar = !ac && allZero(al.strides()), bScalar = !bc && allZero(bl.strides());
        if ((ac || aScalar) && (bc || bScalar)) { // same-shape or tensor-with-scalar: one flat run
            int ao = al.offset(), bo = bl.offset(), as = aScalar ? 0 : 1, bs = bScalar ? 0 : 1;
            Parallel.forRange((numel + CHUNK - 1) / CHUNK, numel, (from, to) -> {
                int s = from * CHUNK, e = Math.min(numel, to * CHUNK);
                binaryRow(op, aa, ao + s * as, as, ba, bo + s * bs, bs, o, s, e - s);
            });
            return;
        }
        int[][] g = Geometry.coalesce(al.shape(), al.strides(), bl.strides());
        int[] shape = g[0];
        int last = shape.length - 1, n = shape[last];
        int[] ar = Geometry.rowStarts(shape, g[1], al.offset());
        int[] br = Geometry.rowStarts(shape, g[2], bl.offset());
        int as = g[1][last], bs = g[2][last];
        Parallel.forRange(ar.length, numel, (from, to) -> {
            for (int r = from; r < to; r++) binaryRow(op, aa, ar[r], as, ba, br[r], bs, o, r * n, n);
        });
    }

    private static boolean consecutive(int[] starts) {
        for (int i = 1; i < starts.length; i++) if (starts[i] != starts[0] + i) return false;
        return true;
    }

    private static boolean allZero(int[] strides) {
        for (int s : strides) if (s != 0) return false;
        return true;
    }

    @Override
    public void where(Buffer cond, Layout cl, Buffer a, Layout al, Buffer b, Layout bl, Buffer out) {
        if (cl.numel() == 0) return;
        int[][] g = Geometry.coalesce(cl.shape(), cl.strides(), al.strides(), bl.strides());
        int[] shape = g[0];
        int last = shape.length - 1, n = shape[last];
        int[] cr = Geometry.rowStarts(shape, g[1], cl.offset());
        int[] ar = Geometry.rowStarts(shape, g[2], al.offset());
        int[] br = Geometry.rowStarts(shape, g[3], bl.offset());
        float[] ca = arr(cond), aa = arr(a), ba = arr(b), o = arr(out);
        for (int r = 0; r < cr.length; r++) {
            ElementwiseKernels.where(ca, cr[r], g[1][last], aa, ar[r], g[2][last], ba, br[r], g[3][last], o, r * n, n);
        }
    }

    @Override
    public void reduce(ReduceOp op, Buffer x, Layout l, int keptRank, Buffer out, Buffer indices) {
        int rank = l.rank();
        int[] keptShape = java.util.Arrays.copyOfRange(l.shape(), 0, keptRank);
        int[] keptStrides = java.util.Arrays.copyOfRange(l.strides(), 0, keptRank);
        int[] redShape = java.util.Arrays.copyOfRange(l.shape(), keptRank, rank);
        int[] redStrides = java.util.Arrays.copyOfRange(l.strides(), keptRank, rank);
        int outN = Layout.numel(keptShape);
        if (outN == 0) return;
        int redN = Layout.numel(redShape);
        float[] xa = arr(x), o = arr(out);
        if (redN == 0) {
            if (op != ReduceOp.SUM) throw new IllegalArgumentException("max/min of an empty dimension has no identity");
            java.util.Arrays.fill(o, 0, outN, 0f);
            return;
        }
        int[] starts = Geometry.elementOffsets(keptShape, keptStrides);
        for (int i = 0; i < starts.length; i++) starts[i] += l.offset();
        if (op == ReduceOp.SUM) {
            int[][] g = Geometry.coalesce(redShape, redStrides);
            if (g[0].length == 1) {
                int n = g[0][0], st = g[1][0];
                if (st == 1 && Simd.AVAILABLE && starts.length == 1 && n >= 1 << 16) {
                    o[0] = (float)
                            VectorElementwise.sumParallel(xa, starts[0], n); // a whole long tensor: over the threads
                } else if (st == 1 && Simd.AVAILABLE) {
                    Parallel.forRange(outN, (long) outN * n, (from, to) -> {
                        for (int i = from; i < to; i++) o[i] = (float) VectorElementwise.sum(xa, starts[i], n);
                    });
                } else if (Simd.AVAILABLE && outN >= VectorElementwise.L && consecutive(starts) && st >= outN) {
                    // column sums (a bias gradient: sum over the batch): add whole rows, vectorised
                    VectorElementwise.columnSums(xa, starts[0], n, st, outN, o);
                } else {
                    Parallel.forRange(
                            outN, (long) outN * n, (from, to) -> ReduceKernels.sumRows(xa, starts, n, st, o, from, to));
                }
                return;
            }
            if (Simd.AVAILABLE && g[0].length == 2 && g[1][1] == 1 && g[0][1] >= VectorElementwise.L) {
                // strided unit-stride runs (a conv bias gradient: over the batch and the pixels): each run vectorised
                int runs = g[0][0], n = g[0][1], st = g[1][0];
                Parallel.forRange(outN, (long) outN * redN, (from, to) -> {
                    for (int i = from; i < to; i++) {
                        double acc = 0;
                        for (int r = 0; r < runs; r++) acc += VectorElementwise.sum(xa, starts[i] + r * st, n);
                        o[i] = (float) acc;
                    }
                });
                return;
            }
        }
        int[] offs = Geometry.elementOffsets(redShape, redStrides);
        float[] ia = indices == null ? null : arr(indices);
        Parallel.forRange(outN, (long) outN * redN, (from, to) -> { // outputs over the threads
            switch (op) {
                case SUM -> ReduceKernels.sum(xa, starts, offs, o, from, to);
                case MAX -> ReduceKernels.extreme(xa, starts, offs, 1f, o, ia, from, to);
                case MIN -> ReduceKernels.extreme(xa, starts, offs, -1f, o, ia, from, to);
            }
        });
    }

    @Override
    public void matmul(
            int batch, int m, int n, int k, StridedMatrix am, StridedMatrix bm, Buffer out, float alpha, float beta) {
        Buffer a = am.buffer(), b = bm.buffer();
        int aOffset = am.offset(), aBatchStride = am.batchStride(), aRowStride = am.rowStride();
        int aColStride = am.colStride(), bOffset = bm.offset(), bBatchStride = bm.batchStride();
        int bRowStride = bm.rowStride(), bColStride = bm.colStride();
        float[] aa = arr(a), ba = arr(b), c = arr(out);
        long flops = 2L * m * n * k;
        if (batchedProducts(batch, m, n, k)) {
            products(
                    batch,
                    m,
                    n,
                    k,
                    aa,
                    aOffset,
                    aBatchStride,
                    aRowStride,
                    aColStride,
                    ba,
                    bOffset,
                    bBatchStride,
                    bRowStride,
                    bColStride,
                    c,
                    alpha,
                    beta,
                    null);
            return;
        }
        if (Simd.AVAILABLE && (long) m * n * k >= 4096 && n >= 8) {
            if (bColStride != 1
                    && bRowStride == 1
                    && aColStride == 1
                    && batch == 1
                    && (m <= 2 * VectorGemm.NR && n > m || n < VectorGemm.NR && m >= 4 * VectorGemm.NR)) {
                // x @ w.t() with a short x (a Linear layer on a small batch): packing the big column-major
                // w would cost as much as the product, so compute C^T = w @ x^T instead, reading w in place.
                // With a narrow w (a classifier's last layer: 10 outputs) C's rows would be padded to NR
                // columns (3.2× the products for 10 of 32); C^T pads n to MR rows instead.
                transposedProduct(m, n, k, aa, aOffset, aRowStride, ba, bOffset, bColStride, c, alpha, beta, flops);
                return;
            }
            // One slice of C per thread (not more): every slice packs its own copy of the other operand.
            int parts = Math.max(1, Math.min(Parallel.numThreads(), (int) (flops >> 20)));
            int vr = VectorGemm.NR, mr = VectorGemm.MR;
            for (int e = 0; e < batch; e++) {
                int ao = aOffset + e * aBatchStride, bo = bOffset + e * bBatchStride, co = e * m * n;
                if (k == 0 || beta != 0f) scale(c, co, m * n, beta); // beta == 0: the product stores C
                if (k == 0) continue;
                if (n >= 2 * vr * parts || m < 2 * mr) {
                    int panels = (n + vr - 1) / vr; // split the columns of C, in whole panels
                    Parallel.forRange(parts, flops, (from, to) -> {
                        for (int part = from; part < to; part++) {
                            int j0 = panels * part / parts * vr, j1 = Math.min(n, panels * (part + 1) / parts * vr);
                            if (j1 > j0)
                                VectorGemm.gemm(
                                        m,
                                        j1 - j0,
                                        k,
                                        alpha,
                                        aa,
                                        ao,
                                        aRowStride,
                                        aColStride,
                                        ba,
                                        bo + j0 * bColStride,
                                        bRowStride,
                                        bColStride,
                                        c,
                                        co + j0,
                                        n,
                                        beta == 0f);
                        }
                    });
                } else {
                    int blocks = (m + mr - 1) / mr; // split the rows of C
                    Parallel.forRange(parts, flops, (from, to) -> {
                        for (int part = from; part < to; part++) {
                            int i0 = blocks * part / parts * mr, i1 = Math.min(m, blocks * (part + 1) / parts * mr);
                            if (i1 > i0)
                                VectorGemm.gemm(
                                        i1 - i0,
                                        n,
                                        k,
                                        alpha,
                                        aa,
                                        ao + i0 * aRowStride,
                                        aRowStride,
                                        aColStride,
                                        ba,
                                        bo,
                                        bRowStride,
                                        bColStride,
                                        c,
                                        co + i0 * n,
                                        n,
                                        beta == 0f);
                        }
                    });
                }
            }
            return;
        }
        float[] packed = bColStride == 1 ? null : new float[k * n];
        for (int t = 0; t < batch; t++) {
            int bo = bOffset + t * bBatchStride, brs = bRowStride;
            float[] bb = ba;
            if (packed != null) { // make B's rows unit-stride for the inner loop
                for (int p = 0; p < k; p++) {
                    ElementwiseKernels.copy(ba, bo + p * bRowStride, bColStride, packed, p * n, 1, n);
                }
                bb = packed;
                bo = 0;
                brs = n;
            }
            MatmulKernels.gemm(
                    m,
                    n,
                    k,
                    aa,
                    aOffset + t * aBatchStride,
                    aRowStride,
                    aColStride,
                    bb,
                    bo,
                    brs,
                    c,
                    t * m * n,
                    alpha,
                    beta);
        }
    }

    /** Whether a batched product runs as independent products, one batch entry per task (then k > 0). */
    private static boolean batchedProducts(int batch, int m, int n, int k) {
        return Simd.AVAILABLE && (long) m * n * k >= 4096 && n >= 8 && batch > 1 && batch >= Parallel.numThreads();
    }

    /**
     * The batch entries' products over the threads, each followed by {@code after} (if not null) on
     * the same thread while the entry's C is in cache. Entries sharing one A (a convolution's weight)
     * pack it once per task.
     */
    private static void products(
            int batch,
            int m,
            int n,
            int k,
            float[] aa,
            int aOffset,
            int aBatchStride,
            int aRowStride,
            int aColStride,
            float[] ba,
            int bOffset,
            int bBatchStride,
            int bRowStride,
            int bColStride,
            float[] c,
            float alpha,
            float beta,
            java.util.function.IntConsumer after) {
        Parallel.forRange(batch, 2L * m * n * k * batch, (from, to) -> {
            for (int e = from; e < to; e++) {
                int co = e * m * n;
                if (beta != 0f) scale(c, co, m * n, beta); // beta == 0: the product stores C
                VectorGemm.gemm(
                        m,
                        n,
                        k,
                        alpha,
                        aa,
                        aOffset + e * aBatchStride,
                        aRowStride,
                        aColStride,
                        ba,
                        bOffset + e * bBatchStride,
                        bRowStride,
                        bColStride,
                        c,
                        co,
                        n,
                        beta == 0f,
                        aBatchStride == 0,
                        e > from);
                if (after != null) after.accept(e);
            }
        });
    }

    /** C = beta*C + alpha * A @ B for row-major A (m×k) and column-major B (k×n), via C^T = B^T @ A^T. */
    private static void transposedProduct(
            int m,
            int n,
            int k,
            float[] aa,
            int ao,
            int ars,
            float[] ba,
            int bo,
            int bcs,
            float[] c,
            float alpha,
            float beta,
            long flops) {
        float[] pooled = POOL.take(n * m), ct = pooled != null ? pooled : new float[n * m]; // fully written below
        int parts = Math.max(1, Math.min(Parallel.numThreads(), (int) (flops >> 20)));
        int mr = VectorGemm.MR, blocks = (n + mr - 1) / mr;
        Parallel.forRange(parts, flops, (from, to) -> {
            for (int part = from; part < to; part++) {
                int i0 = blocks * part / parts * mr, i1 = Math.min(n, blocks * (part + 1) / parts * mr);
                // rows i0..i1 of C^T = B^T[i0..i1) (row-major, row stride bcs) @ A^T (column-major)
                if (i1 > i0)
                    VectorGemm.gemm(i1 - i0, m, k, 1f, ba, bo + i0 * bcs, bcs, 1, aa, ao, 1, ars, ct, i0 * m, m, true);
            }
        });
        for (int i = 0; i < m; i++) { // C = beta*C + alpha*(C^T)^T in one pass (beta == 0 never reads C)
            if (beta == 0f) for (int j = 0; j < n; j++) c[i * n + j] = alpha * ct[j * m + i];
            else for (int j = 0; j < n; j++) c[i * n + j] = beta * c[i * n + j] + alpha * ct[j * m + i];
        }
        POOL.give(ct); // the same shape comes back every training step
    }

    /** c[off..off+n) *= beta, where beta == 0 clears (NaN included), as BLAS does. */
    private static void scale(float[] c, int off, int n, float beta) {
        if (beta == 0f) java.util.Arrays.fill(c, off, off + n, 0f);
        else if (beta != 1f) for (int i = 0; i < n; i++) c[off + i] *= beta;
    }

    @Override
    public void softmax(Buffer x, int outer, int size, int inner, boolean log, Buffer out) {
        RowKernels.softmax(arr(x), outer, size, inner, log, arr(out));
    }

    @Override
    public void attention(Attention a, Buffer q, Buffer k, Buffer v, AttentionMask mask, Buffer out, Buffer lse) {
        AttentionKernels.forward(a, arr(q), arr(k), arr(v), mask(mask), arr(out), arr(lse));
    }

    @Override
    public void attentionBackward(
            Attention a,
            Buffer q,
            Buffer k,
            Buffer v,
            AttentionMask mask,
            Buffer out,
            Buffer lse,
            Buffer gradOut,
            Buffer gradQ,
            Buffer gradK,
            Buffer gradV) {
        AttentionKernels.backward(
                a,
                arr(q),
                arr(k),
                arr(v),
                mask(mask),
                arr(out),
                arr(lse),
                arr(gradOut),
                arr(gradQ),
                arr(gradK),
                arr(gradV));
    }

    private static AttentionKernels.Mask mask(AttentionMask m) {
        return m == null
                ? null
                : new AttentionKernels.Mask(
                        arr(m.buffer()), m.batchOffsets(), m.rowStride(), m.colStride(), m.additive());
    }

    @Override
    public void indexSelect(Buffer x, int outer, int dimSize, int inner, int[] index, Buffer out) {
        RowKernels.indexSelect(arr(x), outer, dimSize, inner, index, arr(out));
    }

    @Override
    public void indexAdd(Buffer src, int outer, int dimSize, int inner, int[] index, Buffer out) {
        RowKernels.indexAdd(arr(src), outer, dimSize, inner, index, arr(out));
    }

    @Override
    public void gather(Buffer x, int outer, int dimSize, int inner, Buffer index, int n, Buffer out) {
        IndexKernels.gather(arr(x), outer, dimSize, inner, arr(index), n, arr(out));
    }

    @Override
    public void scatter(
            Buffer src, Buffer index, int outer, int n, int inner, int dimSize, boolean accumulate, Buffer out) {
        IndexKernels.scatter(arr(src), arr(index), outer, n, inner, dimSize, accumulate, arr(out));
    }

    @Override
    public void cumsum(Buffer x, int outer, int size, int inner, boolean reverse, Buffer out) {
        IndexKernels.cumsum(arr(x), outer, size, inner, reverse, arr(out));
    }

    @Override
    public void topk(Buffer x, int outer, int size, int inner, int k, boolean largest, Buffer values, Buffer indices) {
        IndexKernels.topk(arr(x), outer, size, inner, k, largest, arr(values), arr(indices));
    }

    @Override
    public void im2col(Buffer x, ImageShape shape, Window2d window, Buffer cols) {
        float[] xa = arr(x), ca = arr(cols);
        long work = columnCount(shape, window);
        Parallel.forRange(shape.batch(), work, (n0, n1) -> ConvKernels.im2col(xa, n0, n1, shape, window, ca, 0));
    }

    @Override
    public void col2im(Buffer cols, ImageShape shape, Window2d window, Buffer x) {
        float[] ca = arr(cols), xa = arr(x);
        long work = columnCount(shape, window);
        Parallel.forRange(shape.batch(), work, (n0, n1) -> ConvKernels.col2im(ca, n0, n1, shape, window, xa, 0));
    }

    /** The batch's im2col entries: the work of unfolding or folding it. */
    private static long columnCount(ImageShape shape, Window2d window) {
        return (long) shape.batch()
                * shape.channels()
                * window.kernelH()
                * window.kernelW()
                * window.outH(shape.height())
                * window.outW(shape.width());
    }

    /**
     * Stride 1, no dilation, padding that leaves the input gradient's convolution a valid window, and
     * per-image buffers of at most {@link ImplicitGemmConv#MAX_SCRATCH} floats (larger images unfold).
     */
    @Override
    public boolean convolvesDirectly(ImageShape shape, Window2d window, int outChannels) {
        return Simd.AVAILABLE
                && window.strideH() == 1
                && window.strideW() == 1
                && window.dilationH() == 1
                && window.dilationW() == 1
                && window.padH() < window.kernelH()
                && window.padW() < window.kernelW()
                && ImplicitGemmConv.fits(grid(shape, window), shape.batch(), outChannels);
    }

    @Override
    public void conv2d(
            Buffer x, ImageShape shape, Window2d window, Buffer weight, int outChannels, Buffer bias, Buffer out) {
        ImplicitGemmConv.Grid g = grid(shape, window);
        float[] xa = arr(x), wa = arr(weight), ba = bias == null ? null : arr(bias), oa = arr(out);
        if (WinogradConv.applies(shape, window, outChannels) && WinogradConv.moderate(wa, 0, wa.length)) {
            WinogradConv.Geometry geo = WinogradConv.Geometry.of(shape, window, outChannels);
            float[] u = WinogradConv.transformWeight(wa, geo, false), pb = WinogradConv.paddedBias(ba, geo);
            Parallel.forRange(
                    geo.units(), geo.flops(), (u0, u1) -> WinogradConv.forward(xa, u0, u1, geo, u, pb, oa, g, wa, ba));
            return;
        }
        long flops = 2L * shape.batch() * outChannels * g.k() * g.n();
        Parallel.forRange(
                shape.batch(), flops, (n0, n1) -> ImplicitGemmConv.forward(xa, n0, n1, g, wa, outChannels, ba, oa));
    }

    @Override
    public void conv2dInputGrad(
            Buffer gradOut, ImageShape shape, Window2d window, Buffer weight, int outChannels, Buffer gradInput) {
        if (!ImplicitGemmConv.allFinite(arr(weight))) {
            // inf or NaN times the zero padding of the gradient would be NaN where PyTorch adds only the
            // pairs under the window: columns of the gradient folded back, as im2col's adjoint does
            float[] wa = arr(weight), ga = arr(gradOut), ia = arr(gradInput);
            Parallel.forRange(
                    shape.batch(),
                    2L * shape.batch() * outChannels * shape.channels() * window.kernelH() * window.kernelW(),
                    (n0, n1) -> ImplicitGemmConv.inputGradByColumns(ga, n0, n1, shape, window, wa, outChannels, ia));
            return;
        }
        ImplicitGemmConv.Grid g = ImplicitGemmConv.inputGradGrid(grid(shape, window), outChannels);
        float[] ga = arr(gradOut), ia = arr(gradInput), wa = arr(weight);
        if (WinogradConv.applies(shape, window, outChannels) && WinogradConv.moderate(wa, 0, wa.length)) {
            WinogradConv.Geometry geo = WinogradConv.Geometry.of(shape, window, outChannels);
            float[] ut = WinogradConv.transformWeight(wa, geo, true);
            Parallel.forRange(
                    geo.units(), geo.flops(), (u0, u1) -> WinogradConv.inputGrad(ga, u0, u1, geo, ut, ia, g, wa));
            return;
        }
        float[] wt = ImplicitGemmConv.flippedTransposed(
                wa, outChannels, shape.channels(), window.kernelH(), window.kernelW());
        long flops = 2L * shape.batch() * shape.channels() * g.k() * g.n();
        Parallel.forRange(
                shape.batch(),
                flops,
                (n0, n1) -> ImplicitGemmConv.forward(ga, n0, n1, g, wt, shape.channels(), null, ia));
    }

    @Override
    public void conv2dWeightGrad(
            Buffer x,
            ImageShape shape,
            Window2d window,
            Buffer gradOut,
            int outChannels,
            Buffer gradWeight,
            Buffer gradBias) {
        float[] gb = gradBias == null ? null : arr(gradBias);
        if (WinogradConv.applies(shape, window, outChannels)
                && WinogradConv.Geometry.of(shape, window, outChannels).partialsFit()
                && winogradWeightGrad(arr(x), shape, window, arr(gradOut), outChannels, arr(gradWeight), gb)) return;
        ImplicitGemmConv.Grid g = grid(shape, window);
        int batch = shape.batch(), k = g.k();
        int parts = (batch + ImplicitGemmConv.IMAGES_PER_PART - 1) / ImplicitGemmConv.IMAGES_PER_PART;
        if (parts == 0) { // an empty batch: nothing to sum
            java.util.Arrays.fill(arr(gradWeight), 0f);
            if (gb != null) java.util.Arrays.fill(gb, 0f);
            return;
        }
        int length = parts * k * outChannels; // bounded by ImplicitGemmConv.fits
        float[] pooled = POOL.take(length);
        float[] partials = pooled != null ? pooled : new float[length]; // each part stores its own
        float[] biasPartials = gb == null ? null : new float[parts * outChannels];
        float[] xa = arr(x), ga = arr(gradOut);
        long flops = 2L * batch * outChannels * k * g.n();
        Parallel.forRange(
                parts,
                flops,
                (p0, p1) -> ImplicitGemmConv.weightGradParts(
                        xa, ga, batch, p0, p1, g, outChannels, partials, biasPartials));
        ImplicitGemmConv.sumParts(partials, parts, k, outChannels, arr(gradWeight));
        if (gb != null) ConvBiasGrad.sumParts(biasPartials, parts, outChannels, gb);
        POOL.give(partials);
    }

    /**
     * False, with gradWeight and gradBias untouched, when an image or its gradient holds a value that is
     * not moderate.
     */
    private static boolean winogradWeightGrad(
            float[] x,
            ImageShape shape,
            Window2d window,
            float[] gradOut,
            int outChannels,
            float[] gradWeight,
            float[] gradBias) {
        WinogradConv.Geometry geo = WinogradConv.Geometry.of(shape, window, outChannels);
        int length = geo.parts() * 16 * shape.channels() * outChannels; // bounded by WinogradConv.applies
        float[] pooled = POOL.take(length);
        float[] partials = pooled != null ? pooled : new float[length]; // each part stores its own
        float[] biasPartials = gradBias == null ? null : new float[geo.parts() * outChannels];
        AtomicBoolean finite = new AtomicBoolean(true);
        Parallel.forRange(geo.parts(), geo.flops(), (p0, p1) -> {
            if (finite.get() && !WinogradConv.weightGradParts(x, gradOut, p0, p1, geo, partials, biasPartials))
                finite.set(false);
        });
        if (finite.get()) {
            WinogradConv.sumParts(partials, geo, gradWeight);
            if (gradBias != null) ConvBiasGrad.sumParts(biasPartials, geo.parts(), outChannels, gradBias);
        }
        POOL.give(partials);
        return finite.get();
    }

    private static ImplicitGemmConv.Grid grid(ImageShape shape, Window2d window) {
        return new ImplicitGemmConv.Grid(
                shape.channels(),
                shape.height(),
                shape.width(),
                window.kernelH(),
                window.kernelW(),
                window.padH(),
                window.padW());
    }

    @Override
    public void maxPool2d(Buffer x, ImageShape shape, Window2d window, Buffer out, Buffer indices) {
        float[] xa = arr(x), oa = arr(out), ia = arr(indices);
        long work = (long) shape.planes()
                * window.outH(shape.height())
                * window.outW(shape.width())
                * window.kernelH()
                * window.kernelW();
        Parallel.forRange(shape.planes(), work, (p0, p1) -> ConvKernels.maxPool2d(xa, p0, p1, shape, window, oa, ia));
    }

    @Override
    public void avgPool2d(Buffer x, ImageShape shape, Window2d window, boolean countIncludePad, Buffer out) {
        window.requireUndilated("avgPool2d");
        ConvKernels.avgPool2d(arr(x), shape, window, countIncludePad, arr(out));
    }

    @Override
    public void adamStep(
            Buffer p,
            Buffer g,
            Buffer m,
            Buffer v,
            int n,
            float beta1,
            float beta2,
            float stepSize,
            float bc2Sqrt,
            float eps) {
        float[] pa = arr(p), ga = arr(g), ma = arr(m), va = arr(v);
        Parallel.forRange((n + CHUNK - 1) / CHUNK, 8L * n, (from, to) -> {
            int s = from * CHUNK, e = Math.min(n, to * CHUNK);
            OptimizerKernels.adam(pa, ga, ma, va, s, e, beta1, beta2, stepSize, bc2Sqrt, eps);
        });
    }
}
