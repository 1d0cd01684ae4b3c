package org.grad4j.training.nn;

import org.grad4j.core.F;
import org.grad4j.core.Tensor;

/** {@code nn.LeakyReLU(negativeSlope)}: x where x > 0, else negativeSlope·x (default 0.01). */
public final class LeakyReLU extends Module {
    public final float negativeSlope;

    public LeakyReLU() {
        this(0.01f);
    }

    public LeakyReLU(float negativeSlope) {
        this.negativeSlope = negativeSlope;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.leakyRelu(input, negativeSlope);
    }

    @Override
    protected String extraRepr() {
        return "negative_slope=" + negativeSlope;
    }
}
