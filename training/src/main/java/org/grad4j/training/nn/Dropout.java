package org.grad4j.training.nn;

import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;

/** {@code nn.Dropout(p)}: active in training mode only; survivors are scaled by 1/(1-p). */
public final class Dropout extends Module {
    public final float p;
    private final Generator generator;

    public Dropout(float p) {
        this(p, Generator.defaultGenerator());
    }

    /** With its own generator, the masks are reproducible. */
    public Dropout(float p, Generator generator) {
        if (p < 0 || p > 1)
            throw new IllegalArgumentException("Dropout: dropout probability has to be between 0 and 1, but got " + p);
        this.p = p;
        this.generator = generator;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.dropout(input, p, isTraining(), generator);
    }

    @Override
    protected String extraRepr() {
        return "p=" + p;
    }
}
