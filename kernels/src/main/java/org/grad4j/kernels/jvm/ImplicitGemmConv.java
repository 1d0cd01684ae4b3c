package org.grad4j.kernels.jvm;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import org.grad4j.kernels.ImageShape;
import org.grad4j.kernels.Window2d;

/**
 * Stride-1, undilated 2-d convolution as one matrix product per image over a zero-padded copy of the
 * image, without unfolding the batch. On the padded grid (output rows as wide as the padded image,
 * {@code wp}) the input under kernel tap (c, i, j) for the output positions {@code q = oy·wp + ox} is
 * the plain run {@code xpad[c][i·wp + j + q ...]}, so an image's columns are K array copies into a
 * per-thread buffer that stays in L2, where im2col writes the whole batch's columns to memory and
 * reads them back. The {@code kw - 1} positions past each output row are computed and dropped.
 *
 * <p>A window with fewer than {@link #SMALL_K} taps (a first layer) is convolved by {@link FewTapsConv}
 * instead. Forward, the input gradient (the same convolution of the output gradient with the flipped,
 * transposed weight) and the weight gradient (per image, summed over fixed groups of images and
 * then over the groups in order, so the bits do not depend on the number of threads).
 */
final class ImplicitGemmConv {
    private ImplicitGemmConv() {}

    /** Images per weight-gradient partial sum: fixed, so the summation order is too. */
    static final int IMAGES_PER_PART = 8;

    /** One image's sizes on the padded grid; {@code n} output positions, {@code nPad} of them multiplied. */
    record Grid(int channels, int h, int w, int kh, int kw, int padH, int padW) {
        int hp() {
            return h + 2 * padH;
        }

        int wp() {
            return w + 2 * padW;
        }

        int oh() {
            return hp() - kh + 1;
        }

        int ow() {
            return wp() - kw + 1;
        }

        int k() {
            return channels * kh * kw;
        }

        int n() {
            return oh() * wp();
        }

        /** Positions rounded up to whole column panels: every panel read in place. */
        int nPad() {
            return (int) nPadLong();
        }

        long nPadLong() {
            long nr = VectorGemm.NR;
            return ((long) oh() * wp() + nr - 1) / nr * nr;
        }

        /** The padded image plus the run read past its end by the last tap's last panel. */
        int paddedLength() {
            return (int) paddedLengthLong();
        }

        long paddedLengthLong() {
            return (channels - 1L) * hp() * wp() + (kh - 1L) * wp() + kw - 1 + nPadLong();
        }
    }

    /**
     * The most floats one per-thread buffer may hold (64 MB): the columns of one image (forward and
     * input gradient), its padded copy, the weight gradient's partial sums. Larger convolutions unfold
     * with im2col instead; the buffers stay with their threads.
     */
    static final long MAX_SCRATCH = 16L << 20;

    /** Whether the forward, the input gradient and the weight gradient of this grid stay within {@link #MAX_SCRATCH}. */
    static boolean fits(Grid g, int batch, int outChannels) {
        Grid in = inputGradGrid(g, outChannels);
        long parts = (batch + IMAGES_PER_PART - 1) / IMAGES_PER_PART;
        return (long) g.k() * g.nPadLong() <= MAX_SCRATCH
                && (long) in.k() * in.nPadLong() <= MAX_SCRATCH
                && g.paddedLengthLong() <= MAX_SCRATCH
                && in.paddedLengthLong() <= MAX_SCRATCH
                && (long) outChannels * g.nPadLong() + VectorGemm.L <= MAX_SCRATCH
                && (long) g.channels() * in.nPadLong() + VectorGemm.L <= MAX_SCRATCH
                && parts * g.k() * outChannels <= MAX_SCRATCH;
    }

