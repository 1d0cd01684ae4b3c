package org.grad4j.training.nn;

import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;

/**
 * {@code nn.Parameter}: a leaf tensor that requires grad, meant to be registered with a {@link Module}.
 * {@link Tensor} is final in core, so a parameter is a plain tensor made here rather than a subclass;
 * what makes it a parameter of a module is {@link Module#registerParameter(String, Tensor)}.
 */
public final class Parameter {
    private Parameter() {}

    /** A leaf that shares {@code data}'s storage, is cut from any graph, and requires grad. */
    public static Tensor of(Tensor data) {
        return data.detach().requiresGrad_();
    }

    /**
     * Clears the gradients of {@code params}: sets them to null ({@code setToNone}, PyTorch 2.x's
     * default, so the next backward writes fresh ones) or zeroes them in place.
     */
    public static void zeroGrad(Iterable<Tensor> params, boolean setToNone) {
        for (Tensor p : params) {
            if (p.grad() == null) continue;
            if (setToNone) {
                p.setGrad(null);
            } else {
                try (var s = GradMode.noGrad()) {
                    p.grad().zero_();
                }
            }
        }
    }
}
