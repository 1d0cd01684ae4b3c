package org.grad4j.training.nn;

import org.grad4j.core.F;
import org.grad4j.core.Reduction;
import org.grad4j.core.Tensor;

/**
 * The one place the loss modules reach the loss ops: today core's fused {@code F} ops (each one
 * recorded op with its own backward, {@code NllLossBackward0} ...). A loss computed another way
 * (e.g. on a backend without them) changes this class only.
 */
public final class LossFunctions {
    private LossFunctions() {}

    /** PyTorch's default {@code ignore_index}. */
    public static final int DEFAULT_IGNORE_INDEX = -100;

    /** {@code mse_loss}: (input - target)² reduced. */
    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        return F.mseLoss(input, target, reduction);
    }

    /** {@code nll_loss}: minus the log-probability of each target class; input [N, C] log-probabilities, target [N] class indices. */
    public static Tensor nllLoss(Tensor logProbs, Tensor target, Tensor weight, int ignoreIndex, Reduction reduction) {
        return F.nllLoss(logProbs, target, weight, ignoreIndex, reduction);
    }

    /** {@code cross_entropy}: {@code nllLoss(logSoftmax(input, 1), target)}; input [N, C] logits, target [N] class indices. */
    public static Tensor crossEntropy(
            Tensor logits, Tensor target, Tensor weight, int ignoreIndex, Reduction reduction) {
        return F.crossEntropy(logits, target, weight, ignoreIndex, reduction);
    }

    /** {@code binary_cross_entropy_with_logits}: sigmoid and binary cross entropy in one stable op. */
    public static Tensor binaryCrossEntropyWithLogits(
            Tensor logits, Tensor target, Tensor weight, Tensor posWeight, Reduction reduction) {
        return F.binaryCrossEntropyWithLogits(logits, target, weight, posWeight, reduction);
    }
}
