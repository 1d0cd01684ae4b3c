package org.grad4j.training.nn;

import org.grad4j.core.F;
import org.grad4j.core.Tensor;

/** {@code nn.SiLU()}: x·sigmoid(x). */
public final class SiLU extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return F.silu(input);
    }
}
