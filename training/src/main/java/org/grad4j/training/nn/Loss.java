package org.grad4j.training.nn;

import java.util.Locale;
import org.grad4j.core.Reduction;
import org.grad4j.core.Tensor;

/** Base of the loss modules: {@code loss.call(input, target)}, PyTorch's {@code criterion(input, target)}. */
public abstract class Loss extends Module {
    public final Reduction reduction;

    protected Loss(Reduction reduction) {
        this.reduction = reduction;
    }

    public abstract Tensor forward(Tensor input, Tensor target);

    public final Tensor call(Tensor input, Tensor target) {
        return forward(input, target);
    }

    @Override
    public final Tensor forward(Tensor input) {
        throw new UnsupportedOperationException(
                getClass().getSimpleName() + " takes an input and a target: call(input, target)");
    }

    @Override
    protected String extraRepr() {
        return reduction == Reduction.MEAN
                ? ""
                : "reduction=" + reduction.name().toLowerCase(Locale.ROOT);
    }
}
