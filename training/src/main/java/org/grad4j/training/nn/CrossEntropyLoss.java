package org.grad4j.training.nn;

import org.grad4j.core.Reduction;
import org.grad4j.core.Tensor;

/** {@code nn.CrossEntropyLoss (input: logits [N, C]; target: class indices [N])}. */
public final class CrossEntropyLoss extends WeightedLoss {
    public CrossEntropyLoss() {
        this(null, LossFunctions.DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    public CrossEntropyLoss(Reduction reduction) {
        this(null, LossFunctions.DEFAULT_IGNORE_INDEX, reduction);
    }

    /** @param weight a weight per class (null for none); @param ignoreIndex a target that contributes nothing */
    public CrossEntropyLoss(Tensor weight, int ignoreIndex, Reduction reduction) {
        super(weight, ignoreIndex, reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return LossFunctions.crossEntropy(input, target, weight, ignoreIndex, reduction);
    }
}
