package org.grad4j.training.nn;

import org.grad4j.core.Reduction;
import org.grad4j.core.Tensor;

/** {@code nn.MSELoss}. */
public final class MSELoss extends Loss {
    public MSELoss() {
        this(Reduction.MEAN);
    }

    public MSELoss(Reduction reduction) {
        super(reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return LossFunctions.mseLoss(input, target, reduction);
    }
}
