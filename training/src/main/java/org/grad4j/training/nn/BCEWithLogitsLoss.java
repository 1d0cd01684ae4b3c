package org.grad4j.training.nn;

import org.grad4j.core.Reduction;
import org.grad4j.core.Tensor;

/** {@code nn.BCEWithLogitsLoss} (input: logits; target: probabilities of the same shape). */
public final class BCEWithLogitsLoss extends Loss {
    /** Rescaling weight and weight of the positive term, or null. */
    public final Tensor weight, posWeight;

    public BCEWithLogitsLoss() {
        this(null, null, Reduction.MEAN);
    }

    public BCEWithLogitsLoss(Reduction reduction) {
        this(null, null, reduction);
    }

    public BCEWithLogitsLoss(Tensor weight, Tensor posWeight, Reduction reduction) {
        super(reduction);
        this.weight = weight;
        this.posWeight = posWeight;
        if (weight != null) registerBuffer("weight", weight);
        if (posWeight != null) registerBuffer("pos_weight", posWeight);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return LossFunctions.binaryCrossEntropyWithLogits(input, target, weight, posWeight, reduction);
    }
}
