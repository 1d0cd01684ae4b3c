package org.grad4j.training.optim;

import java.util.ArrayList;
import java.util.List;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;

/**
 * Base of the optimizers ({@code torch.optim.Optimizer}): holds the parameters, clears their
 * gradients, and runs each update in a no-grad scope so updates are never recorded.
 */
public abstract class Optimizer {
    protected final List<Tensor> params;

    protected Optimizer(List<Tensor> params) {
        if (params.isEmpty()) throw new IllegalArgumentException("optimizer got an empty parameter list");
        for (Tensor p : params) {
            if (!p.isLeaf()) {
                throw new IllegalArgumentException("can't optimize a non-leaf Tensor (shape "
                        + java.util.Arrays.toString(p.shape()) + "); pass leaves that require grad, e.g. model parameters");
            }
        }
        this.params = new ArrayList<>(params);
    }

    public List<Tensor> parameters() {
        return List.copyOf(params);
    }

    /** Clears gradients: sets them to null (PyTorch 2.x default), so the next backward writes fresh ones. */
    public void zeroGrad() {
        zeroGrad(true);
    }

    /** With {@code setToNone=false}, zeroes the gradient tensors in place instead. */
    public void zeroGrad(boolean setToNone) {
        for (Tensor p : params) {
            if (p.grad() == null) continue;
            if (setToNone) {
                p.setGrad(null);
            } else {
                try (var s = GradMode.noGrad()) {
                    p.grad().zero_();
                }
            }
        }
    }

    /** One update of every parameter that has a gradient. */
    public final void step() {
        try (var s = GradMode.noGrad()) {
            update();
        }
    }

    /** The update rule, run without recording. */
    protected abstract void update();
}
