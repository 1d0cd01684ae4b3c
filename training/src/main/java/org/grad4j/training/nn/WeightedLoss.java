package org.grad4j.training.nn;

import org.grad4j.core.Reduction;
import org.grad4j.core.Tensor;

/**
 * Base of the class-index losses (PyTorch's {@code _WeightedLoss}): an optional weight per class,
 * registered as a buffer so it travels with the state dict, and a target value to ignore.
 */
public abstract class WeightedLoss extends Loss {
    /** A weight per class, or null. */
    public final Tensor weight;

    public final int ignoreIndex;

    /** @param weight a weight per class (null for none); @param ignoreIndex a target that contributes nothing */
    protected WeightedLoss(Tensor weight, int ignoreIndex, Reduction reduction) {
        super(reduction);
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
        if (weight != null) registerBuffer("weight", weight);
    }
}
