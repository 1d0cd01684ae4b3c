package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.checkSameDevice;
import static org.grad4j.core.TensorInternals.contiguousUntracked;
import static org.grad4j.core.TensorInternals.newEmpty;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.TensorInternals.strides;
import static org.grad4j.core.autograd.Recorder.record;

import java.util.Arrays;
import org.grad4j.core.DType;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.core.autograd.OpNode;
import org.grad4j.core.autograd.Recorder;
import org.grad4j.kernels.ImageShape;
import org.grad4j.kernels.Layout;
import org.grad4j.kernels.StridedMatrix;
import org.grad4j.kernels.Window2d;

/**
 * 2-d convolution, and the two linear ops its general form is built from: unfold (im2col,
 * {@code Im2ColBackward0}) and fold (col2im, {@code Col2ImBackward0}), each the other's backward.
 * conv2d is one node ({@code ConvolutionBackward0}): the backend convolves the windows it takes
 * itself ({@code Backend.convolvesDirectly}: the JVM backend's stride-1 layers), other windows are
 * im2col + matrix product. Its rule, when a graph of the backward is recorded, is written with
 * unfold, fold, matmul and views, so it is differentiable again (double backward, gradgradcheck);
 * otherwise the backend's own gradient kernels run where it convolved.
 */
public final class Conv {
    private Conv() {}

    /** Kernel geometry of a 2-d sliding-window op: (h, w) pairs. */
    record Window(int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw) {
        // in long: a large padding or dilation must not wrap (check has made sure the result fits an int)
        int outH(int h) {
            return (int) ((h + 2L * ph - (long) dh * (kh - 1) - 1) / sh + 1);
        }

        int outW(int w) {
            return (int) ((w + 2L * pw - (long) dw * (kw - 1) - 1) / sw + 1);
        }

        int taps() {
            return kh * kw;
        }

        /** The window as the backend takes it (after {@link #check}, so it is valid). */
        Window2d kernel() {
            return new Window2d(kh, kw, ph, pw, sh, sw, dh, dw);
        }

        /** Checks the sizes are positive (non-negative for padding) and the output is not empty. */
        void check(String op, int[] inShape, int h, int w) {
            if (kh <= 0 || kw <= 0)
                throw new IllegalArgumentException(
                        op + ": kernel size should be greater than zero, but got " + "kernelSize=" + pair(kh, kw));
            if (sh <= 0 || sw <= 0)
                throw new IllegalArgumentException(
                        op + ": stride should be greater than zero, but got stride=" + pair(sh, sw));
            if (ph < 0 || pw < 0)
                throw new IllegalArgumentException(
                        op + ": negative padding is not supported, got padding=" + pair(ph, pw));
            if (dh <= 0 || dw <= 0)
                throw new IllegalArgumentException(
                        op + ": dilation should be greater than zero, but got " + "dilation=" + pair(dh, dw));
            long eh = (long) dh * (kh - 1) + 1, ew = (long) dw * (kw - 1) + 1;
            long hp = h + 2L * ph, wp = w + 2L * pw;
            if (hp < eh || wp < ew) {
                throw new IllegalArgumentException(op + ": calculated padded input size per channel: (" + hp + " x "
                        + wp + "). Kernel size: (" + eh + " x " + ew + "). Kernel size can't be greater than actual "
                        + "input size (input shape " + Arrays.toString(inShape)
                        + "); use a smaller kernel or more padding");
            }
            long oh = (hp - eh) / sh + 1, ow = (wp - ew) / sw + 1;
            if (oh > Integer.MAX_VALUE
                    || ow > Integer.MAX_VALUE
                    || oh * ow > Integer.MAX_VALUE
                    || (long) kh * kw > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(op + ": " + oh + " x " + ow + " windows of " + kh + " x " + kw
                        + " taps "
                        + "(input shape " + Arrays.toString(inShape) + ", padding=" + pair(ph, pw) + ", dilation="
                        + pair(dh, dw) + ") are more than 2^31-1 elements, which one buffer cannot hold");
            }
        }
    }

    static String pair(int a, int b) {
        return "(" + a + ", " + b + ")";
    }

