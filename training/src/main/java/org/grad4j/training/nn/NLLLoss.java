package org.grad4j.training.nn;

import org.grad4j.core.Reduction;
import org.grad4j.core.Tensor;

/** {@code nn.NLLLoss (input: log-probabilities [N, C]; target: class indices [N])}. */
public final class NLLLoss extends WeightedLoss {
    public NLLLoss() {
        this(null, LossFunctions.DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    public NLLLoss(Reduction reduction) {
        this(null, LossFunctions.DEFAULT_IGNORE_INDEX, reduction);
    }

    /** @param weight a weight per class (null for none); @param ignoreIndex a target that contributes nothing */
    public NLLLoss(Tensor weight, int ignoreIndex, Reduction reduction) {
        super(weight, ignoreIndex, reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return LossFunctions.nllLoss(input, target, weight, ignoreIndex, reduction);
    }
}
