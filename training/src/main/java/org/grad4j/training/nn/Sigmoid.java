package org.grad4j.training.nn;

import org.grad4j.core.Tensor;

/** {@code nn.Sigmoid()} as a module. */
public final class Sigmoid extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return input.sigmoid();
    }
}
