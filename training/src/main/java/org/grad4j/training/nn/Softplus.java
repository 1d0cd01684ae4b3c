package org.grad4j.training.nn;

import org.grad4j.core.F;
import org.grad4j.core.Tensor;

/** {@code nn.Softplus(beta, threshold)}: log(1 + exp(beta·x)) / beta, x itself where beta·x > threshold. */
public final class Softplus extends Module {
    public final float beta, threshold;

    public Softplus() {
        this(1f, 20f);
    }

    public Softplus(float beta, float threshold) {
        this.beta = beta;
        this.threshold = threshold;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.softplus(input, beta, threshold);
    }

    @Override
    protected String extraRepr() {
        return "beta=" + beta + ", threshold=" + threshold;
    }
}
