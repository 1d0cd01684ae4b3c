package org.grad4j.kernels.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.grad4j.kernels.Attention;
import org.grad4j.kernels.AttentionMask;
import org.grad4j.kernels.Backend;
import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.ElementwiseCases;
import org.grad4j.kernels.ImageShape;
import org.grad4j.kernels.Layout;
import org.grad4j.kernels.ReduceOp;
import org.grad4j.kernels.StridedMatrix;
import org.grad4j.kernels.UnaryOp;
import org.grad4j.kernels.Window2d;
import org.grad4j.kernels.jvm.JvmBackend;
import org.junit.jupiter.api.Test;

/**
 * Every kernel of the TornadoVM backend against the JVM backend's, on the same inputs: odd sizes,
 * broadcast (stride 0) and transposed views, within 1e-4 relative (1e-5 absolute near zero).
 */
class TornadoBackendTest {
    private static final Backend JVM = JvmBackend.INSTANCE;
    private static final TornadoBackend TVM = TornadoBackend.instance();
    private final Random rnd = new Random(42);

    private float[] data(int n, float lo, float hi) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = lo + (hi - lo) * rnd.nextFloat();
        return d;
    }

    /** The same values on both backends. */
    private record Pair(Buffer jvm, Buffer tvm, int size) {}

    private Pair pair(float[] values) {
        Buffer j = JVM.allocate(values.length), t = TVM.allocate(values.length);
        JVM.write(values, 0, j, 0, values.length);
        TVM.write(values, 0, t, 0, values.length);
        return new Pair(j, t, values.length);
    }

    private Pair zeros(int n) {
        return new Pair(JVM.allocate(n), TVM.allocate(n), n);
    }

    private static float[] read(Backend b, Buffer buf) {
        float[] out = new float[buf.size()];
        b.read(buf, 0, out, 0, out.length);
        return out;
    }

    private static void assertClose(Pair p, String what) {
        float[] e = read(JVM, p.jvm), a = read(TVM, p.tvm);
        for (int i = 0; i < e.length; i++) {
            if (Float.isNaN(e[i])) {
                assertTrue(Float.isNaN(a[i]), what + " [" + i + "]: expected NaN, got " + a[i]);
                continue;
            }
            float tol = Math.max(1e-5f, 1e-4f * Math.abs(e[i]));
            if (Float.isInfinite(e[i])) assertEquals(e[i], a[i], what + " [" + i + "]");
            else assertEquals(e[i], a[i], tol, what + " [" + i + "] of " + e.length);
        }
    }

    @Test
    void writeAndReadRoundTripAtOddSizesAndOffsets() {
        for (int n : new int[] {1, 7, 17, 1023, 1025, 70_000}) {
            float[] v = data(n, -3, 3);
            Buffer b = TVM.allocate(n + 5);
            TVM.write(v, 0, b, 5, n);
            float[] back = new float[n];
            TVM.read(b, 5, back, 0, n);
            org.junit.jupiter.api.Assertions.assertArrayEquals(v, back, "n=" + n);
        }
    }

    @Test
    void allocateGivesZeros() {
        Buffer dirty = TVM.allocate(4096);
        TVM.fill(dirty, Layout.contiguous(new int[] {4096}), 7f);
        TVM.release(dirty);
        Buffer b = TVM.allocate(4096);
        for (float v : read(TVM, b)) assertEquals(0f, v);
    }

    @Test
    void unaryOpsMatchTheJvmBackend() {
        for (UnaryOp op : UnaryOp.values()) {
            for (int n : new int[] {1, 7, 1023}) {
                boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.POW;
                Pair x = pair(data(n, positive ? 0.1f : -3f, 3f));
                Pair out = zeros(n);
                float p0 =
                        op == UnaryOp.CLAMP ? -0.5f : op == UnaryOp.POW_BASE ? 1.7f : op == UnaryOp.POW ? 2.5f : 1.5f;
                float p1 = op == UnaryOp.CLAMP ? Float.NaN : 0.25f;
                Layout l = Layout.contiguous(new int[] {n});
                JVM.unary(op, p0, p1, x.jvm, l, out.jvm);
                TVM.unary(op, p0, p1, x.tvm, l, out.tvm);
                assertClose(out, op + " n=" + n);
            }
        }
    }

    @Test
    void powersOfNegativeBasesWithIntegralExponents() {
        Pair x = pair(new float[] {-2f, -0.5f, -3f, 1.5f, 0f, -1f, 2f});
        Layout l = Layout.contiguous(new int[] {7});
        for (float e : new float[] {3f, 2f, -1f, 0.5f}) {
            Pair out = zeros(7);
            JVM.unary(UnaryOp.POW, e, 0f, x.jvm, l, out.jvm);
            TVM.unary(UnaryOp.POW, e, 0f, x.tvm, l, out.tvm);
            assertClose(out, "x^" + e);
        }
        Pair exps = pair(new float[] {3f, 2f, -1f, 4f, 2f, 5f, 0.5f});
        Pair out = zeros(7);
        JVM.binary(BinaryOp.POW, x.jvm, l, exps.jvm, l, out.jvm);
        TVM.binary(BinaryOp.POW, x.tvm, l, exps.tvm, l, out.tvm);
        assertClose(out, "a^b");
    }

    @Test
    void aReleasedBufferCannotBeUsed() {
        Buffer b = TVM.allocate(10);
        TVM.release(b);
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> TVM.fill(b, Layout.contiguous(new int[] {10}), 1f));
        assertTrue(e.getMessage().contains("after it was released"), e.getMessage());
    }

    @Test
    void binaryOpsMatchOnBroadcastAndTransposedViews() {
        int r = 17, c = 7;
        Pair a = pair(data(r * c, 0.2f, 2f));
        Pair b = pair(data(c, 0.2f, 2f));
        Layout aT = new Layout(new int[] {c, r}, new int[] {1, c}, 0); // a transposed
        Layout bRow = new Layout(new int[] {c, r}, new int[] {1, 0}, 0); // b broadcast along rows
        for (BinaryOp op : BinaryOp.values()) {
            Pair out = zeros(r * c);
            JVM.binary(op, a.jvm, aT, b.jvm, bRow, out.jvm);
            TVM.binary(op, a.tvm, aT, b.tvm, bRow, out.tvm);
            assertClose(out, op.toString());
        }
    }

    @Test
    void whereCopyAndFillOnStridedViews() {
        int n = 6 * 5;
        Pair cond = pair(new float[] {1, 0, 0, 1, 1, 0});
        Pair a = pair(data(n, -1, 1));
        Pair b = pair(data(n, -1, 1));
        Layout cl = new Layout(new int[] {5, 6}, new int[] {0, 1}, 0);
        Layout al = new Layout(new int[] {5, 6}, new int[] {1, 5}, 0);
        Layout bl = Layout.contiguous(new int[] {5, 6});
        Pair out = zeros(n);
        JVM.where(cond.jvm, cl, a.jvm, al, b.jvm, bl, out.jvm);
        TVM.where(cond.tvm, cl, a.tvm, al, b.tvm, bl, out.tvm);
        assertClose(out, "where");
        Pair dst = pair(data(2 * n, -1, 1));
        Layout every2nd = new Layout(new int[] {5, 6}, new int[] {12, 2}, 1);
        JVM.copy(a.jvm, al, dst.jvm, every2nd);
        TVM.copy(a.tvm, al, dst.tvm, every2nd);
        assertClose(dst, "strided copy");
        JVM.fill(dst.jvm, new Layout(new int[] {3, 4}, new int[] {20, 3}, 2), -9f);
        TVM.fill(dst.tvm, new Layout(new int[] {3, 4}, new int[] {20, 3}, 2), -9f);
        assertClose(dst, "strided fill");
    }

    @Test
    void reductionsMatchIncludingIndicesAndLongSums() {
        Pair x = pair(data(7 * 17 * 3, -2, 2));
        Layout l = Layout.contiguous(new int[] {7, 17, 3});
        Layout moved = new Layout(new int[] {7, 3, 17}, new int[] {51, 1, 3}, 0); // reduce the middle dim
        for (ReduceOp op : ReduceOp.values()) {
            for (int kept = 0; kept <= 2; kept++) {
                int outN = Layout.numel(java.util.Arrays.copyOf(moved.shape(), kept));
                Pair out = zeros(outN), idx = zeros(outN);
                JVM.reduce(op, x.jvm, moved, kept, out.jvm, op == ReduceOp.SUM ? null : idx.jvm);
                TVM.reduce(op, x.tvm, moved, kept, out.tvm, op == ReduceOp.SUM ? null : idx.tvm);
                assertClose(out, op + " kept=" + kept);
                if (op != ReduceOp.SUM) assertClose(idx, op + " indices kept=" + kept);
            }
        }
        // a long sum to a scalar takes the two-pass path
        Pair big = pair(data(1_000_003, -1, 1.2f));
        Pair s = zeros(1);
        JVM.reduce(ReduceOp.SUM, big.jvm, Layout.contiguous(new int[] {1_000_003}), 0, s.jvm, null);
        TVM.reduce(ReduceOp.SUM, big.tvm, Layout.contiguous(new int[] {1_000_003}), 0, s.tvm, null);
        assertEquals(read(JVM, s.jvm)[0], read(TVM, s.tvm)[0], 2e-3f * Math.abs(read(JVM, s.jvm)[0]));
        Pair cols = zeros(3);
        JVM.reduce(ReduceOp.SUM, x.jvm, new Layout(new int[] {3, 119}, new int[] {1, 3}, 0), 1, cols.jvm, null);
        TVM.reduce(ReduceOp.SUM, x.tvm, new Layout(new int[] {3, 119}, new int[] {1, 3}, 0), 1, cols.tvm, null);
        assertClose(cols, "column sums");
    }

    @Test
    void batchedStridedMatmulWithAlphaBeta() {
        int batch = 3, m = 17, n = 7, k = 33;
        Pair a = pair(data(batch * m * k, -1, 1));
        Pair b = pair(data(k * n, -1, 1)); // shared across the batch (batch stride 0), read transposed
        Pair out = pair(data(batch * m * n, -1, 1));
        JVM.matmul(
                batch,
                m,
                n,
                k,
                new StridedMatrix(a.jvm, 0, m * k, k, 1),
                new StridedMatrix(b.jvm, 0, 0, 1, k),
                out.jvm,
                0.5f,
                1f);
        TVM.matmul(
                batch,
                m,
                n,
                k,
                new StridedMatrix(a.tvm, 0, m * k, k, 1),
                new StridedMatrix(b.tvm, 0, 0, 1, k),
                out.tvm,
                0.5f,
                1f);
        assertClose(out, "matmul beta=1");
        JVM.matmul(
                batch,
                m,
                n,
                k,
                new StridedMatrix(a.jvm, 0, m * k, k, 1),
                new StridedMatrix(b.jvm, 0, 0, n, 1),
                out.jvm,
                1f,
                0f);
        TVM.matmul(
                batch,
                m,
                n,
                k,
                new StridedMatrix(a.tvm, 0, m * k, k, 1),
                new StridedMatrix(b.tvm, 0, 0, n, 1),
                out.tvm,
                1f,
                0f);
        assertClose(out, "matmul beta=0");
        // several 64x64 blocks per batch, ragged edges, A read transposed
        int bb = 2, mm = 70, nn = 130, kk = 45;
        Pair a2 = pair(data(bb * mm * kk, -1, 1)), b2 = pair(data(bb * kk * nn, -1, 1)), o2 = zeros(bb * mm * nn);
        JVM.matmul(
                bb,
                mm,
                nn,
                kk,
                new StridedMatrix(a2.jvm, 0, mm * kk, 1, mm),
                new StridedMatrix(b2.jvm, 0, kk * nn, nn, 1),
                o2.jvm,
                1f,
                0f);
        TVM.matmul(
                bb,
                mm,
                nn,
                kk,
                new StridedMatrix(a2.tvm, 0, mm * kk, 1, mm),
                new StridedMatrix(b2.tvm, 0, kk * nn, nn, 1),
                o2.tvm,
                1f,
                0f);
        assertClose(o2, "matmul over several blocks");
    }

    @Test
    void addmmReadsABroadcastBiasInTheProduct() {
        int batch = 2, m = 70, n = 33, k = 19;
        Pair a = pair(data(batch * m * k, -1, 1)), b = pair(data(batch * k * n, -1, 1));
        Pair rowBias = pair(data(n, -1, 1)), colBias = pair(data(m, -1, 1));
        Layout perColumn = new Layout(new int[] {batch, m, n}, new int[] {0, 0, 1}, 0); // a Linear layer's bias
        Layout perRow = new Layout(new int[] {batch, m, n}, new int[] {0, 1, 0}, 0); // a convolution's bias
        for (Object[] c : new Object[][] {{rowBias, perColumn}, {colBias, perRow}}) {
            Pair bias = (Pair) c[0];
            Layout l = (Layout) c[1];
            Pair out = zeros(batch * m * n);
            JVM.addmm(
                    bias.jvm,
                    l,
                    batch,
                    m,
                    n,
                    k,
                    new StridedMatrix(a.jvm, 0, m * k, k, 1),
                    new StridedMatrix(b.jvm, 0, k * n, n, 1),
                    out.jvm,
                    0.5f,
                    2f);
            TVM.addmm(
                    bias.tvm,
                    l,
                    batch,
                    m,
                    n,
                    k,
                    new StridedMatrix(a.tvm, 0, m * k, k, 1),
                    new StridedMatrix(b.tvm, 0, k * n, n, 1),
                    out.tvm,
                    0.5f,
                    2f);
            assertClose(out, "addmm " + l);
        }
    }

    @Test
    void softmaxAndIndexing() {
        int outer = 3, size = 17, inner = 2;
        Pair x = pair(data(outer * size * inner, -5, 5));
        for (boolean log : new boolean[] {false, true}) {
            Pair out = zeros(outer * size * inner);
            JVM.softmax(x.jvm, outer, size, inner, log, out.jvm);
            TVM.softmax(x.tvm, outer, size, inner, log, out.tvm);
            assertClose(out, "softmax log=" + log);
        }
        int[] index = {16, 0, 3, 3, 9};
        Pair sel = zeros(outer * index.length * inner);
        JVM.indexSelect(x.jvm, outer, size, inner, index, sel.jvm);
        TVM.indexSelect(x.tvm, outer, size, inner, index, sel.tvm);
        assertClose(sel, "indexSelect");
        Pair acc = pair(data(outer * size * inner, -1, 1));
        JVM.indexAdd(sel.jvm, outer, size, inner, index, acc.jvm);
        TVM.indexAdd(sel.tvm, outer, size, inner, index, acc.tvm);
        assertClose(acc, "indexAdd with a repeated index");
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> TVM.indexSelect(x.tvm, outer, size, inner, new int[] {17}, sel.tvm));
    }

    /** Whole numbers in [0, bound), as an INT64 index tensor stores them. */
    private float[] indices(int n, int bound) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = rnd.nextInt(bound);
        return d;
    }

    @Test
    void gatherScatterCumsumAndTopk() {
        int outer = 3, size = 17, inner = 5, n = 23; // n > size: indices repeat
        Pair x = pair(data(outer * size * inner, -5, 5));
        Pair index = pair(indices(outer * n * inner, size));
        Pair gathered = zeros(outer * n * inner);
        JVM.gather(x.jvm, outer, size, inner, index.jvm, n, gathered.jvm);
        TVM.gather(x.tvm, outer, size, inner, index.tvm, n, gathered.tvm);
        assertClose(gathered, "gather");
        for (boolean accumulate : new boolean[] {false, true}) {
            Pair out = pair(data(outer * size * inner, -1, 1));
            JVM.scatter(gathered.jvm, index.jvm, outer, n, inner, size, accumulate, out.jvm);
            TVM.scatter(gathered.tvm, index.tvm, outer, n, inner, size, accumulate, out.tvm);
            assertClose(out, "scatter accumulate=" + accumulate + " with repeated indices");
        }
        for (boolean reverse : new boolean[] {false, true}) {
            Pair sums = zeros(outer * size * inner);
            JVM.cumsum(x.jvm, outer, size, inner, reverse, sums.jvm);
            TVM.cumsum(x.tvm, outer, size, inner, reverse, sums.tvm);
            assertClose(sums, "cumsum reverse=" + reverse);
        }
        int k = 4;
        for (boolean largest : new boolean[] {false, true}) {
            Pair values = zeros(outer * k * inner), positions = zeros(outer * k * inner);
            JVM.topk(x.jvm, outer, size, inner, k, largest, values.jvm, positions.jvm);
            TVM.topk(x.tvm, outer, size, inner, k, largest, values.tvm, positions.tvm);
            assertClose(values, "topk values largest=" + largest);
            assertClose(positions, "topk indices largest=" + largest);
        }
    }

    @Test
    void imageKernels() {
        int n = 2, c = 3, h = 7, w = 6, kh = 3, kw = 2, ph = 1, pw = 1, sh = 2, sw = 1, dh = 1, dw = 2;
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        var image = new ImageShape(n, c, h, w);
        var window = new Window2d(kh, kw, ph, pw, sh, sw, dh, dw);
        Pair x = pair(data(n * c * h * w, -1, 1));
        Pair cols = zeros(n * c * kh * kw * oh * ow);
        JVM.im2col(x.jvm, image, window, cols.jvm);
        TVM.im2col(x.tvm, image, window, cols.tvm);
        assertClose(cols, "im2col");
        Pair back = pair(data(n * c * h * w, -1, 1));
        JVM.col2im(cols.jvm, image, window, back.jvm);
        TVM.col2im(cols.tvm, image, window, back.tvm);
        assertClose(back, "col2im");
        int poh = (h + 2 - 2 * (3 - 1) - 1) / 2 + 1, pow = (w + 2 - 1 * (2 - 1) - 1) / 1 + 1;
        Pair mx = zeros(n * c * poh * pow), mi = zeros(n * c * poh * pow);
        JVM.maxPool2d(x.jvm, image, new Window2d(3, 2, 1, 1, 2, 1, 2, 1), mx.jvm, mi.jvm);
        TVM.maxPool2d(x.tvm, image, new Window2d(3, 2, 1, 1, 2, 1, 2, 1), mx.tvm, mi.tvm);
        assertClose(mx, "maxPool2d");
        assertClose(mi, "maxPool2d indices");
        int aoh = (h + 2 - 3) / 2 + 1, aow = (w + 2 - 2) / 1 + 1;
        for (boolean include : new boolean[] {true, false}) {
            Pair av = zeros(n * c * aoh * aow);
            JVM.avgPool2d(x.jvm, image, new Window2d(3, 2, 1, 1, 2, 1, 1, 1), include, av.jvm);
            TVM.avgPool2d(x.tvm, image, new Window2d(3, 2, 1, 1, 2, 1, 1, 1), include, av.tvm);
            assertClose(av, "avgPool2d include=" + include);
        }
    }

    @Test
    void adamStep() {
        int n = 1023;
        Pair p = pair(data(n, -1, 1)),
                g = pair(data(n, -1, 1)),
                m = pair(data(n, -0.1f, 0.1f)),
                v = pair(data(n, 0, 0.01f));
        for (int step = 0; step < 3; step++) {
            JVM.adamStep(p.jvm, g.jvm, m.jvm, v.jvm, n, 0.9f, 0.999f, 1e-3f, 0.03f, 1e-8f);
            TVM.adamStep(p.tvm, g.tvm, m.tvm, v.tvm, n, 0.9f, 0.999f, 1e-3f, 0.03f, 1e-8f);
        }
        assertClose(p, "adam param");
        assertClose(m, "adam m");
        assertClose(v, "adam v");
    }

    @Test
    void regionsOfCollectedBuffersComeBackWhenTheDeviceFillsUp() {
        // 40 × 64 MB never released: five times the device memory, so allocation must recover
        // the regions of the buffers that were garbage collected
        int n = 16 << 20;
        for (int i = 0; i < 40; i++) {
            Buffer b = TVM.allocateUninitialized(n);
            assertEquals(n, b.size());
        }
        assertTrue(TVM.stats().peakFloatsInUse() <= (512L << 20) / 4);
        assertThrows(IllegalStateException.class, () -> {
            java.util.List<Buffer> kept = new java.util.ArrayList<>();
            for (int i = 0; i < 40; i++) kept.add(TVM.allocateUninitialized(n)); // all reachable: memory is full
        });
    }

    @Test
    void releasedAndCollectedRegionsAreReused() {
        TornadoBackend.Stats before = TVM.stats();
        for (int i = 0; i < 200; i++) TVM.release(TVM.allocateUninitialized(1 << 16));
        assertTrue(TVM.stats().floatsInUse() <= before.floatsInUse() + (1 << 16), "released regions come back");
        assertThrows(IllegalArgumentException.class, () -> TVM.read(JVM.allocate(1), 0, new float[1], 0, 1));
    }

    /**
     * Every elementwise op on the device against its formula in the table, on special values and
     * every pair of them: the kernels switch on the table's codes, so an op the device does not know,
     * or a code sent for another op, shows here. OpenCL's exp, log, pow, tanh and division may be a
     * few ulp off (16 for pow), and a*b + c may be contracted to one rounding.
     */
    @Test
    void elementwiseKernelsFollowTheTableOnSpecialValues() {
        float[] x = ElementwiseCases.SPECIAL;
        int n = x.length;
        Pair xs = pair(x);
        Layout dense = Layout.contiguous(new int[] {n});
        for (UnaryOp op : UnaryOp.values()) {
            for (float[] p : ElementwiseCases.parameters(op)) {
                Pair out = zeros(n);
                TVM.unary(op, p[0], p[1], xs.tvm, dense, out.tvm);
                float[] got = read(TVM, out.tvm);
                for (int i = 0; i < n; i++) {
                    ElementwiseCases.assertClose(
                            DEVICE_ULPS,
                            CONTRACTED,
                            op.apply(x[i], p[0], p[1]),
                            got[i],
                            op + "(" + x[i] + ", p0=" + p[0] + ", p1=" + p[1] + ") on the device");
                }
            }
        }
        float[][] ab = ElementwiseCases.pairs();
        int m = ab[0].length;
        Pair a = pair(ab[0]), b = pair(ab[1]);
        Layout pairs = Layout.contiguous(new int[] {m});
        for (BinaryOp op : BinaryOp.values()) {
            Pair out = zeros(m);
            TVM.binary(op, a.tvm, pairs, b.tvm, pairs, out.tvm);
            float[] got = read(TVM, out.tvm);
            for (int i = 0; i < m; i++) {
                ElementwiseCases.assertClose(
                        DEVICE_ULPS,
                        CONTRACTED,
                        op.apply(ab[0][i], ab[1][i]),
                        got[i],
                        op + "(" + ab[0][i] + ", " + ab[1][i] + ") on the device");
            }
        }
    }

    private static final int DEVICE_ULPS = 16;
    private static final float CONTRACTED = 1e-6f;

    @Test
    void attentionForwardAndBackwardMatchTheJvmKernels() {
        // batch, L, S, E, Ev, causal, mask (0 none, 1 BOOL L×S with a fully masked row, 2 float per head), dropout
        int[][] cases = {
            {2, 7, 9, 3, 5, 0, 0, 0},
            {2, 30, 30, 6, 4, 0, 0, 30},
            {2, 30, 30, 6, 4, 1, 1, 0},
            {2, 70, 67, 16, 8, 1, 0, 0},
            {3, 33, 70, 5, 6, 0, 1, 0},
            {2, 20, 40, 6, 4, 0, 2, 0},
            {2, 30, 30, 6, 4, 1, 1, 30}
        };
        for (int[] c : cases) {
            int B = c[0], L = c[1], S = c[2], E = c[3], Ev = c[4];
            Attention a = new Attention(B, L, S, E, Ev, 1f / (float) Math.sqrt(E), c[5] != 0, c[7] / 100f, 1234L);
            Pair q = pair(data(B * L * E, -2, 2)), k = pair(data(B * S * E, -2, 2)), v = pair(data(B * S * Ev, -2, 2));
            Pair g = pair(data(B * L * Ev, -1, 1));
            Pair m = null;
            Layout ml = null;
            if (c[6] == 1) {
                float[] mv = new float[L * S];
                for (int i = 0; i < mv.length; i++) mv[i] = rnd.nextFloat() < 0.7f && i / S != 2 ? 1f : 0f;
                m = pair(mv);
                ml = new Layout(new int[] {B, L, S}, new int[] {0, S, 1}, 0);
            } else if (c[6] == 2) {
                float[] mv = data(B * S, -1, 1);
                for (int i = 0; i < mv.length; i += 5) mv[i] = Float.NEGATIVE_INFINITY;
                m = pair(mv);
                ml = new Layout(new int[] {B, L, S}, new int[] {S, 0, 1}, 0);
            }
            AttentionMask mj = m == null ? null : new AttentionMask(m.jvm, ml, c[6] == 2);
            AttentionMask mt = m == null ? null : new AttentionMask(m.tvm, ml, c[6] == 2);
            Pair out = zeros(B * L * Ev), lse = zeros(B * L);
            JVM.attention(a, q.jvm, k.jvm, v.jvm, mj, out.jvm, lse.jvm);
            TVM.attention(a, q.tvm, k.tvm, v.tvm, mt, out.tvm, lse.tvm);
            String what = "attention " + java.util.Arrays.toString(c);
            assertClose(out, what + " out");
            assertClose(lse, what + " lse");
            Pair gq = zeros(B * L * E), gk = zeros(B * S * E), gv = zeros(B * S * Ev);
            JVM.attentionBackward(a, q.jvm, k.jvm, v.jvm, mj, out.jvm, lse.jvm, g.jvm, gq.jvm, gk.jvm, gv.jvm);
            TVM.attentionBackward(a, q.tvm, k.tvm, v.tvm, mt, out.tvm, lse.tvm, g.tvm, gq.tvm, gk.tvm, gv.tvm);
            assertClose(gq, what + " grad q");
            assertClose(gk, what + " grad k");
            assertClose(gv, what + " grad v");
        }
    }
}
