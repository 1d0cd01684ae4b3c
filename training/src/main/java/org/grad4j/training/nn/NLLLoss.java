package org.grad4j.training.nn;

import org.grad4j.core.Tensor;

/** {@code nn.NLLLoss (input: log-probabilities [N, C]; target: class indices [N])}. */
public final class NLLLoss extends Loss {
    public NLLLoss() {
        this(Reduction.MEAN);
    }

    public NLLLoss(Reduction reduction) {
        super(reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return LossFunctions.nllLoss(input, target, reduction);
    }
}
