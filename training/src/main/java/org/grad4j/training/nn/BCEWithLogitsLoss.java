package org.grad4j.training.nn;

import org.grad4j.core.Tensor;

/** {@code nn.BCEWithLogitsLoss (input: logits; target: probabilities of the same shape)}. */
public final class BCEWithLogitsLoss extends Loss {
    public BCEWithLogitsLoss() {
        this(Reduction.MEAN);
    }

    public BCEWithLogitsLoss(Reduction reduction) {
        super(reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return LossFunctions.binaryCrossEntropyWithLogits(input, target, reduction);
    }
}
