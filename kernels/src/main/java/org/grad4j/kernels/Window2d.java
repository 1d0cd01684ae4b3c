package org.grad4j.kernels;

/**
 * The sliding window of a 2-d convolution or pooling, as PyTorch's {@code kernel_size}, {@code padding},
 * {@code stride} and {@code dilation} pairs (height first). Sizes, strides and dilations are positive,
 * paddings non-negative.
 */
public record Window2d(
        int kernelH, int kernelW, int padH, int padW, int strideH, int strideW, int dilationH, int dilationW) {

    public Window2d {
        if (kernelH <= 0 || kernelW <= 0 || strideH <= 0 || strideW <= 0 || dilationH <= 0 || dilationW <= 0)
            throw new IllegalArgumentException("Window2d: kernel size, stride and dilation must be positive, got "
                    + "kernel=(" + kernelH + ", " + kernelW + "), stride=(" + strideH + ", " + strideW
                    + "), dilation=(" + dilationH + ", " + dilationW + ")");
        if (padH < 0 || padW < 0)
            throw new IllegalArgumentException(
                    "Window2d: padding must be non-negative, got padding=(" + padH + ", " + padW + ")");
    }

    /** The number of window positions along a dimension of {@code height} pixels (PyTorch's formula). */
    public int outH(int height) {
        return out(height, kernelH, padH, strideH, dilationH);
    }

    /** The number of window positions along a dimension of {@code width} pixels (PyTorch's formula). */
    public int outW(int width) {
        return out(width, kernelW, padW, strideW, dilationW);
    }

    /** For ops without dilation (average pooling): an error naming {@code op} unless both dilations are 1. */
    public void requireUndilated(String op) {
        if (dilationH != 1 || dilationW != 1)
            throw new IllegalArgumentException(op + ": dilation must be 1, got " + this);
    }

    // in long: a large padding or dilation must not wrap
    private static int out(int size, int kernel, int pad, int stride, int dilation) {
        return (int) ((size + 2L * pad - (long) dilation * (kernel - 1) - 1) / stride + 1);
    }
}
