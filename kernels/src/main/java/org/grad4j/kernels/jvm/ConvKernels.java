package org.grad4j.kernels.jvm;

import org.grad4j.kernels.ImageShape;
import org.grad4j.kernels.Window2d;

/**
 * Kernels for image ops over contiguous NCHW planes: im2col / col2im (convolution as a matrix
 * product) and 2-d max / average pooling, for the JVM backend: counted loops over flat arrays, no
 * allocation. Out-of-range (padding) positions read as 0 in im2col and are dropped in col2im: each
 * output row handles its in-range run of columns apart from the padding, so no element is tested and
 * the stride-1 runs are array copies and vectorised adds.
 *
 * <p>The column layout is {@code [batch, channels*kh*kw, oh*ow]}: row {@code (c*kh + i)*kw + j} holds
 * the input pixel under kernel tap (i, j) of channel c for every output position, so a convolution is
 * {@code weight[O, C*kh*kw] @ cols[n]}.
 */
final class ConvKernels {
    private ConvKernels() {}

    /**
     * Images {@code [n0, n1)} of the batch only (images are independent: the backend splits them over
     * threads); image n's columns go to {@code cols} as image {@code n - firstImage} (0: the batch's own
     * place; n0: a buffer of just these images).
     */
    static void im2col(float[] x, int n0, int n1, ImageShape shape, Window2d k, float[] cols, int firstImage) {
        int channels = shape.channels(), h = shape.height(), w = shape.width();
        int kh = k.kernelH(), kw = k.kernelW(), padH = k.padH(), padW = k.padW();
        int strideH = k.strideH(), strideW = k.strideW(), dilH = k.dilationH(), dilW = k.dilationW();
        int oh = k.outH(h), ow = k.outW(w);
        int l = oh * ow;
        int rows = channels * kh * kw;
        boolean sameWidth = strideH == 1 && strideW == 1 && ow == w;
        for (int n = n0; n < n1; n++) {
            for (int r = 0; r < rows; r++) {
                int c = r / (kh * kw), ki = (r / kw) % kh, kj = r % kw;
                int xPlane = (n * channels + c) * h * w;
                int dst = ((n - firstImage) * rows + r) * l;
                if (sameWidth) {
                    shiftedPlane(x, xPlane, h, w, ki * dilH - padH, kj * dilW - padW, oh, cols, dst);
                    continue;
                }
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy * strideH - padH + ki * dilH;
                    int d = dst + oy * ow;
                    if (iy < 0 || iy >= h) {
                        for (int ox = 0; ox < ow; ox++) cols[d + ox] = 0f;
                        continue;
                    }
                    int xRow = xPlane + iy * w;
                    int ix0 = -padW + kj * dilW, ox0 = firstInside(ix0, strideW), ox1 = endInside(ix0, strideW, w, ow);
                    for (int ox = 0, e = Math.min(ox0, ow); ox < e; ox++) cols[d + ox] = 0f; // ox0 may pass ow
                    if (strideW == 1) {
                        if (ox1 > ox0) System.arraycopy(x, xRow + ix0 + ox0, cols, d + ox0, ox1 - ox0);
                    } else {
                        for (int ox = ox0; ox < ox1; ox++) cols[d + ox] = x[xRow + ix0 + ox * strideW];
                    }
                    for (int ox = Math.max(ox0, ox1); ox < ow; ox++) cols[d + ox] = 0f;
                }
            }
        }
    }

    /**
     * One column row of a stride-1 convolution whose output is as wide as its input ("same" padding):
     * the plane shifted by (dy, dx), zeros where that falls outside. Consecutive output rows then read
     * consecutive input rows, so the in-range rows are one copy; the columns that wrapped round from
     * the neighbouring row are zeroed after it (many short copies per row cost three times as much).
     */
    private static void shiftedPlane(
            float[] x, int xPlane, int h, int w, int dy, int dx, int oh, float[] cols, int dst) {
        int oyA = Math.min(oh, Math.max(0, -dy)), oyB = Math.max(oyA, Math.min(oh, h - dy)); // rows with 0 <= oy+dy < h
        int ox0 = firstInside(dx, 1), ox1 = Math.max(ox0, endInside(dx, 1, w, w));
        if (oyB == oyA || ox1 == ox0) { // no pixel of the plane is under this tap
            java.util.Arrays.fill(cols, dst, dst + oh * w, 0f);
            return;
        }
        java.util.Arrays.fill(cols, dst, dst + oyA * w, 0f);
        java.util.Arrays.fill(cols, dst + oyB * w, dst + oh * w, 0f);
        int from = dst + oyA * w + ox0, to = dst + (oyB - 1) * w + ox1;
        System.arraycopy(x, xPlane + (oyA + dy) * w + dx + ox0, cols, from, to - from);
        for (int oy = oyA; oy < oyB; oy++) {
            int d = dst + oy * w;
            for (int ox = 0; ox < ox0; ox++) cols[d + ox] = 0f;
            for (int ox = ox1; ox < w; ox++) cols[d + ox] = 0f;
        }
    }

    /**
     * The adjoint of {@link #im2col}: adds every column entry into the pixel it was read from; images
     * {@code [n0, n1)} only, image n's columns read as image {@code n - firstImage} of {@code cols}.
     */
    static void col2im(float[] cols, int n0, int n1, ImageShape shape, Window2d k, float[] x, int firstImage) {
        int channels = shape.channels(), h = shape.height(), w = shape.width();
        int kh = k.kernelH(), kw = k.kernelW(), padH = k.padH(), padW = k.padW();
        int strideH = k.strideH(), strideW = k.strideW(), dilH = k.dilationH(), dilW = k.dilationW();
        int oh = k.outH(h), ow = k.outW(w);
        int l = oh * ow;
        int rows = channels * kh * kw;
        for (int n = n0; n < n1; n++) {
            for (int r = 0; r < rows; r++) {
                int c = r / (kh * kw), ki = (r / kw) % kh, kj = r % kw;
                int xPlane = (n * channels + c) * h * w;
                int src = ((n - firstImage) * rows + r) * l;
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy * strideH - padH + ki * dilH;
                    if (iy < 0 || iy >= h) continue;
                    int s = src + oy * ow;
                    int xRow = xPlane + iy * w;
                    int ix0 = -padW + kj * dilW, ox1 = endInside(ix0, strideW, w, ow);
                    if (strideW == 1) {
                        int at = xRow + ix0;
                        for (int ox = firstInside(ix0, 1); ox < ox1; ox++) x[at + ox] += cols[s + ox];
                    } else {
                        for (int ox = firstInside(ix0, strideW); ox < ox1; ox++)
                            x[xRow + ix0 + ox * strideW] += cols[s + ox];
                    }
                }
            }
        }
    }

    /** The first output column whose input column {@code ix0 + ox*stride} is not left of the image (ix0 may be negative). */
    static int firstInside(int ix0, int stride) {
        return ix0 >= 0 ? 0 : (-ix0 + stride - 1) / stride;
    }

    /** One past the last output column (at most ow) whose input column {@code ix0 + ox*stride} is inside a width-w image. */
    static int endInside(int ix0, int stride, int w, int ow) {
        if (ix0 >= w) return 0;
        return Math.min(ow, (w - 1 - ix0) / stride + 1);
    }

    /**
     * Max over each window of planes {@code [p0, p1)} (h×w each; planes are independent: the backend
     * splits them over threads); {@code idx} gets the position {@code iy*w + ix} of the maximum within
     * its plane (the first one; a NaN wins, as in PyTorch). Without padding every tap is inside the image, so the windows are scanned without bounds tests,
     * and the usual 2×2 window of stride 2 reads its four taps directly; every path picks the same tap.
     */
    static void maxPool2d(float[] x, int p0, int p1, ImageShape shape, Window2d win, float[] out, float[] idx) {
        int h = shape.height(),
                w = shape.width(),
                kh = win.kernelH(),
                kw = win.kernelW(),
                padH = win.padH(),
                padW = win.padW();
        int strideH = win.strideH(), strideW = win.strideW(), dilH = win.dilationH(), dilW = win.dilationW();
        int oh = win.outH(h), ow = win.outW(w);
        boolean inside = padH == 0 && padW == 0;
        boolean twoByTwo = inside && kh == 2 && kw == 2 && strideH == 2 && strideW == 2 && dilH == 1 && dilW == 1;
        for (int p = p0; p < p1; p++) {
            int xPlane = p * h * w;
            for (int oy = 0; oy < oh; oy++) {
                int o = (p * oh + oy) * ow;
                if (twoByTwo) {
                    int row = 2 * oy * w;
                    for (int ox = 0; ox < ow; ox++) {
                        // The max first (Math.max: branch-free, a NaN wins), then the first tap equal to it, or the
                        // first NaN: the same tap as the scan's strict ">" keeps. Branching on each comparison
                        // was three times slower: which tap wins is data, and unpredictable.
                        int at = row + 2 * ox, i0 = xPlane + at;
                        float a = x[i0], b = x[i0 + 1], c = x[i0 + w], d = x[i0 + w + 1];
                        float m = Math.max(Math.max(a, b), Math.max(c, d));
                        boolean nan = m != m;
                        int k = at + w + 1;
                        k = c == m | (nan & c != c) ? at + w : k;
                        k = b == m | (nan & b != b) ? at + 1 : k;
                        k = a == m | (nan & a != a) ? at : k;
                        out[o + ox] = x[xPlane + k]; // the tap's own value: a -0.0 before a 0.0 stays -0.0
                        idx[o + ox] = k;
                    }
                    continue;
                }
                for (int ox = 0; ox < ow; ox++) {
                    int y0 = oy * strideH - padH, x0 = ox * strideW - padW;
                    float best = Float.NEGATIVE_INFINITY;
                    int at = -1;
                    for (int i = 0; i < kh; i++) {
                        int iy = y0 + i * dilH;
                        if (!inside && (iy < 0 || iy >= h)) continue;
                        for (int j = 0; j < kw; j++) {
                            int ix = x0 + j * dilW;
                            if (!inside && (ix < 0 || ix >= w)) continue;
                            float v = x[xPlane + iy * w + ix];
                            if (at < 0 || v > best || (v != v && best == best)) {
                                best = v;
                                at = iy * w + ix;
                            }
                        }
                    }
                    out[o + ox] = best;
                    idx[o + ox] = at;
                }
            }
        }
    }

    /**
     * Mean over each window; padding counts in the divisor when {@code countIncludePad} (PyTorch's
     * default), else only the in-range elements do.
     */
    static void avgPool2d(float[] x, ImageShape shape, Window2d k, boolean countIncludePad, float[] out) {
        int planes = shape.planes(), h = shape.height(), w = shape.width(), kh = k.kernelH(), kw = k.kernelW();
        int padH = k.padH(), padW = k.padW(), strideH = k.strideH(), strideW = k.strideW();
        int oh = k.outH(h), ow = k.outW(w);
        for (int p = 0; p < planes; p++) {
            int xPlane = p * h * w;
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int y0 = oy * strideH - padH, x0 = ox * strideW - padW;
                    // the window clipped to the padded input, then to the input itself
                    int y1 = Math.min(y0 + kh, h + padH), x1 = Math.min(x0 + kw, w + padW);
                    int padded = (y1 - y0) * (x1 - x0);
                    int ya = Math.max(y0, 0), xa = Math.max(x0, 0), yb = Math.min(y1, h), xb = Math.min(x1, w);
                    float sum = 0f;
                    for (int iy = ya; iy < yb; iy++) {
                        for (int ix = xa; ix < xb; ix++) sum += x[xPlane + iy * w + ix];
                    }
                    int count = countIncludePad ? padded : (yb - ya) * (xb - xa);
                    out[(p * oh + oy) * ow + ox] = sum / count;
                }
            }
        }
    }
}
