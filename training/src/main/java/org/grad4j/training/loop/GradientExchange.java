package org.grad4j.training.loop;

import java.util.List;
import org.grad4j.core.Tensor;

/**
 * The one point between {@code loss.backward()} and {@code optimizer.step()} where gradients may be
 * exchanged: data-parallel training plugs in here an all-reduce that averages each parameter's
 * gradient across replicas. It runs on the training thread, once per step.
 */
@FunctionalInterface
public interface GradientExchange {
    /** Called with every parameter once the gradients of a batch are complete; may replace them in place. */
    void exchange(List<Tensor> parameters);

    /** Single process: nothing to exchange. */
    GradientExchange LOCAL = parameters -> {};
}
