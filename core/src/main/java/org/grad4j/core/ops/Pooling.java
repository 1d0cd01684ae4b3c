package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.contiguousUntracked;
import static org.grad4j.core.TensorInternals.newOf;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.autograd.Recorder.record;

import java.util.Arrays;
import java.util.List;
import org.grad4j.core.DType;
import org.grad4j.core.Device;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.core.TensorInternals;
import org.grad4j.core.autograd.Recorder;
import org.grad4j.kernels.ImageShape;

/**
 * 2-d max and average pooling over the last two dimensions of a [N, C, H, W] or [C, H, W] input.
 * Max pooling keeps the index of each maximum; its backward scatters the gradient there. Average
 * pooling's backward spreads the gradient back over each window with fold (col2im). Both rules are
 * tensor ops, so they can be differentiated again.
 */
public final class Pooling {
    private Pooling() {}

    private static Conv.Window window(
            String op, Tensor x, int[] kernelIn, int[] strideIn, int[] paddingIn, int[] dilationIn) {
        if (x.dim() != 3 && x.dim() != 4) {
            throw new IllegalArgumentException(
                    op + ": expected 3-d (unbatched) or 4-d (batched) input [N, C, H, W], but got " + "input of shape "
                            + Arrays.toString(shape(x)));
        }
        int[] k = Conv.two(op, "kernelSize", kernelIn);
        int[] s = strideIn == null || strideIn.length == 0
                ? k
                : Conv.two(op, "stride", strideIn); // stride defaults to the kernel
        int[] p = Conv.two(op, "padding", paddingIn), d = Conv.two(op, "dilation", dilationIn);
        Conv.Window win = new Conv.Window(k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]);
        int r = x.dim();
        win.check(op, shape(x), shape(x)[r - 2], shape(x)[r - 1]);
        for (int i = 0; i < 2; i++) { // height first, as PyTorch reports the first dimension that fails
            if (p[i] > ((long) d[i] * (k[i] - 1) + 1) / 2) {
                throw new IllegalArgumentException(
                        op + ": pad should be at most half of effective kernel size, but got pad=" + p[i]
                                + ", kernel_size=" + k[i] + " and dilation=" + d[i]);
            }
        }
        return win;
    }

    /**
     * max_pool2d's own rules on top of {@link #window}: the padding is at most half the kernel (not the
     * dilated one), as PyTorch checks, and no window lies wholly in the padding. PyTorch misses the
     * latter (e.g. a 2x2 input, kernel 2, padding 1, dilation 3) and returns -inf with an index outside
     * the plane there; here it is an error before anything is computed.
     */
    private static void checkMaxPoolWindows(Tensor x, Conv.Window k) {
        if (k.ph() > k.kh() / 2 || k.pw() > k.kw() / 2) {
            throw new IllegalArgumentException(
                    "maxPool2d: pad should be smaller than or equal to half of kernel size, but got " + "padW = "
                            + k.pw() + ", padH = " + k.ph() + ", kW = " + k.kw() + ", kH = " + k.kh());
        }
        int r = x.dim(), h = shape(x)[r - 2], w = shape(x)[r - 1];
        int row = windowInPadding(h, k.outH(h), k.kh(), k.sh(), k.ph(), k.dh());
        int col = windowInPadding(w, k.outW(w), k.kw(), k.sw(), k.pw(), k.dw());
        if (row >= 0 || col >= 0) {
            String where = row >= 0 ? "row " + row + " (input height " + h : "column " + col + " (input width " + w;
            throw new IllegalArgumentException("maxPool2d: the windows of output " + where + ", kernel_size="
                    + Conv.pair(k.kh(), k.kw()) + ", padding=" + Conv.pair(k.ph(), k.pw()) + ", dilation="
                    + Conv.pair(k.dh(), k.dw()) + ", stride=" + Conv.pair(k.sh(), k.sw())
                    + ") lie wholly in the padding, "
                    + "so they have no element to take the maximum of; use less padding or a smaller dilation");
        }
    }

    /** The first output position along one dimension whose window's taps all fall outside [0, size), or -1. */
    private static int windowInPadding(int size, int out, int kernel, int stride, int pad, int dilation) {
        for (int o = 0; o < out; o++) {
            long start = (long) o * stride - pad;
            long first = start >= 0 ? 0 : (-start + dilation - 1) / dilation; // the first tap at or after 0
            if (first >= kernel || start + first * dilation >= size) return o;
        }
        return -1;
    }

    private static int[] outShape(Tensor x, int oh, int ow) {
        int[] s = shape(x).clone();
        s[s.length - 2] = oh;
        s[s.length - 1] = ow;
        return s;
    }

    /** Values and INT64 indices ({@code y*W + x} within each plane, as PyTorch's). */
    public static Tensor.ValuesIndices maxPool2d(
            Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation, boolean returnIndices) {
        Conv.Window k = window("maxPool2d", x, kernel, stride, padding, dilation);
        checkMaxPoolWindows(x, k);
        int r = x.dim(), h = shape(x)[r - 2], w = shape(x)[r - 1], oh = k.outH(h), ow = k.outW(w);
        if ((returnIndices || Recorder.needsGrad(x)) && (long) h * w - 1 > TensorInternals.MAX_EXACT_INDEX) {
            // the indices (y·W + x within a plane) are float32-backed: beyond 2^24 they would round to a neighbour
            throw new IllegalArgumentException(
                    "maxPool2d: a plane of " + h + " x " + w + " = " + ((long) h * w) + " positions "
                            + "(input shape " + Arrays.toString(shape(x)) + ") has indices beyond 2^24 = "
                            + TensorInternals.MAX_EXACT_INDEX
                            + ", which int64 tensors (stored as float32) cannot hold exactly; the indices and the gradient need "
                            + "them. Pool smaller planes, or pool without gradient or indices");
        }
        int planes = x.numel() / Math.max(1, h * w);
        Tensor xc = contiguousUntracked(x);
        int[] os = outShape(x, oh, ow);
        Tensor out = newUninitialized(x, os, DType.FLOAT32), idx = newUninitialized(x, os, DType.INT64);
        backend(x).maxPool2d(buffer(xc), new ImageShape(1, planes, h, w), k.kernel(), buffer(out), buffer(idx));
        if (Recorder.needsGrad(x)
                && !x.device().equals(Device.cpu())
                && (long) h * w < (1 << 24)) { // positions exact in float32
            // on an accelerator the indices stay there: each window's tap whose position is the
            // window's argmax gets the gradient (a mask over the unfolded positions), and fold adds
            // the taps back into the image (no read-back of the indices in a training step)
            int l = oh * ow;
            Tensor posCols = positionColumns(x, h, w, k);
            int[] in = shape(x);
            record(out, "MaxPool2DWithIndicesBackward0", x, (g, ctx) -> {
                Tensor winner = posCols.eq(idx.reshape(planes, 1, l).add(1f)); // positions count from 1: 0 is padding
                return new Tensor[] {
                    Conv.fold(winner.mul(g.reshape(planes, 1, l)), h, w, k).reshape(in)
                };
            });
        } else if (Recorder.needsGrad(x)) {
            // positions of the maxima in the flattened input: the backward is a scatter-add there
            int[] pos = Indexing.intValues(idx);
            int per = oh * ow;
            for (int p = 0, i = 0; p < planes; p++) { // plane-relative positions made absolute
                for (int end = i + per, base = p * h * w; i < end; i++) pos[i] += base;
            }
            int[] in = shape(x);
            record(out, "MaxPool2DWithIndicesBackward0", x, (g, ctx) -> new Tensor[] {Slicing.scatter(g, in, pos)});
        }
        return new Tensor.ValuesIndices(out, idx);
    }

    private static final java.util.Map<List<Object>, Tensor> POSITION_COLUMNS =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * {@code y·w + x + 1} of the pixel under every tap of every window (0 in the padding), as
     * [1, taps, oh·ow] on x's device: made once per device, image size and window, then reused.
     */
    private static Tensor positionColumns(Tensor x, int h, int w, Conv.Window k) {
        List<Object> key = List.of(x.device(), h, w, k);
        Tensor cached = POSITION_COLUMNS.get(key);
        if (cached != null) return cached;
        try (var s = GradMode.noGrad()) {
            Tensor pos = newOf(x, positions(h * w), 1, 1, h, w);
            Tensor cols = Conv.unfold(pos, k);
            if (POSITION_COLUMNS.size() < 64) POSITION_COLUMNS.put(key, cols);
            return cols;
        }
    }

    private static float[] positions(int n) {
        float[] p = new float[n];
        for (int i = 0; i < n; i++) p[i] = i + 1;
        return p;
    }

    public static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean countIncludePad) {
        Conv.Window k = window("avgPool2d", x, kernel, stride, padding, new int[] {1});
        int r = x.dim(), h = shape(x)[r - 2], w = shape(x)[r - 1], oh = k.outH(h), ow = k.outW(w);
        int planes = x.numel() / Math.max(1, h * w), l = oh * ow, taps = k.taps();
        Tensor xc = contiguousUntracked(x);
        Tensor out = newUninitialized(x, outShape(x, oh, ow), DType.FLOAT32);
        backend(x).avgPool2d(buffer(xc), new ImageShape(1, planes, h, w), k.kernel(), countIncludePad, buffer(out));
        if (!Recorder.needsGrad(x)) return out;
        Tensor divisor = countIncludePad ? null : validCounts(x, k, h, w, oh, ow);
        int[] in = shape(x);
        return record(out, "AvgPool2DBackward0", x, (g, ctx) -> {
            // each output's gradient, divided by its window's divisor, goes to every tap of the window
            Tensor gs = divisor == null ? g.div((float) taps) : g.div(divisor);
            Tensor cols = gs.reshape(1, planes, 1, l).expand(1, planes, taps, l).reshape(1, planes * taps, l);
            return new Tensor[] {Conv.fold(cols, h, w, k).view(in)};
        });
    }

    /** The number of in-range elements of each window, [oh, ow] (the divisor when padding is not counted). */
    private static Tensor validCounts(Tensor x, Conv.Window k, int h, int w, int oh, int ow) {
        float[] c = new float[oh * ow];
        for (int oy = 0; oy < oh; oy++) {
            int y0 = oy * k.sh() - k.ph(), ny = Math.min(y0 + k.kh(), h) - Math.max(y0, 0);
            for (int ox = 0; ox < ow; ox++) {
                int x0 = ox * k.sw() - k.pw(), nx = Math.min(x0 + k.kw(), w) - Math.max(x0, 0);
                c[oy * ow + ox] = ny * nx;
            }
        }
        return newOf(x, c, oh, ow);
    }
}
