package org.grad4j.training.nn;

import org.grad4j.core.Tensor;

/** {@code nn.Tanh()} as a module. */
public final class Tanh extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return input.tanh();
    }
}