    /** One or two ints (PyTorch's int-or-tuple arguments) as an (h, w) pair. */
    static int[] two(String op, String what, int[] v) {
        if (v == null || v.length == 0 || v.length > 2) {
            throw new IllegalArgumentException(op + ": " + what + " must be one int or two (h, w), got "
                    + (v == null ? "null" : Arrays.toString(v)));
        }
        return v.length == 1 ? new int[] {v[0], v[0]} : v.clone();
    }

    // ---- unfold / fold ----------------------------------------------------------------------------

    /** {@code F.unfold} with PyTorch's int-or-pair arguments. */
    public static Tensor unfold(Tensor input, int[] kernelSize, int[] dilation, int[] padding, int[] stride) {
        return unfold(input, window("unfold", kernelSize, stride, padding, dilation));
    }

    /** {@code F.fold} with PyTorch's int-or-pair arguments. */
    public static Tensor fold(
            Tensor input, int[] outputSize, int[] kernelSize, int[] dilation, int[] padding, int[] stride) {
        int[] size = two("fold", "outputSize", outputSize);
        return fold(input, size[0], size[1], window("fold", kernelSize, stride, padding, dilation));
    }

    private static Window window(String op, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        int[] k = two(op, "kernelSize", kernel), s = two(op, "stride", stride);
        int[] p = two(op, "padding", padding), d = two(op, "dilation", dilation);
        return new Window(k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]);
    }

    /**
     * {@code x} [N, C, H, W] → columns [N, C·kh·kw, L], or unbatched [C, H, W] → [C·kh·kw, L]
     * (PyTorch's {@code F.unfold}; an unbatched input is one image, with the same grad_fn).
     */
    static Tensor unfold(Tensor x, Window k) {
        int r = x.dim();
        if (r != 3 && r != 4) {
            throw new IllegalArgumentException(
                    "unfold: expected a 3-d (unbatched) [C, H, W] or 4-d (batched) [N, C, H, W] " + "input, got shape "
                            + Arrays.toString(shape(x)));
        }
        int n = r == 4 ? shape(x)[0] : 1, c = shape(x)[r - 3], h = shape(x)[r - 2], w = shape(x)[r - 1];
        k.check("unfold", shape(x), h, w);
        int oh = k.outH(h), ow = k.outW(w);
        Layout.numel("unfold", new int[] {n, c, k.kh, k.kw, oh, ow}); // the columns' size, before c·kh·kw is formed
        int[] outShape = r == 4 ? new int[] {n, c * k.taps(), oh * ow} : new int[] {c * k.taps(), oh * ow};
        Tensor xc = contiguousUntracked(x);
        Tensor out = newUninitialized(x, outShape, DType.FLOAT32);
        backend(x).im2col(buffer(xc), new ImageShape(n, c, h, w), k.kernel(), buffer(out));
        return record(out, "Im2ColBackward0", x, (g, ctx) -> new Tensor[] {fold(g, h, w, k)});
    }

    /**
     * Columns [N, C·kh·kw, L] → [N, C, H, W], summing overlaps, or unbatched [C·kh·kw, L] → [C, H, W]
     * (PyTorch's {@code F.fold}).
     */
    static Tensor fold(Tensor cols, int h, int w, Window k) {
        int r = cols.dim();
        if (r != 2 && r != 3) {
            throw new IllegalArgumentException("fold: expected a 2-d (unbatched) [C*kh*kw, L] or 3-d (batched) "
                    + "[N, C*kh*kw, L] input, got shape " + Arrays.toString(shape(cols)));
        }
        k.check("fold", shape(cols), h, w);
        int n = r == 3 ? shape(cols)[0] : 1, rows = shape(cols)[r - 2], oh = k.outH(h), ow = k.outW(w);
        if (rows % k.taps() != 0) {
            throw new IllegalArgumentException("fold: expected size of input's dimension " + (r - 2)
                    + " to be divisible by "
                    + "the product of kernel_size, but got input.size(" + (r - 2) + ")=" + rows + " and kernel_size="
                    + pair(k.kh, k.kw));
        }
        if (shape(cols)[r - 1] != (long) oh * ow) {
            throw new IllegalArgumentException(
                    "fold: given output_size=" + pair(h, w) + ", kernel_size=" + pair(k.kh, k.kw)
                            + ", dilation=" + pair(k.dh, k.dw) + ", padding=" + pair(k.ph, k.pw) + ", stride="
                            + pair(k.sh, k.sw)
                            + ", expected size of input's dimension " + (r - 1)
                            + " to match the calculated number of sliding blocks "
                            + oh + " * " + ow + " = " + ((long) oh * ow) + ", but got input.size(" + (r - 1) + ")="
                            + shape(cols)[r - 1]);
        }
        int c = rows / k.taps();
        int[] outShape = r == 3 ? new int[] {n, c, h, w} : new int[] {c, h, w};
        Layout.numel("fold", outShape);
        Tensor cc = contiguousUntracked(cols);
        Tensor out = newEmpty(cols, outShape, DType.FLOAT32); // zeros: col2im adds into it
        backend(cols).col2im(buffer(cc), new ImageShape(n, c, h, w), k.kernel(), buffer(out));
        return record(out, "Col2ImBackward0", cols, (g, ctx) -> new Tensor[] {unfold(g, k)});
    }

    // ---- conv2d -----------------------------------------------------------------------------------

    public static Tensor conv2d(
            Tensor x, Tensor weight, Tensor bias, int[] strideIn, int[] paddingIn, int[] dilationIn, int groups) {
        if (x.dim() == 3) { // unbatched [C, H, W], as PyTorch accepts
            return conv2d(x.unsqueeze(0), weight, bias, strideIn, paddingIn, dilationIn, groups)
                    .squeeze(0);
        }
        int[] st = two("conv2d", "stride", strideIn), pd = two("conv2d", "padding", paddingIn);
        int[] dl = two("conv2d", "dilation", dilationIn);
        if (x.dim() != 4) {
            throw new IllegalArgumentException(
                    "conv2d: expected 3-d (unbatched) or 4-d (batched) input [N, C, H, W], but got " + "input of shape "
                            + Arrays.toString(shape(x)));
        }
        if (weight.dim() != 4) {
            throw new IllegalArgumentException(
                    "conv2d: expected a 4-d weight [outChannels, inChannels/groups, kH, kW], got " + "shape "
                            + Arrays.toString(shape(weight)));
        }
        if (groups <= 0)
            throw new IllegalArgumentException("conv2d: non-positive groups is not supported, got groups=" + groups);
        int n = shape(x)[0], c = shape(x)[1], h = shape(x)[2], w = shape(x)[3];
        int o = shape(weight)[0], cg = shape(weight)[1], kh = shape(weight)[2], kw = shape(weight)[3];
        if (o % groups != 0) {
            throw new IllegalArgumentException(
                    "conv2d: given groups=" + groups + ", expected weight to be divisible by " + groups
                            + " at dimension 0, but got weight of size " + Arrays.toString(shape(weight)) + " instead");
        }
        if (cg * groups != c) {
            throw new IllegalArgumentException("conv2d: given groups=" + groups + ", weight of size "
                    + Arrays.toString(shape(weight)) + ", expected input" + Arrays.toString(shape(x)) + " to have "
                    + (cg * groups)
                    + " channels, but got " + c
                    + " channels instead; the weight's dimension 1 must be inChannels/groups");
        }
        if (bias != null && (bias.dim() != 1 || shape(bias)[0] != o)) {
            throw new IllegalArgumentException("conv2d: given weight of size " + Arrays.toString(shape(weight))
                    + ", expected bias to be 1-dimensional with " + o + " elements, but got bias of size "
                    + Arrays.toString(shape(bias)) + " instead");
        }
        Window k = new Window(kh, kw, st[0], st[1], pd[0], pd[1], dl[0], dl[1]);
        k.check("conv2d", shape(x), h, w);
        int oh = k.outH(h), ow = k.outW(w), l = oh * ow, og = o / groups, ckk = cg * kh * kw;
        Layout.numel("conv2d", new int[] {n, c, kh, kw, oh, ow}); // its im2col columns
        Layout.numel("conv2d", new int[] {n, o, oh, ow});

        // the backend's kernels take non-empty images and weights; empty ones go the im2col way
        boolean direct = groups == 1
                && n > 0
                && c > 0
                && o > 0
                && backend(x).convolvesDirectly(new ImageShape(n, c, h, w), k.kernel(), o);
        Tensor out = direct ? directForward(x, weight, bias, k, oh, ow) : forward(x, weight, bias, k, groups, oh, ow);

        int[] xShape = shape(x);
        return Recorder.record(
                out,
                "ConvolutionBackward0",
                new Tensor[] {x, weight, bias},
                new Tensor[] {weight.requiresGrad() ? x : null, x.requiresGrad() ? weight : null},
                (g, ctx) -> {
                    if (direct && !GradMode.isEnabled()) { // not recording a graph of the backward
                        return directBackward(g, ctx, xShape, o, k);
                    }
                    Tensor gm = g.reshape(n, groups, og, l);
                    Tensor gx = null, gw = null, gb = null;
                    if (ctx.needs(0)) {
                        // columns of the input gradient: W_g^T @ g_g, folded back onto the image
                        Tensor wm = ctx.saved(1).reshape(groups, og, ckk);
                        Tensor gcols = wm.transpose(1, 2).matmul(gm).reshape(n, c * kh * kw, l);
                        gx = fold(gcols, xShape[2], xShape[3], k);
                        freeScratch(gcols, g);
                    }
                    if (ctx.needs(1)) {
                        Tensor cols = unfold(ctx.saved(0), k);
                        if (og <= l) {
                            // (g_n @ cols_n^T)^T = cols_n @ g_n^T for every image (and group), summed over the
                            // images: the columns are the row-major left operand, read in place, and only the
                            // smaller g is transposed. The N per-image products ([N, ckk, og]) are no larger than
                            // the columns while og <= L (a permuted copy of all the columns for one product over
                            // N·L was a tenth of a batch-64 32->64 layer's forward and backward)
                            Tensor perImage = cols.view(n * groups, ckk, l)
                                    .bmm(gm.reshape(n * groups, og, l).transpose(1, 2));
                            gw = perImage.view(n, groups, ckk, og)
                                    .sum(0)
                                    .transpose(1, 2)
                                    .contiguous()
                                    .view(o, cg, kh, kw);
                            freeScratch(perImage, g);
                        } else {
                            // many channels on small images (og > L): one product with N·L as the inner dimension
                            Tensor a = gm.permute(1, 2, 0, 3).reshape(groups, og, n * l);
                            Tensor b = cols.view(n, groups, ckk, l)
                                    .permute(1, 0, 3, 2)
                                    .reshape(groups, n * l, ckk);
                            gw = a.bmm(b).view(o, cg, kh, kw);
                            freeScratch(a, g);
                            freeScratch(b, g, cols);
                        }
                        freeScratch(cols, g);
                    }
                    if (ctx.needs(2)) gb = g.sum(new int[] {0, 2, 3}, false);
                    return new Tensor[] {gx, gw, gb};
                });
    }

    /** out = W ⊛ x + b by the backend's own convolution (groups 1, a window it takes). */
    private static Tensor directForward(Tensor x, Tensor weight, Tensor bias, Window k, int oh, int ow) {
        int n = shape(x)[0], c = shape(x)[1], h = shape(x)[2], w = shape(x)[3], o = shape(weight)[0];
        checkSameDevice(x, weight);
        if (bias != null) checkSameDevice(x, bias);
        Tensor xc = contiguousUntracked(x), wc = contiguousUntracked(weight);
        Tensor bc = bias == null ? null : contiguousUntracked(bias);
        Tensor out = newUninitialized(x, new int[] {n, o, oh, ow}, DType.FLOAT32);
        backend(x)
                .conv2d(
                        buffer(xc),
                        new ImageShape(n, c, h, w),
                        k.kernel(),
                        buffer(wc),
                        o,
                        bc == null ? null : buffer(bc),
                        buffer(out));
        return out;
    }

    /** The input, weight and bias gradients by the backend's own kernels (not differentiable again). */
    private static Tensor[] directBackward(Tensor g, OpNode ctx, int[] xShape, int o, Window k) {
        ImageShape image = new ImageShape(xShape[0], xShape[1], xShape[2], xShape[3]);
        Tensor gc = contiguousUntracked(g);
        var be = backend(g);
        Tensor gx = null, gw = null, gb = null;
        if (ctx.needs(0)) {
            Tensor weight = contiguousUntracked(ctx.saved(1));
            gx = newUninitialized(g, xShape, DType.FLOAT32);
            be.conv2dInputGrad(buffer(gc), image, k.kernel(), buffer(weight), o, buffer(gx));
        }
        if (ctx.needs(1)) { // with the bias gradient in the same pass over g
            gw = newUninitialized(g, new int[] {o, xShape[1], k.kh(), k.kw()}, DType.FLOAT32);
            if (ctx.needs(2)) gb = newUninitialized(g, new int[] {o}, DType.FLOAT32);
            var x = buffer(contiguousUntracked(ctx.saved(0)));
            be.conv2dWeightGrad(x, image, k.kernel(), buffer(gc), o, buffer(gw), gb == null ? null : buffer(gb));
        } else if (ctx.needs(2)) {
            gb = g.sum(new int[] {0, 2, 3}, false);
        }
        return new Tensor[] {gx, gw, gb};
    }

    /** out = W ⊛ x + b with one im2col and one matrix product per group (bias preloaded, beta = 1). */
    private static Tensor forward(Tensor x, Tensor weight, Tensor bias, Window k, int groups, int oh, int ow) {
        int n = shape(x)[0], c = shape(x)[1], h = shape(x)[2], w = shape(x)[3], o = shape(weight)[0];
        int l = oh * ow, og = o / groups, cg = c / groups, ckk = cg * k.taps();
        checkSameDevice(x, weight);
        if (bias != null) checkSameDevice(x, bias);
        Tensor xc = contiguousUntracked(x), wc = contiguousUntracked(weight);
        var be = backend(x);
        Tensor cols = newUninitialized(x, new int[] {n, c * k.taps(), l}, DType.FLOAT32);
        be.im2col(buffer(xc), new ImageShape(n, c, h, w), k.kernel(), buffer(cols));
        Tensor out = newUninitialized(x, new int[] {n, o, oh, ow}, DType.FLOAT32);
        Tensor dst = groups == 1 ? out : newUninitialized(x, new int[] {n, og, l}, DType.FLOAT32);
        for (int gi = 0; gi < groups; gi++) {
            // the group's og×ckk weights, the same matrix for every image
            var weights = new StridedMatrix(buffer(wc), wc.storageOffset() + gi * og * ckk, 0, ckk, 1);
            if (bias != null) { // bias[o] broadcast over every (n, l) of the group, added by the product
                be.addmm(
                        buffer(bias),
                        new Layout(
                                new int[] {n, og, l},
                                new int[] {0, strides(bias)[0], 0},
                                bias.storageOffset() + gi * og * strides(bias)[0]),
                        n,
                        og,
                        l,
                        ckk,
                        weights,
                        new StridedMatrix(buffer(cols), gi * ckk * l, c * k.taps() * l, l, 1),
                        buffer(dst),
                        1f,
                        1f);
            } else {
                be.matmul(
                        n,
                        og,
                        l,
                        ckk,
                        weights,
                        new StridedMatrix(buffer(cols), gi * ckk * l, c * k.taps() * l, l, 1),
                        buffer(dst),
                        1f,
                        0f);
            }
            if (groups > 1) { // the group's channels are a strided slice of out
                be.copy(
                        buffer(dst),
                        Layout.contiguous(new int[] {n, og, l}),
                        buffer(out),
                        new Layout(new int[] {n, og, l}, new int[] {o * l, l, 1}, gi * og * l));
            }
        }
        be.release(buffer(cols)); // scratch (14 MB for a batch-64 32->64 layer): back to the pool, not the GC
        if (groups > 1) be.release(buffer(dst));
        return out;
    }

    /**
     * Hands a backward's scratch tensor back to its backend, unless it shares storage with one of
     * {@code keep} (a view of the incoming gradient, or of a scratch already freed), or gradients are
     * being recorded (createGraph: the graph may refer to it).
     */
    private static void freeScratch(Tensor scratch, Tensor... keep) {
        if (GradMode.isEnabled()) return;
        for (Tensor t : keep) if (buffer(t) == buffer(scratch)) return;
        backend(scratch).release(buffer(scratch));
    }
}
