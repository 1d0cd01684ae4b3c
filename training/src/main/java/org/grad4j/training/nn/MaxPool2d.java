package org.grad4j.training.nn;

import org.grad4j.core.F;
import org.grad4j.core.Tensor;

/** {@code nn.MaxPool2d(kernelSize, stride = kernelSize, padding = 0)}. */
public final class MaxPool2d extends Module {
    public final int kernelSize, stride, padding;

    public MaxPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0);
    }

    public MaxPool2d(int kernelSize, int stride, int padding) {
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.maxPool2d(input, kernelSize, stride, padding);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernelSize + ", stride=" + stride + ", padding=" + padding;
    }
}
