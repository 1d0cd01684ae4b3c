package org.grad4j.training.nn;

import org.grad4j.core.Tensor;

/** {@code nn.Identity}: returns its input (a placeholder layer). */
public final class Identity extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return input;
    }
}
