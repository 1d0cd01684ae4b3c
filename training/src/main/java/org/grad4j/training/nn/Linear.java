package org.grad4j.training.nn;

import java.util.Arrays;
import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;

/**
 * {@code nn.Linear}: {@code y = x Wᵀ + b}, W of shape [out, in], b of shape [out].
 * Initialised as PyTorch does: {@code kaiming_uniform_(W, a=√5)} is U(-1/√in, 1/√in), and the bias
 * uses the same bound.
 */
public final class Linear extends Module {
    public final int inFeatures, outFeatures;
    public final Tensor weight;
    /** Null when built with {@code bias=false}. */
    public final Tensor bias;

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, Generator.defaultGenerator());
    }

    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this(inFeatures, outFeatures, bias, Generator.defaultGenerator());
    }

    public Linear(int inFeatures, int outFeatures, boolean bias, Generator gen) {
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException(
                    "Linear: in_features and out_features must be positive, got " + inFeatures + " and " + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        float bound = (float) (1.0 / Math.sqrt(inFeatures));
        this.weight =
                registerParameter("weight", Parameter.of(Init.uniform(gen, -bound, bound, outFeatures, inFeatures)));
        this.bias =
                bias ? registerParameter("bias", Parameter.of(Init.uniform(gen, -bound, bound, outFeatures))) : null;
    }

    /**
     * A Linear over parameters that already exist: {@code new Linear(wte.weight, null)} is PyTorch's
     * {@code lm_head.weight = wte.weight}, one parameter registered in two modules (weight tying):
     * counted once by {@link #parameters()} and the optimizers, its gradients from both uses summed, and
     * listed under both names by {@link #stateDict()} as PyTorch lists it. {@code weight} is [out, in];
     * {@code bias} is [out] or null.
     */
    public Linear(Tensor weight, Tensor bias) {
        java.util.Objects.requireNonNull(weight, "Linear: weight is null");
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("Linear: weight must be 2-D [out_features, in_features], got shape "
                    + Arrays.toString(weight.shape()));
        }
        if (bias != null && (bias.dim() != 1 || bias.size(0) != weight.size(0))) {
            throw new IllegalArgumentException("Linear: bias must have shape [" + weight.size(0) + "] to match weight "
                    + Arrays.toString(weight.shape()) + ", got " + Arrays.toString(bias.shape()));
        }
        this.outFeatures = weight.size(0);
        this.inFeatures = weight.size(1);
        this.weight = registerParameter("weight", weight);
        this.bias = bias == null ? null : registerParameter("bias", bias);
    }

    @Override
    public Tensor forward(Tensor input) {
        if (input.dim() == 0 || input.size(-1) != inFeatures) {
            throw new IllegalArgumentException("Linear: mat1 and mat2 shapes cannot be multiplied: input of shape "
                    + Arrays.toString(input.shape()) + " needs a last dimension of " + inFeatures + " (weight is "
                    + outFeatures
                    + "x" + inFeatures + ")");
        }
        // F.linear: one addmm for 2-d (and contiguous 3-d) input with a bias, as PyTorch's linear
        return F.linear(input, weight, bias);
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null);
    }
}
