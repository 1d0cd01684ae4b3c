package org.grad4j.training.nn;

import org.grad4j.core.Tensor;

/** {@code nn.CrossEntropyLoss (input: logits [N, C]; target: class indices [N])}. */
public final class CrossEntropyLoss extends Loss {
    public CrossEntropyLoss() {
        this(Reduction.MEAN);
    }

    public CrossEntropyLoss(Reduction reduction) {
        super(reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return LossFunctions.crossEntropy(input, target, reduction);
    }
}
