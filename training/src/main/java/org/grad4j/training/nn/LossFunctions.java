package org.grad4j.training.nn;

import java.util.Arrays;
import org.grad4j.core.DType;
import org.grad4j.core.Tensor;

/**
 * The losses, written with the core ops that exist today (logSoftmax, indexSelect, clamp, exp, log).
 * Every loss module calls these, so switching to fused core ops (e.g. {@code F.crossEntropy}) when
 * they land touches this class only.
 */
public final class LossFunctions {
    private LossFunctions() {}

    /** {@code mse_loss}: (input - target)² reduced. */
    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException("mseLoss: input shape " + Arrays.toString(input.shape()) + " and target shape "
                    + Arrays.toString(target.shape()) + " differ; give the target the input's shape");
        }
        Tensor d = input.sub(target);
        return reduce(d.mul(d), reduction);
    }

    /** {@code nll_loss}: minus the log-probability of each target class; input [N, C] log-probabilities, target [N] class indices. */
    public static Tensor nllLoss(Tensor logProbs, Tensor target, Reduction reduction) {
        int[] flat = flatTargetIndices("nllLoss", logProbs, target);
        Tensor picked = logProbs.reshape(-1).indexSelect(0, Tensor.indices(flat)).neg();
        if (logProbs.dim() == 1) picked = picked.squeeze(0);
        return reduce(picked, reduction);
    }

    /** {@code cross_entropy}: {@code nllLoss(logSoftmax(input, 1), target)}; input [N, C] logits, target [N] class indices. */
    public static Tensor crossEntropy(Tensor logits, Tensor target, Reduction reduction) {
        if (logits.dim() != 1 && logits.dim() != 2) {
            throw new IllegalArgumentException("crossEntropy: expected input of shape [N, C] (or [C]), got "
                    + Arrays.toString(logits.shape()));
        }
        return nllLoss(logits.logSoftmax(logits.dim() - 1), target, reduction);
    }

    /**
     * {@code binary_cross_entropy_with_logits}, in PyTorch's stable form:
     * {@code (1 - y)·x + m + log(exp(-m) + exp(-x - m))} with {@code m = max(-x, 0)}.
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor target, Reduction reduction) {
        if (!Arrays.equals(logits.shape(), target.shape())) {
            throw new IllegalArgumentException("binaryCrossEntropyWithLogits: Target size " + Arrays.toString(target.shape())
                    + " must be the same as input size " + Arrays.toString(logits.shape()));
        }
        Tensor m = logits.neg().clampMin(0f);
        Tensor loss = target.rsub(1f).mul(logits).add(m).add(m.neg().exp().add(logits.neg().sub(m).exp()).log());
        return reduce(loss, reduction);
    }

    static Tensor reduce(Tensor t, Reduction reduction) {
        return switch (reduction) {
            case MEAN -> t.mean();
            case SUM -> t.sum();
            case NONE -> t;
        };
    }

    /** Positions of each sample's target class in the flattened [N·C] input; checks shapes and bounds. */
    private static int[] flatTargetIndices(String op, Tensor input, Tensor target) {
        if (target.dtype() == DType.BOOL) {
            throw new IllegalArgumentException(op + ": expected class indices as target, got a " + target.dtype() + " tensor");
        }
        int n, c;
        if (input.dim() == 2) {
            n = input.size(0);
            c = input.size(1);
            if (target.dim() != 1) {
                throw new IllegalArgumentException(op + ": expected a 1-d target of class indices for input of shape "
                        + Arrays.toString(input.shape()) + ", got target of shape " + Arrays.toString(target.shape()));
            }
            if (target.size(0) != n) {
                throw new IllegalArgumentException(op + ": Expected input batch_size (" + n + ") to match target batch_size ("
                        + target.size(0) + ").");
            }
        } else if (input.dim() == 1 && target.dim() == 0) {
            n = 1;
            c = input.size(0);
        } else {
            throw new IllegalArgumentException(op + ": expected input [N, C] with target [N], or input [C] with a 0-d target; got "
                    + Arrays.toString(input.shape()) + " and " + Arrays.toString(target.shape()));
        }
        float[] t = target.toFloatArray();
        int[] flat = new int[n];
        for (int i = 0; i < n; i++) {
            int k = (int) t[i];
            if (k != t[i] || k < 0 || k >= c) {
                throw new IndexOutOfBoundsException(op + ": Target " + t[i] + " (sample " + i + ") is out of bounds: expected a class index in [0, "
                        + c + ")");
            }
            flat[i] = i * c + k;
        }
        return flat;
    }
}
