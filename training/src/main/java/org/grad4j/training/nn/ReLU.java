package org.grad4j.training.nn;

import org.grad4j.core.Tensor;

/** {@code nn.ReLU()} as a module. */
public final class ReLU extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return input.relu();
    }
}
