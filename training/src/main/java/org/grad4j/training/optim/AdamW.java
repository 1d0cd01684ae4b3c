package org.grad4j.training.optim;

import java.util.List;

/**
 * AdamW ({@code torch.optim.AdamW}): Adam with decoupled weight decay, {@code p = p·(1 - lr·weightDecay)}
 * before the Adam step (no L2 term in the gradient). Default weight decay 1e-2, as PyTorch's.
 */
public final class AdamW extends Adam {

    public AdamW(List<?> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 1e-2, false);
    }

    public AdamW(
            List<?> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad) {
        super("AdamW", params, lr, beta1, beta2, eps, weightDecay, amsgrad);
    }

    @Override
    protected boolean decoupledWeightDecay() {
        return true;
    }
}