    /** Per thread: the padded image, its columns, and the product (or the padded output gradient). */
    private static final ThreadLocal<float[][]> SCRATCH =
            ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0], new float[0]});

    /** This thread's buffer for a padded image of g (the one the products read, and {@link FewTapsConv}'s). */
    static float[] paddedBuffer(Grid g) {
        float[][] s = SCRATCH.get();
        if (s[0].length < g.paddedLength()) s[0] = new float[g.paddedLength()];
        return s[0];
    }

    private static float[][] scratch(Grid g, int rowsOfThird) {
        paddedBuffer(g);
        float[][] s = SCRATCH.get();
        if (s[1].length < g.k() * g.nPad()) s[1] = new float[g.k() * g.nPad()];
        // + one vector: the last row's masked tail is read whole
        int third = rowsOfThird * g.nPad() + VectorGemm.L;
        if (s[2].length < third) s[2] = new float[third];
        return s;
    }

    /** Image {@code x[xo ...]} (channels × h × w) into {@code xp} with its zero border (and zero tail). */
    static void pad(float[] x, int xo, Grid g, float[] xp) {
        int hp = g.hp(), wp = g.wp(), h = g.h(), w = g.w(), padH = g.padH(), padW = g.padW();
        for (int c = 0; c < g.channels(); c++) {
            int plane = c * hp * wp;
            Arrays.fill(xp, plane, plane + padH * wp + padW, 0f); // top rows, and the left border of the first
            for (int y = 0; y < h; y++) {
                int row = plane + (y + padH) * wp + padW;
                System.arraycopy(x, xo + (c * h + y) * w, xp, row, w);
                // the right border of this row and the left border of the next, one run
                for (int d = row + w; d < row + wp; d++) xp[d] = 0f;
            }
            int end = plane + hp * wp; // the bottom rows (the last row's loop zeroed up to padW past them)
            Arrays.fill(xp, Math.min(end, plane + (h + padH) * wp + padW), end, 0f);
        }
        Arrays.fill(xp, g.channels() * hp * wp, g.paddedLength(), 0f); // the tail read by the last panel
    }

    /** Row {@code (c·kh + i)·kw + j} of the columns: the padded plane c from tap (i, j) on, nPad long. */
    private static void columns(float[] xp, Grid g, float[] cols) {
        int hp = g.hp(), wp = g.wp(), nPad = g.nPad(), row = 0;
        for (int c = 0; c < g.channels(); c++) {
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    System.arraycopy(xp, c * hp * wp + i * wp + j, cols, row++ * nPad, nPad);
                }
            }
        }
    }

    /**
     * Images {@code [n0, n1)}: {@code out[n] = weight (outChannels × K) ⊛ x[n] (+ bias)}, x contiguous
     * N×C×h×w, out N×outChannels×oh×ow.
     */
    static void forward(float[] x, int n0, int n1, Grid g, float[] weight, int outChannels, float[] bias, float[] out) {
        if (g.k() < SMALL_K) { // a product with so few rows stores each tile after a handful of multiply-adds
            FewTapsConv.forward(x, n0, n1, g, weight, outChannels, bias, out);
            return;
        }
        float[][] s = scratch(g, outChannels);
        float[] xp = s[0], cols = s[1], prod = s[2];
        int k = g.k(), nPad = g.nPad(), wp = g.wp(), oh = g.oh(), ow = g.ow();
        int image = g.channels() * g.h() * g.w(), outImage = outChannels * oh * ow;
        for (int n = n0; n < n1; n++) {
            pad(x, n * image, g, xp);
            columns(xp, g, cols);
            VectorGemm.gemm(
                    outChannels, nPad, k, 1f, weight, 0, k, 1, cols, 0, nPad, 1, prod, 0, nPad, true, true, n > n0);
            dropPastRows(prod, g, outChannels, bias, out, n * outImage);
        }
    }

    /**
     * out (outChannels × oh × ow from {@code dst}) = the product's rows without their last kw-1
     * positions, + bias. Rows go out in order as whole vectors, the last one running into the next
     * rows, which are written after it; only near the image's end a store is masked (another thread
     * writes the next image).
     */
    private static void dropPastRows(float[] prod, Grid g, int outChannels, float[] bias, float[] out, int dst) {
        int nPad = g.nPad(), wp = g.wp(), oh = g.oh(), ow = g.ow(), lanes = VectorGemm.L;
        int imageEnd = dst + outChannels * oh * ow;
        for (int o = 0; o < outChannels; o++) {
            FloatVector b = FloatVector.broadcast(VectorGemm.S, bias == null ? 0f : bias[o]);
            for (int oy = 0; oy < oh; oy++) {
                int src = o * nPad + oy * wp, at = dst + (o * oh + oy) * ow;
                int end = Math.min(ow, imageEnd - lanes + 1 - at), ox = 0;
                for (; ox < end; ox += lanes)
                    FloatVector.fromArray(VectorGemm.S, prod, src + ox).add(b).intoArray(out, at + ox);
                if (ox < ow) // reads a whole vector (the scratch has one to spare)
                FloatVector.fromArray(VectorGemm.S, prod, src + ox)
                            .add(b)
                            .intoArray(out, at + ox, VectorGemm.S.indexInRange(ox, ow));
            }
        }
    }

    /**
     * The weight of the input gradient's convolution: {@code t[c][o][i][j] = w[o][c][kh-1-i][kw-1-j]}
     * (channels and outputs swapped, taps reversed), for a weight of outChannels × channels × kh × kw.
     */
    static float[] flippedTransposed(float[] w, int outChannels, int channels, int kh, int kw) {
        float[] t = new float[w.length];
        for (int o = 0; o < outChannels; o++)
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                        t[((c * outChannels + o) * kh + i) * kw + j] =
                                w[((o * channels + c) * kh + kh - 1 - i) * kw + kw - 1 - j];
        return t;
    }

    static boolean allFinite(float[] w) {
        for (float v : w) if (!Float.isFinite(v)) return false;
        return true;
    }

    /**
     * The input gradient of images {@code [n0, n1)} as im2col's adjoint: per image the columns
     * {@code weightᵀ @ gradOut[n]} (K × oh·ow) folded back onto the image, so only the pairs under the
     * window are added (the path for a weight with an infinite or NaN entry).
     */
    static void inputGradByColumns(
            float[] gradOut,
            int n0,
            int n1,
            ImageShape shape,
            Window2d window,
            float[] weight,
            int outChannels,
            float[] gradInput) {
        int k = shape.channels() * window.kernelH() * window.kernelW();
        int l = window.outH(shape.height()) * window.outW(shape.width());
        int image = shape.channels() * shape.height() * shape.width();
        float[][] s = SCRATCH.get();
        if (s[1].length < k * l) s[1] = new float[k * l];
        float[] cols = s[1];
        for (int n = n0; n < n1; n++) {
            // cols (K × L) = Wᵀ (K × O, read column-major from W) @ g[n] (O × L)
            VectorGemm.gemm(
                    k,
                    l,
                    outChannels,
                    1f,
                    weight,
                    0,
                    1,
                    k,
                    gradOut,
                    n * outChannels * l,
                    l,
                    1,
                    cols,
                    0,
                    l,
                    true,
                    false,
                    false);
            Arrays.fill(gradInput, n * image, (n + 1) * image, 0f);
            ConvKernels.col2im(cols, n, n + 1, shape, window, gradInput, n);
        }
    }

    /**
     * The grid of the input gradient's convolution: the output gradient (outChannels × oh × ow)
     * padded by {@code k - 1 - pad} gives back h × w.
     */
    static Grid inputGradGrid(Grid g, int outChannels) {
        return new Grid(outChannels, g.oh(), g.ow(), g.kh(), g.kw(), g.kh() - 1 - g.padH(), g.kw() - 1 - g.padW());
    }

    /**
     * Parts {@code [p0, p1)} of {@link #IMAGES_PER_PART} images each: {@code partials[p]} (K ×
     * outChannels, the weight gradient transposed) gets the sum over the part's images of
     * {@code im2col(x[n]) @ gradOut[n]ᵀ}. Here the columns are unfolded on the output's own grid (per
     * image, into the thread's buffer), so the output gradient is read in place and no dropped
     * position is multiplied. Unless {@code biasPartials} is null, {@code biasPartials[p]} gets the
     * part's bias gradient, each image's summed right after its product read it.
     */
    static void weightGradParts(
            float[] x,
            float[] gradOut,
            int batch,
            int p0,
            int p1,
            Grid g,
            int outChannels,
            float[] partials,
            float[] biasPartials) {
        float[] cols = scratch(g, 0)[1]; // K × oh·ow fits in the K × nPad buffer
        int k = g.k(), oh = g.oh(), ow = g.ow(), l = oh * ow;
        Dots dots = k < SMALL_K ? new Dots(k * outChannels) : null;
        ImageShape image = new ImageShape(batch, g.channels(), g.h(), g.w());
        Window2d window = new Window2d(g.kh(), g.kw(), g.padH(), g.padW(), 1, 1, 1, 1);
        for (int p = p0; p < p1; p++) {
            int first = p * IMAGES_PER_PART, last = Math.min(batch, first + IMAGES_PER_PART);
            for (int n = first; n < last; n++) {
                ConvKernels.im2col(x, n, n + 1, image, window, cols, n);
                if (dots != null) {
                    rowDots(cols, k, gradOut, n * outChannels * l, outChannels, l, dots, n == first);
                } else {
                    VectorGemm.gemm(
                            k,
                            outChannels,
                            l,
                            1f,
                            cols,
                            0,
                            l,
                            1,
                            gradOut,
                            n * outChannels * l,
                            1,
                            l,
                            partials,
                            p * k * outChannels,
                            outChannels,
                            n == first,
                            false,
                            false);
                }
                if (biasPartials != null)
                    ConvBiasGrad.sumImage(gradOut, n, outChannels, l, biasPartials, p * outChannels, n == first);
            }
            if (dots != null) dots.sumInto(partials, p * k * outChannels);
        }
    }

    /**
     * Below this many taps (a first layer: 1 or 3 channels) the weight gradient's product has too few
     * rows for the micro-kernel's tile (9 rows of 16 computed): it is computed as dot products along
     * the positions instead.
     */
    static final int SMALL_K = 32;

    /**
     * Dot products summed over a part's images: per (row of a, row of b) a vector of lane sums and a
     * scalar for the positions past the last whole vector, added lane by lane image after image; the
     * lanes are added up once per part, in index order (reduceLanes' order differs between compiled
     * and interpreted code, and the bits must not).
     */
    static final class Dots {
        final float[] lanes, tails;

        Dots(int sums) {
            lanes = new float[sums * VectorGemm.L];
            tails = new float[sums];
        }

        /** {@code out[at + i] = the sum of sum i's lanes, then its tail}. */
        void sumInto(float[] out, int at) {
            int lanesPer = VectorGemm.L;
            for (int i = 0; i < tails.length; i++) {
                float v = 0f;
                for (int j = 0; j < lanesPer; j++) v += lanes[i * lanesPer + j];
                out[at + i] = v + tails[i];
            }
        }

        /** One sum's positions past the last whole vector: stored for a part's first image, added for the others. */
        void addTail(int sum, float tail, boolean first) {
            tails[sum] = first ? tail : tails[sum] + tail;
        }
    }

    /**
     * {@code sums[i·n + j] (+)= a[i·len ...] · b[bo + j·len ...]} for i < m, j < n: dot products of rows
     * of length len, 3 rows of a by 4 of b at a time (12 sums in registers, 7 loads per 12 FMAs).
     */
    static void rowDots(float[] a, int m, float[] b, int bo, int n, int len, Dots sums, boolean first) {
        var sp = VectorGemm.S;
        int lanes = VectorGemm.L, vecLen = len - len % lanes;
        int i = 0;
        for (; i + 3 <= m; i += 3) {
            int j = 0;
            for (; j + 4 <= n; j += 4) {
                FloatVector s00 = FloatVector.zero(sp), s01 = s00, s02 = s00, s03 = s00;
                FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
                FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
                int a0 = i * len, a1 = a0 + len, a2 = a1 + len;
                int b0 = bo + j * len, b1 = b0 + len, b2 = b1 + len, b3 = b2 + len;
                for (int p = 0; p < vecLen; p += lanes) {
                    FloatVector x0 = FloatVector.fromArray(sp, a, a0 + p);
                    FloatVector x1 = FloatVector.fromArray(sp, a, a1 + p);
                    FloatVector x2 = FloatVector.fromArray(sp, a, a2 + p);
                    FloatVector y = FloatVector.fromArray(sp, b, b0 + p);
                    s00 = x0.fma(y, s00);
                    s10 = x1.fma(y, s10);
                    s20 = x2.fma(y, s20);
                    y = FloatVector.fromArray(sp, b, b1 + p);
                    s01 = x0.fma(y, s01);
                    s11 = x1.fma(y, s11);
                    s21 = x2.fma(y, s21);
                    y = FloatVector.fromArray(sp, b, b2 + p);
                    s02 = x0.fma(y, s02);
                    s12 = x1.fma(y, s12);
                    s22 = x2.fma(y, s22);
                    y = FloatVector.fromArray(sp, b, b3 + p);
                    s03 = x0.fma(y, s03);
                    s13 = x1.fma(y, s13);
                    s23 = x2.fma(y, s23);
                }
                // one by one: an array of vectors would box them; the tails apart, only where rows have
                // them (twelve tail calls here, even empty ones, cost ~10% of this product: measured)
                int at = i * n + j;
                float[] sl = sums.lanes;
                addLanes(sl, at * lanes, s00, first);
                addLanes(sl, (at + 1) * lanes, s01, first);
                addLanes(sl, (at + 2) * lanes, s02, first);
                addLanes(sl, (at + 3) * lanes, s03, first);
                addLanes(sl, (at + n) * lanes, s10, first);
                addLanes(sl, (at + n + 1) * lanes, s11, first);
                addLanes(sl, (at + n + 2) * lanes, s12, first);
                addLanes(sl, (at + n + 3) * lanes, s13, first);
                addLanes(sl, (at + 2 * n) * lanes, s20, first);
                addLanes(sl, (at + 2 * n + 1) * lanes, s21, first);
                addLanes(sl, (at + 2 * n + 2) * lanes, s22, first);
                addLanes(sl, (at + 2 * n + 3) * lanes, s23, first);
                if (vecLen < len) blockTails(a, a0, b, b0, len, vecLen, sums, at, n, first);
            }
        }
        if (m % 3 != 0 || n % 4 != 0) rest(a, m, b, bo, n, len, sums, first);
    }

    /** The sums of {@link #rowDots} outside its 3 × 4 blocks, one dot product at a time. */
    private static void rest(float[] a, int m, float[] b, int bo, int n, int len, Dots sums, boolean first) {
        int blockRows = m / 3 * 3, blockCols = n / 4 * 4;
        for (int i = 0; i < m; i++)
            for (int j = i < blockRows ? blockCols : 0; j < n; j++) oneDot(a, i, b, bo, j, n, len, sums, first);
    }

    /** {@code lanes[o ...] (+)= v}: a sum's vector of lanes, stored for a part's first image, added for the others. */
    private static void addLanes(float[] lanes, int o, FloatVector v, boolean first) {
        (first ? v : v.add(FloatVector.fromArray(VectorGemm.S, lanes, o))).intoArray(lanes, o);
    }

    /** The tails (positions past the last whole vector) of a 3 × 4 block of {@link #rowDots}. */
    private static void blockTails(
            float[] a, int a0, float[] b, int b0, int len, int vecLen, Dots sums, int at, int n, boolean first) {
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++)
                sums.addTail(at + r * n + c, tailDot(a, a0 + r * len, b, b0 + c * len, vecLen, len), first);
    }

    private static void oneDot(float[] a, int i, float[] b, int bo, int j, int n, int len, Dots sums, boolean first) {
        var sp = VectorGemm.S;
        int lanes = VectorGemm.L, vecLen = len - len % lanes;
        FloatVector s = FloatVector.zero(sp);
        for (int p = 0; p < vecLen; p += lanes)
            s = FloatVector.fromArray(sp, a, i * len + p).fma(FloatVector.fromArray(sp, b, bo + j * len + p), s);
        addLanes(sums.lanes, (i * n + j) * lanes, s, first);
        sums.addTail(i * n + j, tailDot(a, i * len, b, bo + j * len, vecLen, len), first);
    }

    private static float tailDot(float[] a, int ai, float[] b, int bi, int from, int len) {
        float t = 0f;
        for (int p = from; p < len; p++) t += a[ai + p] * b[bi + p];
        return t;
    }

    /** {@code gradWeight[o][r] = sum over parts of partials[p][r][o]}, parts in order. */
    static void sumParts(float[] partials, int parts, int k, int outChannels, float[] gradWeight) {
        for (int o = 0; o < outChannels; o++) {
            for (int r = 0; r < k; r++) {
                float sum = partials[r * outChannels + o];
                for (int p = 1; p < parts; p++) sum += partials[(p * k + r) * outChannels + o];
                gradWeight[o * k + r] = sum;
            }
        }
    }
}
